"""`graphgrad train`: train a model on MNIST (or any MNIST-format folder) and report accuracy."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

MODELS = ("two_layer", "multi_layer", "simple_conv")


def build_model(name: str, hidden: list[int], seed: int):
    """The model by CLI name, with the textbook's sizes for MNIST."""
    import nn

    np.random.seed(seed)  # the textbook's models draw their initial weights from np.random
    if name == "two_layer":
        return nn.TwoLayerNet(784, hidden[0], 10)
    if name == "multi_layer":
        return nn.MultiLayerNet(784, hidden, 10, activation="relu", weight_init_std="relu")
    if name == "simple_conv":
        return nn.SimpleConvNet()
    raise ValueError(f"train: unknown model {name!r}; choose one of {', '.join(MODELS)}")


def run(model: str = "two_layer", iters: int = 10000, batch_size: int = 100, lr: float = 0.1,
        optimizer: str = "sgd", hidden: list[int] | None = None, data: Path | None = None,
        plot: Path | None = None, train_limit: int | None = None, seed: int = 0,
        verbose: bool = True, progress: bool = True, lang: str = "en"
        ) -> dict[str, list[float]]:
    """Load MNIST, train with the textbook's loop, print per-epoch accuracy; returns history.

    ``history["final_test_acc"]`` holds the accuracy on the whole test set after training.
    The printed lines are in `lang` (``"en"`` or ``"zh"``, from :mod:`viz.messages`).
    """
    from nn.datasets import load_mnist
    from nn.trainer import Trainer
    from viz.messages import check_lang, message

    check_lang(lang)

    hidden = hidden or [50]
    t0 = time.perf_counter()
    (x_train, t_train), (x_test, t_test) = load_mnist(
        normalize=True, flatten=model != "simple_conv", directory=data)
    if train_limit:
        x_train, t_train = x_train[:train_limit], t_train[:train_limit]
    if verbose:
        print(message("train.loaded", lang, train=len(x_train), test=len(x_test),
                      seconds=time.perf_counter() - t0))
    net = build_model(model, hidden, seed)  # np.random.seed(seed), as at the top of a book script
    epochs = -(-iters * batch_size // len(x_train))  # enough epochs to run `iters` iterations
    per_epoch = max(len(x_train) // batch_size, 1)

    def report(epoch: int, history: dict[str, list[float]]) -> None:
        # one line per epoch instead of the book's `train loss:` line per iteration
        loss = float(np.mean(history["loss"][-per_epoch:]))
        print(message("train.epoch", lang, epoch=epoch, iter=history["epoch_iter"][-1],
                      loss=loss, train_acc=history["train_acc"][-1],
                      test_acc=history["test_acc"][-1]),
              file=sys.stderr if progress else sys.stdout)

    trainer = Trainer(net, x_train, t_train, x_test, t_test, epochs=epochs,
                      mini_batch_size=batch_size, optimizer=optimizer,
                      optimizer_param={"lr": lr}, max_iter=iters, verbose=False,
                      progress=progress, on_epoch=report if verbose else None)
    history = trainer.train()
    if verbose:
        print(message("train.final", lang, acc=trainer.final_test_acc,
                      iters=trainer.current_iter, seconds=time.perf_counter() - t0))
    if plot is not None:
        path = trainer.plot(plot)
        if verbose:
            print(message("train.curves", lang, path=path))
    return history
