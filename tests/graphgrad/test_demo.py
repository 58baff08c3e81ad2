"""graphgrad/demo.py: `make demo` prints the book's apple/orange numbers and draws them; it
works offline, without extras, and says what it wrote."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest

import viz
from graphgrad import demo
from graphgrad.cli import main

needs_renderer = pytest.mark.skipif(viz.backend() is None, reason="no Graphviz renderer")


def test_apple_orange_has_the_books_numbers():
    price, leaves = demo.apple_orange()
    assert price.name == "price" and price.value == pytest.approx(715)
    grads = {name: leaf.grad for name, leaf in leaves.items()}
    assert grads == pytest.approx(
        {"apple": 2.2, "apple_num": 110, "orange": 3.3, "orange_num": 165, "tax": 650})


@needs_renderer
def test_run_without_training_prints_and_draws(tmp_path, capsys):
    assert demo.run(tmp_path, train=False) == 0
    out = capsys.readouterr().out
    assert "= 715" in out and "d price / d apple      = 2.2" in out
    assert "d price / d tax        = 650" in out and "Training" not in out
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["apple_orange.html", "apple_orange.png", "apple_orange.svg",
                     "apple_orange_backward.gif", "apple_orange_forward.png"]
    assert (tmp_path / "apple_orange.png").read_bytes().startswith(b"\x89PNG")
    assert (tmp_path / "apple_orange_backward.gif").read_bytes()[:6] in (b"GIF87a", b"GIF89a")


FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
         "t10k-labels-idx1-ubyte")


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@needs_renderer
def test_demo_no_train_writes_the_page_and_prints_no_stray_warnings(tmp_path):
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, "-m", "graphgrad", "demo", "--no-train", "--out",
                           str(out)], capture_output=True, text=True, check=False, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # no Fontconfig (or any other) warning
    assert "price = (apple*apple_num + orange*orange_num) * tax = 715" in done.stdout
    assert f"Open {out / 'apple_orange.html'} in a browser" in done.stdout
    page = (out / "apple_orange.html").read_text(encoding="utf-8")
    assert "graphgrad explorer: price" in page
    assert sorted(p.name for p in out.iterdir()) == [
        "apple_orange.html", "apple_orange.png", "apple_orange.svg",
        "apple_orange_backward.gif", "apple_orange_forward.png"]


@needs_renderer
def test_demo_offline_without_mnist_ends_with_a_short_message(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("MNIST_DIR", raising=False)
    monkeypatch.setenv("GRAPHGRAD_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("GRAPHGRAD_MNIST_MIRRORS", f"http://127.0.0.1:{_closed_port()}/")
    assert main(["demo", "--out", str(tmp_path / "out")]) == 0
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    tail = captured.out.split("Training skipped:", 1)[1]
    for name in FILES:
        assert name in tail
    assert str(tmp_path / "cache" / "mnist") in tail
    assert "MNIST_DIR" in tail and "graphgrad demo --no-train" in tail
    assert len(tail.splitlines()) <= 6
    assert (tmp_path / "out" / "apple_orange.html").exists()


@needs_renderer
def test_demo_without_pillow_and_matplotlib_names_the_extras(tmp_path, monkeypatch, capsys):
    from graphgrad import train

    seen = {}
    monkeypatch.setattr(train, "run", lambda *a, **k: seen.update(k))
    monkeypatch.setitem(sys.modules, "PIL", None)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    assert demo.run(tmp_path, train=True) == 0
    out = capsys.readouterr().out
    assert "pip install 'graphgrad[anim]'" in out and "pip install 'graphgrad[train]'" in out
    assert seen["plot"] is None and seen["iters"] == 10000
    assert not (tmp_path / "apple_orange_backward.gif").exists()
    assert (tmp_path / "apple_orange.html").exists()


@needs_renderer
@pytest.mark.parametrize(("lang", "lines"), [
    (None, ["Apple/orange purchase (Deep Learning from Scratch, 5.4):",
            "  price = (apple*apple_num + orange*orange_num) * tax = 715",
            "  d price / d apple      = 2.2      (apple price)",
            "  d price / d tax        = 650      (consumption tax)",
            "Pictures (values above each edge, gradients below in red):"]),
    ("zh", ["买苹果和橘子（《深度学习入门》5.4 节）：",
            "  支付金额 price = (apple*apple_num + orange*orange_num) * tax = 715",
            "  ∂price/∂apple      = 2.2      （price 对苹果单价的导数）",
            "  ∂price/∂apple_num  = 110      （price 对苹果个数的导数）",
            "  ∂price/∂tax        = 650      （price 对消费税的导数）",
            "计算图的图片（箭头上方是值，下方红色的是梯度）："]),
])
def test_demo_explains_in_the_chosen_language(tmp_path, capsys, from_catalogue, lang, lines):
    import json
    import re

    assert main(["demo", "--no-train", "--out", str(tmp_path), *(["--lang", lang] if lang
                                                                  else [])]) == 0
    out = capsys.readouterr().out
    for line in lines:
        assert line in out.splitlines()
    files = {f"  {path}" for path in tmp_path.iterdir()}  # demo.file: the files written
    assert len(files) == 5 and files <= set(out.splitlines())
    # every other line is the catalogue's
    assert from_catalogue("\n".join(set(out.splitlines()) - files), lang or "en") == []
    if lang == "zh":
        assert from_catalogue(out, "en") != []  # ... and the check can fail
    page = (tmp_path / "apple_orange.html").read_text(encoding="utf-8")
    data = json.loads(re.search(r'id="gg-data">(.*?)</script>', page, re.S).group(1))
    assert data["lang"] == lang  # --lang zh: the page opens in Chinese; else the browser's


@needs_renderer
def test_demo_notes_and_training_lines_come_from_the_catalogue(tmp_path, monkeypatch, capsys,
                                                               from_catalogue):
    from graphgrad import train

    seen = {}
    monkeypatch.setattr(train, "run", lambda *a, **k: seen.update(k))
    monkeypatch.setitem(sys.modules, "PIL", None)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    assert demo.run(tmp_path, train=True, lang="zh") == 0
    out = capsys.readouterr().out
    assert "（没有生成 " in out and "（不画训练曲线：需要 matplotlib" in out
    assert "用 MNIST 训练书中的 TwoLayerNet" in out
    files = {f"  {path}" for path in tmp_path.iterdir()}
    assert from_catalogue("\n".join(set(out.splitlines()) - files), "zh") == []
    assert seen["lang"] == "zh"


def test_demo_refuses_other_languages(tmp_path):
    with pytest.raises(ValueError, match="lang='fr'"):
        demo.run(tmp_path, train=False, lang="fr")
    with pytest.raises(SystemExit):
        main(["demo", "--lang", "fr"])
