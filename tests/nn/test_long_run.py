"""A long training run: 20 epochs on 2,000 real MNIST images, memory measured after every epoch.

Both training loops run (the book's ``net.gradient`` + in-place update, and the PyTorch-style
``zero_grad`` / ``loss.backward`` / ``SGD.step`` through the engine). The cycle collector is off
while they train, so the memory check also proves a training step leaves no reference cycles:
anything a step forgot to free would pile up epoch after epoch.

Real MNIST comes from ``$MNIST_DIR`` or ../shared/datasets/mnist; without it the test is skipped.
"""

from __future__ import annotations

import gc
import os
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from autograd import Node
from nn import SGD, TwoLayerNet

MNIST_DIR = os.environ.get("MNIST_DIR") or str(
    Path(__file__).resolve().parents[2] / ".." / "shared" / "datasets" / "mnist")
SAMPLES, BATCH, EPOCHS, LR = 2_000, 100, 20, 0.1
#: Growth of traced memory allowed after epoch 2, in total. Measured: under 10 kB (caches
#: warming up in epochs 3-4, then flat); a leak of 300 bytes a step would exceed it.
MAX_GROWTH = 100_000


@pytest.fixture(scope="module")
def subset() -> tuple[np.ndarray, np.ndarray]:
    """The first 2,000 MNIST training images (float64, flattened) and their labels."""
    try:
        from nn.datasets import load_mnist

        (x, t), _ = load_mnist(normalize=True, one_hot_label=False, directory=MNIST_DIR,
                               download=False)
    except Exception as exc:  # noqa: BLE001 - any reason to lack the files
        pytest.skip(f"real MNIST not found ({type(exc).__name__}); set MNIST_DIR")
    return x[:SAMPLES].astype(np.float64), t[:SAMPLES].astype(np.int64)


def book_step(net: TwoLayerNet, opt: SGD | None, x: np.ndarray, t: np.ndarray) -> None:
    """The book's train_neuralnet.py step: gradient() (the layer chain), in-place update."""
    grads = net.gradient(x, t)
    for key in ("W1", "b1", "W2", "b2"):
        net.params[key] -= LR * grads[key]


def torch_style_step(net: TwoLayerNet, opt: SGD, x: np.ndarray, t: np.ndarray) -> None:
    """zero_grad / loss.backward() / step(): the graph is recorded and dropped every step."""
    opt.zero_grad()
    net.loss(Node(x, requires_grad=False), t, train_flg=True).backward(retain_grad=False)
    opt.step()


@pytest.mark.parametrize("step", [book_step, torch_style_step], ids=["book", "pytorch-style"])
def test_twenty_epochs_without_memory_growth(subset, step):
    x, t = subset
    np.random.seed(0)
    net = TwoLayerNet(784, 50, 10)
    opt = SGD(net.parameters(), lr=LR)
    order = np.random.default_rng(0)
    start_loss = float(net.loss(x, t))
    start_acc = net.accuracy(x, t)
    gc.collect()
    gc.disable()  # a step that made reference cycles would now grow memory every epoch
    tracemalloc.start()
    try:
        held = []
        for _ in range(EPOCHS):
            perm = order.permutation(SAMPLES)
            for i in range(0, SAMPLES, BATCH):
                batch = perm[i:i + BATCH]
                step(net, opt, x[batch], t[batch])
            net.accuracy(x, t)  # the book evaluates every epoch
            held.append(tracemalloc.get_traced_memory()[0])
    finally:
        tracemalloc.stop()
        gc.enable()
    growth = held[-1] - held[1]
    per_epoch = ", ".join(f"{(h - held[1]) / 1e3:.0f}" for h in held[1:])
    assert growth < MAX_GROWTH, f"memory grew {growth} bytes after epoch 2 (kB: {per_epoch})"
    assert max(held[1:]) - held[1] < MAX_GROWTH, f"kB vs epoch 2: {per_epoch}"
    # and it learned
    end_loss = float(net.loss(x, t))
    assert end_loss < 0.5 * start_loss
    assert net.accuracy(x, t) > max(0.9, start_acc)
