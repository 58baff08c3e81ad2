"""nn/progress.py: progress bars redraw often on a terminal, rarely in a log."""

import os
import sys

import numpy as np
import pytest

from nn import TwoLayerNet, progress
from nn.trainer import Trainer

pytest.importorskip("tqdm")


def test_in_a_log_the_bar_updates_rarely(capsys, monkeypatch):
    monkeypatch.delitem(sys.modules, "ipykernel", raising=False)
    assert not progress.interactive()  # pytest's captured stderr is not a terminal
    bar = progress.progress_bar(5000, "training")
    assert bar.mininterval == progress.LOG_INTERVAL == 30.0
    for _ in range(5000):
        bar.update(1)
    bar.close()
    err = capsys.readouterr().err
    assert err.count("\r") <= 3, err  # start, end (and at most one more), not thousands


def test_a_training_log_has_no_flood_of_redraws(capsys, monkeypatch):
    monkeypatch.delitem(sys.modules, "ipykernel", raising=False)
    rng = np.random.default_rng(0)
    x, t = rng.normal(size=(200, 4)), rng.integers(0, 3, 200)
    np.random.seed(0)
    Trainer(TwoLayerNet(4, 5, 3), x, t, x, t, epochs=300, mini_batch_size=20, verbose=False,
            progress=True, optimizer_param={"lr": 0.1}).train()
    assert capsys.readouterr().err.count("\r") <= 4


def test_on_a_terminal_the_bar_redraws_often(monkeypatch):
    monkeypatch.setattr(progress, "interactive", lambda: True)
    bar = progress.progress_bar(10, "training", file=open(os.devnull, "w"))  # noqa: SIM115
    assert bar.mininterval == 0.1
    bar.close()
    assert progress.update_interval() == 0.1


def test_without_tqdm_there_is_no_bar(monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)
    assert progress.progress_bar(10, "x") is None
