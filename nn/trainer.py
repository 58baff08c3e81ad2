"""Training loop: the book's ``common/trainer.py`` (chapter 6), plus options that never change it.

``Trainer`` follows the book step for step, so ``np.random.seed(...)`` before building the
network reproduces the book's run number for number:

- each iteration draws a mini-batch with ``np.random.choice(train_size, batch_size)`` (with
  replacement), computes ``network.gradient``, updates with the optimizer, then records
  ``network.loss`` of the same batch *after* the update in ``train_loss_list`` (and prints
  ``train loss:...`` when `verbose`);
- the first iteration of every epoch (iteration 0, then every ``train_size / batch_size``)
  measures the accuracy on the training and test data (their first
  `evaluate_sample_num_per_epoch` samples, if given) into ``train_acc_list`` / ``test_acc_list``;
- at the end the accuracy on the whole test set is measured (``final_test_acc``) and printed.

Our additions are options and leave those numbers alone: `progress` (a tqdm bar), `max_iter`
(stop early), `seed` (draw the batches from a private generator instead of ``np.random``),
`on_epoch` (a callback), ``history`` (the same lists by other names, plus timings) and
``plot(path)``::

    trainer = Trainer(net, x_train, t_train, x_test, t_test, epochs=17, mini_batch_size=100,
                      optimizer="sgd", optimizer_param={"lr": 0.1}, verbose=False)
    trainer.train()
    trainer.final_test_acc               # e.g. 0.97
    trainer.plot("out/curves.png")       # needs matplotlib
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from autograd.files import atomic_write
from nn import optimizers
from nn.progress import progress_bar

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
    """Train a network the book's way: ``gradient(x, t)``, ``optimizer.update(params, grads)``.

    Args:
        network: anything with the book's ``params``, ``gradient``, ``loss`` and ``accuracy``.
        x_train, t_train, x_test, t_test: the data; labels as class indices, one-hot rows or
            an (N, 1) column.
        epochs: the run is ``int(epochs * iter_per_epoch)`` iterations, where
            ``iter_per_epoch = max(train_size / mini_batch_size, 1)`` (the book's numbers).
        mini_batch_size: samples per iteration, drawn with replacement.
        optimizer: a name (``"SGD"``, ``"Adam"``, ... any case) or an optimizer object.
        optimizer_param: the optimizer's arguments (default ``{"lr": 0.01}``, the book's).
        evaluate_sample_num_per_epoch: measure the per-epoch accuracy on this many samples.
        verbose: print the book's lines (``train loss:`` every iteration, ``=== epoch:...``,
            the final test accuracy) on stdout.
        max_iter: stop after this many iterations (at most the book's count).
        seed: None draws the batches from ``np.random`` as the book does; an int draws them
            from a private ``np.random.RandomState(seed)``, leaving the global state alone.
        progress: show a tqdm progress bar on stderr (if tqdm is installed).
        on_epoch: called as ``on_epoch(epoch, history)`` after each per-epoch evaluation.
    """

    def __init__(self, network: Any, x_train: np.ndarray, t_train: np.ndarray,
                 x_test: np.ndarray, t_test: np.ndarray, epochs: int = 20,
                 mini_batch_size: int = 100, optimizer: str | optimizers.Optimizer = "SGD",
                 optimizer_param: dict[str, Any] | None = None,
                 evaluate_sample_num_per_epoch: int | None = None, verbose: bool = True,
                 max_iter: int | None = None, seed: int | None = None,
                 progress: bool = False,
                 on_epoch: Callable[[int, dict[str, list[float]]], None] | None = None) -> None:
        if len(x_train) != len(t_train):
            raise ValueError(f"Trainer: x_train has {len(x_train)} samples but t_train has "
                             f"{len(t_train)}")
        if len(x_test) != len(t_test):
            raise ValueError(f"Trainer: x_test has {len(x_test)} samples but t_test has "
                             f"{len(t_test)}")
        if len(x_train) == 0:
            raise ValueError("Trainer: x_train is empty")
        if mini_batch_size < 1:
            raise ValueError(f"Trainer: mini_batch_size must be at least 1, got "
                             f"{mini_batch_size}")
        self.network = network
        self.verbose = verbose
        self.x_train, self.t_train = x_train, t_train
        self.x_test, self.t_test = x_test, t_test
        self.epochs = epochs
        self.batch_size = int(mini_batch_size)
        self.evaluate_sample_num_per_epoch = evaluate_sample_num_per_epoch
        self.progress = progress
        self.on_epoch = on_epoch
        if isinstance(optimizer, str):
            params = {"lr": 0.01} if optimizer_param is None else optimizer_param
            self.optimizer = make_optimizer(optimizer, **params)
        else:
            self.optimizer = optimizer

        # the book's bookkeeping, with the book's names (iter_per_epoch may be fractional)
        self.train_size = x_train.shape[0]
        self.iter_per_epoch = max(self.train_size / self.batch_size, 1)
        self.max_iter = int(epochs * self.iter_per_epoch)
        if max_iter is not None:
            self.max_iter = min(int(max_iter), self.max_iter)
        self.current_iter = 0
        self.current_epoch = 0
        self.train_loss_list: list[float] = []
        self.train_acc_list: list[float] = []
        self.test_acc_list: list[float] = []
        #: Accuracy on the whole test set after the last iteration (set by `train`).
        self.final_test_acc: float | None = None

        self._choice = np.random.choice if seed is None else np.random.RandomState(seed).choice
        #: The same lists under our names, plus the iteration count and seconds at each
        #: evaluation: ``loss``, ``train_acc``, ``test_acc``, ``epoch_iter``, ``seconds``;
        #: after `train`, ``final_test_acc`` (one value).
        self.history: dict[str, list[float]] = {
            "loss": self.train_loss_list, "train_acc": self.train_acc_list,
            "test_acc": self.test_acc_list, "epoch_iter": [], "seconds": []}
        self._started = time.perf_counter()

    def _epoch_starts(self, i: int) -> bool:
        """Is iteration `i` (from 0) the first of an epoch? The book: ``i % iter_per_epoch == 0``.

        For a whole number of iterations per epoch that is exactly the book's test. Otherwise
        the book's test only holds at common multiples (with 240 samples and batches of 100,
        iterations 0, 12, 24, ...); here it is the first iteration at or after each multiple
        of ``iter_per_epoch`` (0, 3, 5, 8, 10, ...), one evaluation per epoch.
        """
        ipe = self.iter_per_epoch
        if float(ipe).is_integer():
            return i % ipe == 0
        # some multiple k·ipe lies in (i − 1, i]
        return math.floor(i / ipe) > math.floor((i - 1) / ipe)

    def train_step(self) -> float:
        """One iteration, as the book's ``train_step``; returns the batch loss after the update."""
        batch_mask = self._choice(self.train_size, self.batch_size)
        x_batch = self.x_train[batch_mask]
        t_batch = self.t_train[batch_mask]

        grads = self.network.gradient(x_batch, t_batch)
        self.optimizer.update(self.network.params, grads)

        loss = self.network.loss(x_batch, t_batch)
        if not math.isfinite(float(loss)):
            raise FloatingPointError(
                f"Trainer: the loss became {float(loss)} at iteration {self.current_iter}; the "
                f"learning rate may be too high (lr={getattr(self.optimizer, 'lr', '?')})")
        self.train_loss_list.append(loss)
        if self.verbose:
            print("train loss:" + str(loss))

        if self._epoch_starts(self.current_iter):
            self.current_epoch += 1
            self._evaluate_epoch()
        self.current_iter += 1
        return loss

    def _evaluate_epoch(self) -> None:
        x_train, t_train, x_test, t_test = self.x_train, self.t_train, self.x_test, self.t_test
        n = self.evaluate_sample_num_per_epoch
        if n is not None:
            x_train, t_train, x_test, t_test = x_train[:n], t_train[:n], x_test[:n], t_test[:n]
        train_acc = self.network.accuracy(x_train, t_train)
        test_acc = self.network.accuracy(x_test, t_test)
        self.train_acc_list.append(train_acc)
        self.test_acc_list.append(test_acc)
        self.history["epoch_iter"].append(self.current_iter + 1)
        self.history["seconds"].append(time.perf_counter() - self._started)
        if self.verbose:
            print("=== epoch:" + str(self.current_epoch) + ", train acc:" + str(train_acc)
                  + ", test acc:" + str(test_acc) + " ===")
        if self.on_epoch is not None:
            self.on_epoch(self.current_epoch, self.history)

    def train(self) -> dict[str, list[float]]:
        """Run the remaining iterations, then measure the whole test set; returns ``history``."""
        self._started = time.perf_counter()
        bar = _progress_bar(self.max_iter - self.current_iter, enabled=self.progress)
        try:
            while self.current_iter < self.max_iter:
                loss = self.train_step()
                if bar is not None:
                    bar.update(1)
                    if self.current_iter % 20 == 0:
                        bar.set_postfix(loss=f"{float(loss):.4f}", refresh=False)
        finally:
            if bar is not None:
                bar.close()
        test_acc = self.network.accuracy(self.x_test, self.t_test)
        self.final_test_acc = test_acc
        self.history["final_test_acc"] = [float(test_acc)]
        if self.verbose:
            print("=============== Final Test Accuracy ===============")
            print("test acc:" + str(test_acc))
        return self.history

    def plot(self, path: str | Path) -> Path:
        """Save the loss and accuracy curves as a PNG (needs matplotlib)."""
        return plot_history(self.history, path)


def _progress_bar(total: int, enabled: bool) -> Any:
    # tqdm is optional: train silently without it; in a log it updates only every 30 s
    return progress_bar(total, "training", unit="it", leave=False) if enabled else None


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
    try:
        with atomic_write(path) as f:  # never a half-written picture under the real name
            fig.savefig(f, format="png", dpi=100)
    finally:
        plt.close(fig)
    return path
