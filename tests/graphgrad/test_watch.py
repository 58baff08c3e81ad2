"""`graphgrad watch`: options checked before training, the page written, the accuracy stated."""

from __future__ import annotations

import re

import pytest

from graphgrad.cli import main


def test_watch_writes_the_page_and_states_train_accuracy(tmp_path, capsys):
    out = tmp_path / "pages" / "moons.html"
    status = main(["watch", "--data", "moons", "--steps", "40", "--snapshots", "4",
                   "--hidden", "6", "--examples", "2", "-o", str(out)])
    assert status == 0
    printed = capsys.readouterr().out
    m = re.search(r"train accuracy (\d\.\d\d)", printed)
    assert m and f"train accuracy {m.group(1)}" in out.read_text(encoding="utf-8")
    assert "40 steps, 4 snapshots" in printed and out.resolve().as_uri() in printed


@pytest.mark.parametrize("args, message", [
    (["--data", "swirl"], "argument --data: invalid choice: 'swirl'"),
    (["--steps", "0"], "argument --steps: 0 is too small: use 1 or more"),
    (["--steps", "ten"], "argument --steps: 'ten' is not a whole number"),
    (["--hidden", "10", "-3"], "argument --hidden: -3 is too small"),
    (["--snapshots", "1"], "argument --snapshots: 1 is too small: use 2 or more"),
    (["--lr", "-1"], "argument --lr: '-1': the learning rate must be positive"),
    (["--init", "big"], "argument --init: 'big': use he, xavier or a positive number"),
    (["--activation", "gelu"], "argument --activation: invalid choice"),
    (["--lang", "fr"], "argument --lang: invalid choice"),
])
def test_bad_values_are_one_line_errors(args, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["watch", *args])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_output_path_is_checked_before_training(tmp_path, capsys):
    blocker = tmp_path / "file.txt"
    blocker.write_text("x")
    assert main(["watch", "-o", str(tmp_path)]) == 2
    assert "is a folder" in capsys.readouterr().err
    assert main(["watch", "-o", str(blocker / "page.html")]) == 2
    assert "is a file, so" in capsys.readouterr().err
