"""Training loop: mini-batches, an optimizer, evaluation per epoch, history, progress, curves.

The interface is the textbook's ``common/trainer.py`` (chapter 6), plus a cap on iterations, a
tqdm progress bar with the live loss, a ``history`` dict and ``plot(path)``::

    trainer = Trainer(net, x_train, t_train, x_test, t_test, epochs=17, mini_batch_size=100,
                      optimizer="sgd", optimizer_param={"lr": 0.1})
    trainer.train()
    trainer.history["test_acc"][-1]      # e.g. 0.97
    trainer.plot("out/curves.png")       # needs matplotlib
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from nn import optimizers

OPTIMIZERS: dict[str, type[optimizers.Optimizer]] = {
    "sgd": optimizers.SGD,
    "momentum": optimizers.Momentum,
    "nesterov": optimizers.Nesterov,
    "adagrad": optimizers.AdaGrad,
    "rmsprop": optimizers.RMSprop,
    "adam": optimizers.Adam,
}


def make_optimizer(name: str, **params: Any) -> optimizers.Optimizer:
    """An optimizer by (case-insensitive) name: sgd, momentum, nesterov, adagrad, rmsprop, adam."""
    try:
        cls = OPTIMIZERS[name.lower()]
    except KeyError:
        raise ValueError(f"Trainer: unknown optimizer {name!r}; choose one of "
                         f"{', '.join(OPTIMIZERS)}") from None
    return cls(**params)


class Trainer:
    """Train a model with the book's ``gradient(x, t)`` / ``optimizer.update(params, grads)``.

    One epoch is ``max(N // mini_batch_size, 1)`` iterations (the book's ``N / mini_batch_size``
    in whole iterations); `max_iter` stops earlier (the book's ch. 5 script runs 10,000
    iterations). After every epoch the train and test accuracy are measured (on
    `evaluate_sample_num_per_epoch` samples if given) and appended to ``history``;
    ``history["loss"]`` has the loss of every iteration.
    """

    def __init__(self, network: Any, x_train: np.ndarray, t_train: np.ndarray,
                 x_test: np.ndarray, t_test: np.ndarray, epochs: int = 20,
                 mini_batch_size: int = 100, optimizer: str | optimizers.Optimizer = "sgd",
                 optimizer_param: dict[str, Any] | None = None,
                 evaluate_sample_num_per_epoch: int | None = None, verbose: bool = True,
                 max_iter: int | None = None, seed: int | None = 0,
                 progress: bool | None = None,
                 on_epoch: Callable[[int, dict[str, list[float]]], None] | None = None) -> None:
        if len(x_train) != len(t_train):
            raise ValueError(f"Trainer: x_train has {len(x_train)} samples but t_train has "
                             f"{len(t_train)}")
        if len(x_test) != len(t_test):
            raise ValueError(f"Trainer: x_test has {len(x_test)} samples but t_test has "
                             f"{len(t_test)}")
        if mini_batch_size < 1 or mini_batch_size > len(x_train):
            raise ValueError(f"Trainer: mini_batch_size must be between 1 and the number of "
                             f"training samples ({len(x_train)}), got {mini_batch_size}")
        self.network = network
        self.x_train, self.t_train = x_train, t_train
        self.x_test, self.t_test = x_test, t_test
        self.epochs = int(epochs)
        self.batch_size = int(mini_batch_size)
        self.evaluate_sample_num_per_epoch = evaluate_sample_num_per_epoch
        self.verbose = verbose
        self.progress = verbose if progress is None else progress
        self.on_epoch = on_epoch
        if isinstance(optimizer, str):
            self.optimizer = make_optimizer(optimizer, **(optimizer_param or {"lr": 0.01}))
        else:
            self.optimizer = optimizer
        self.iter_per_epoch = max(len(x_train) // self.batch_size, 1)
        total = self.epochs * self.iter_per_epoch
        self.max_iter = total if max_iter is None else min(int(max_iter), total)
        self.rng = np.random.default_rng(seed)
        self.current_iter = 0
        self.current_epoch = 0
        self.history: dict[str, list[float]] = {"loss": [], "train_acc": [], "test_acc": [],
                                                "epoch_iter": [], "seconds": []}

    # the book's attribute names
    @property
    def train_loss_list(self) -> list[float]:
        """Loss of every iteration (the book's name)."""
        return self.history["loss"]

    @property
    def train_acc_list(self) -> list[float]:
        """Training accuracy after every epoch (the book's name)."""
        return self.history["train_acc"]

    @property
    def test_acc_list(self) -> list[float]:
        """Test accuracy after every epoch (the book's name)."""
        return self.history["test_acc"]

    def train_step(self) -> float:
        """One mini-batch: gradient, parameter update; returns the batch loss."""
        idx = self.rng.choice(len(self.x_train), self.batch_size, replace=False)
        x_batch, t_batch = self.x_train[idx], self.t_train[idx]
        grads = self.network.gradient(x_batch, t_batch)
        self.optimizer.update(self.network.params, grads)
        # gradient() just ran the forward pass; the loss layer kept the batch loss
        loss = float(self.network.last_layer.loss)
        if not math.isfinite(loss):
            raise FloatingPointError(
                f"Trainer: the loss became {loss} at iteration {self.current_iter}; the learning "
                f"rate may be too high (lr={getattr(self.optimizer, 'lr', '?')})")
        self.history["loss"].append(loss)
        self.current_iter += 1
        return loss

    def evaluate(self) -> tuple[float, float]:
        """Train and test accuracy (on a sample of each if `evaluate_sample_num_per_epoch`)."""
        x_tr, t_tr, x_te, t_te = self.x_train, self.t_train, self.x_test, self.t_test
        n = self.evaluate_sample_num_per_epoch
        if n is not None:
            x_tr, t_tr, x_te, t_te = x_tr[:n], t_tr[:n], x_te[:n], t_te[:n]
        return (float(self.network.accuracy(x_tr, t_tr)),
                float(self.network.accuracy(x_te, t_te)))

    def _end_epoch(self, started: float) -> None:
        self.current_epoch += 1
        train_acc, test_acc = self.evaluate()
        h = self.history
        h["train_acc"].append(train_acc)
        h["test_acc"].append(test_acc)
        h["epoch_iter"].append(self.current_iter)
        h["seconds"].append(time.perf_counter() - started)
        if self.verbose:
            loss = float(np.mean(h["loss"][-self.iter_per_epoch:]))
            print(f"epoch {self.current_epoch:3d}  iter {self.current_iter:6d}  "
                  f"loss {loss:.4f}  train acc {train_acc:.4f}  test acc {test_acc:.4f}",
                  file=sys.stderr if self.progress else sys.stdout)
        if self.on_epoch is not None:
            self.on_epoch(self.current_epoch, h)

    def train(self) -> dict[str, list[float]]:
        """Run all iterations; returns ``history``."""
        started = time.perf_counter()
        bar = _progress_bar(self.max_iter, enabled=self.progress)
        try:
            for _ in range(self.max_iter):
                loss = self.train_step()
                if bar is not None:
                    bar.update(1)
                    if self.current_iter % 20 == 0:
                        bar.set_postfix(loss=f"{loss:.4f}", refresh=False)
                if self.current_iter % self.iter_per_epoch == 0:
                    self._end_epoch(started)
            if self.current_iter % self.iter_per_epoch:  # a last, partial epoch
                self._end_epoch(started)
        finally:
            if bar is not None:
                bar.close()
        if self.verbose:
            print(f"final test accuracy {self.history['test_acc'][-1]:.4f} after "
                  f"{self.current_iter} iterations ({time.perf_counter() - started:.1f} s)")
        return self.history

    def plot(self, path: str | Path) -> Path:
        """Save the loss and accuracy curves as a PNG (needs matplotlib)."""
        return plot_history(self.history, path)


def _progress_bar(total: int, enabled: bool) -> Any:
    if not enabled:
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:  # tqdm is optional: train silently without it
        return None
    return tqdm(total=total, unit="it", desc="training", leave=False)


def plot_history(history: dict[str, list[float]], path: str | Path) -> Path:
    """Loss per iteration and accuracy per epoch, side by side, saved as a PNG."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError("plot needs matplotlib: pip install matplotlib "
                          "(or pip install 'graphgrad[train]')") from None
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    ax1.plot(history["loss"], lw=0.6)
    ax1.set_xlabel("iteration")
    ax1.set_ylabel("loss")
    ax1.set_title("training loss")
    epochs = np.arange(1, len(history["test_acc"]) + 1)
    ax2.plot(epochs, history["train_acc"], marker="o", label="train")
    ax2.plot(epochs, history["test_acc"], marker="s", linestyle="--", label="test")
    ax2.set_xlabel("epoch")
    ax2.set_ylabel("accuracy")
    ax2.set_title("accuracy")
    ax2.legend(loc="lower right")
    fig.tight_layout()
    tmp = path.with_name(path.name + ".tmp.png")
    fig.savefig(tmp, dpi=100)
    plt.close(fig)
    tmp.replace(path)  # never leave a half-written picture under the real name
    return path
