"""The training loop: it learns, records history, saves curves, and rejects bad settings."""

import numpy as np
import pytest

from nn import TwoLayerNet
from nn.trainer import Trainer, make_optimizer, plot_history


def blobs(n, classes=3, dim=8, seed=0):
    rng = np.random.default_rng(seed)
    centers = rng.normal(scale=3.0, size=(classes, dim))
    t = rng.integers(0, classes, size=n)
    return centers[t] + rng.normal(size=(n, dim)), t


def test_trainer_learns_and_records_history(capsys):
    x, t = blobs(600)
    net = TwoLayerNet(8, 16, 3, weight_init_std=0.1)
    trainer = Trainer(net, x[:500], t[:500], x[500:], t[500:], epochs=4, mini_batch_size=50,
                      optimizer="sgd", optimizer_param={"lr": 0.1}, progress=False)
    history = trainer.train()
    assert trainer.current_iter == 4 * 10
    assert len(history["loss"]) == 40 and len(history["test_acc"]) == 4
    assert history["test_acc"][-1] >= 0.9
    assert np.mean(history["loss"][-10:]) < np.mean(history["loss"][:10]) / 2
    assert trainer.test_acc_list is history["test_acc"]  # the book's names
    out = capsys.readouterr().out
    assert "epoch   4" in out and "final test accuracy" in out


def test_max_iter_stops_early_and_closes_partial_epoch():
    x, t = blobs(300)
    trainer = Trainer(TwoLayerNet(8, 8, 3), x, t, x, t, epochs=10, mini_batch_size=100,
                      max_iter=7, verbose=False, optimizer="adam",
                      optimizer_param={"lr": 0.01})
    history = trainer.train()
    assert trainer.current_iter == 7
    assert history["epoch_iter"] == [3, 6, 7]


def test_plot_writes_png(tmp_path):
    history = {"loss": [1.0, 0.5, 0.25], "train_acc": [0.5, 0.8], "test_acc": [0.4, 0.7]}
    path = plot_history(history, tmp_path / "sub" / "curves.png")
    data = path.read_bytes()
    assert data.startswith(b"\x89PNG") and len(data) > 5000
    assert not list(tmp_path.glob("**/*.tmp.png"))


def test_bad_settings_are_clear_errors():
    x, t = blobs(50)
    net = TwoLayerNet(8, 4, 3)
    with pytest.raises(ValueError, match="x_train has 50 samples but t_train has 49"):
        Trainer(net, x, t[:49], x, t)
    with pytest.raises(ValueError, match="mini_batch_size must be between 1 and"):
        Trainer(net, x, t, x, t, mini_batch_size=100)
    with pytest.raises(ValueError, match="unknown optimizer 'sgdd'"):
        make_optimizer("sgdd", lr=0.1)


def test_diverging_loss_is_reported():
    x, t = blobs(200)
    x = x * 1e6
    trainer = Trainer(TwoLayerNet(8, 8, 3, weight_init_std=10.0), x, t, x, t, epochs=5,
                      mini_batch_size=20, optimizer_param={"lr": 1e6}, verbose=False)
    with pytest.raises(FloatingPointError, match="learning rate may be too high"):
        with np.errstate(all="ignore"):
            trainer.train()
