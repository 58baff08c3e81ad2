"""graphgrad/demo.py: `make demo` prints the book's apple/orange numbers and draws them."""

from __future__ import annotations

import pytest

import viz
from graphgrad import demo


def test_apple_orange_has_the_books_numbers():
    price, leaves = demo.apple_orange()
    assert price.name == "price" and price.value == pytest.approx(715)
    grads = {name: leaf.grad for name, leaf in leaves.items()}
    assert grads == pytest.approx(
        {"apple": 2.2, "apple_num": 110, "orange": 3.3, "orange_num": 165, "tax": 650})


@pytest.mark.skipif(viz.backend() is None, reason="no Graphviz renderer")
def test_run_without_training_prints_and_draws(tmp_path, capsys):
    assert demo.run(tmp_path, train=False) == 0
    out = capsys.readouterr().out
    assert "= 715" in out and "d price / d apple      = 2.2" in out
    assert "d price / d tax        = 650" in out and "Training" not in out
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["apple_orange.png", "apple_orange.svg", "apple_orange_backward.gif",
                     "apple_orange_forward.png"]
    assert (tmp_path / "apple_orange.png").read_bytes().startswith(b"\x89PNG")
    assert (tmp_path / "apple_orange_backward.gif").read_bytes()[:6] in (b"GIF87a", b"GIF89a")
