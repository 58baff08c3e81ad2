"""The training loop: the book's semantics, options that leave its numbers alone, curves, errors."""

import numpy as np
import pytest

from nn import Adam, TwoLayerNet
from nn.trainer import Trainer, make_optimizer, plot_history


def blobs(n, classes=3, dim=8, seed=0):
    rng = np.random.default_rng(seed)
    centers = rng.normal(scale=3.0, size=(classes, dim))
    t = rng.integers(0, classes, size=n)
    return centers[t] + rng.normal(size=(n, dim)), t


def test_trainer_learns_and_records_history(capsys):
    x, t = blobs(600)
    np.random.seed(0)
    net = TwoLayerNet(8, 16, 3, weight_init_std=0.1)
    trainer = Trainer(net, x[:500], t[:500], x[500:], t[500:], epochs=4, mini_batch_size=50,
                      optimizer="sgd", optimizer_param={"lr": 0.1})
    history = trainer.train()
    assert trainer.train_size == 500 and trainer.iter_per_epoch == 10
    assert trainer.max_iter == trainer.current_iter == 4 * 10
    # the book evaluates at iterations 0, 10, 20, 30 (after that iteration's update)
    assert history["epoch_iter"] == [1, 11, 21, 31] and trainer.current_epoch == 4
    assert len(history["loss"]) == 40 and len(trainer.test_acc_list) == 4
    assert trainer.final_test_acc >= 0.9 and history["final_test_acc"] == [trainer.final_test_acc]
    assert np.mean(history["loss"][-10:]) < np.mean(history["loss"][:10]) / 2
    # the book's names are the history's lists
    assert trainer.test_acc_list is history["test_acc"]
    assert trainer.train_loss_list is history["loss"]
    out = capsys.readouterr().out.splitlines()
    # the book's lines: a loss per iteration, one line per epoch, the final test accuracy
    assert sum(line.startswith("train loss:") for line in out) == 40
    assert out[0] == f"train loss:{history['loss'][0]}"
    assert out[1] == (f"=== epoch:1, train acc:{history['train_acc'][0]}, "
                      f"test acc:{history['test_acc'][0]} ===")
    assert out[-2:] == ["=============== Final Test Accuracy ===============",
                        f"test acc:{trainer.final_test_acc}"]


def test_batches_are_the_books_np_random_choice_with_replacement():
    x, t = blobs(30)
    calls = []

    class Recorder(TwoLayerNet):
        def gradient(self, x_batch, t_batch):
            calls.append(t_batch.copy())
            return super().gradient(x_batch, t_batch)

    np.random.seed(3)
    net = Recorder(8, 4, 3)
    state = np.random.get_state()
    Trainer(net, x, t, x, t, epochs=2, mini_batch_size=20, verbose=False).train()
    np.random.set_state(state)
    expected = [t[np.random.choice(30, 20)] for _ in range(3)]  # int(2 · 30/20) = 3 iterations
    assert len(calls) == 3
    for got, want in zip(calls, expected):
        np.testing.assert_array_equal(got, want)
    # with replacement, as the book: a batch larger than the data set is fine
    Trainer(TwoLayerNet(8, 4, 3), x, t, x, t, epochs=1, mini_batch_size=50,
            verbose=False).train()


def test_seed_draws_from_a_private_generator_and_leaves_np_random_alone():
    x, t = blobs(100)
    runs = []
    for _ in range(2):
        np.random.seed(5)
        net = TwoLayerNet(8, 8, 3)
        state = np.random.get_state()[1].copy()
        trainer = Trainer(net, x, t, x, t, epochs=1, mini_batch_size=10, verbose=False,
                          seed=7)
        trainer.train()
        assert np.array_equal(np.random.get_state()[1], state)  # global state untouched
        runs.append(trainer.train_loss_list)
    assert runs[0] == runs[1]


def test_options_do_not_change_the_numbers(capsys):
    x, t = blobs(200)
    results = []
    for options in ({}, {"progress": True, "on_epoch": lambda epoch, history: None}):
        np.random.seed(1)
        net = TwoLayerNet(8, 8, 3)
        trainer = Trainer(net, x, t, x, t, epochs=3, mini_batch_size=40, verbose=False,
                          **options)
        trainer.train()
        results.append((trainer.train_loss_list, trainer.train_acc_list, trainer.final_test_acc,
                        net.params["W1"].copy()))
    assert results[0][:3] == results[1][:3]
    np.testing.assert_array_equal(results[0][3], results[1][3])


def test_fractional_epochs_evaluate_once_per_epoch():
    x, t = blobs(240)  # 2.4 iterations per epoch: the book's test i % 2.4 == 0 holds at 0, 12, ...
    trainer = Trainer(TwoLayerNet(8, 8, 3), x, t, x, t, epochs=5, mini_batch_size=100,
                      verbose=False)
    trainer.train()
    assert trainer.max_iter == 12  # int(5 · 2.4), the book's count
    assert trainer.history["epoch_iter"] == [1, 4, 6, 9, 11]  # first iteration of each epoch


def test_max_iter_stops_early():
    x, t = blobs(300)
    trainer = Trainer(TwoLayerNet(8, 8, 3), x, t, x, t, epochs=10, mini_batch_size=100,
                      max_iter=7, verbose=False, optimizer="adam",
                      optimizer_param={"lr": 0.01})
    history = trainer.train()
    assert trainer.current_iter == 7
    assert history["epoch_iter"] == [1, 4, 7]
    assert isinstance(trainer.optimizer, Adam) and trainer.optimizer.lr == 0.01


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
    with pytest.raises(ValueError, match="mini_batch_size must be at least 1"):
        Trainer(net, x, t, x, t, mini_batch_size=0)
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


def test_an_interrupted_plot_leaves_nothing_behind(tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    from matplotlib.figure import Figure

    def interrupted(self, fname, **kwargs):
        fname.write(b"\x89PNG half")
        raise KeyboardInterrupt

    monkeypatch.setattr(Figure, "savefig", interrupted)
    history = {"loss": [1.0, 0.5], "train_acc": [0.5], "test_acc": [0.4]}
    with pytest.raises(KeyboardInterrupt):
        plot_history(history, tmp_path / "curves.png")
    assert list(tmp_path.iterdir()) == []
