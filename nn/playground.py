"""Record a real training run on a 2-D data set, so that ``viz.watch`` can replay it.

A small fully connected network (2 inputs → hidden layers → one score per class) is trained by
the engine itself: each step records the forward pass, calls ``loss.backward()`` and lets an
``nn.optimizers`` optimizer update the parameter Nodes, exactly as a PyTorch training loop does.
At a few chosen steps (spaced on a log scale, because most of the learning happens early) a
snapshot keeps copies of the parameters and what the pictures need: the losses and accuracies,
each layer's gradient norm and activations, and the predicted class over a grid of the plane.

    >>> from nn.playground import record
    >>> run = record("moons", hidden=(8,), steps=50, snapshots=5, seed=0)
    >>> [s.step for s in run.snapshots]
    [0, 1, 4, 14, 50]

Taking snapshots never draws random numbers, so a run stopped at step k gives the same numbers
as the snapshot at step k of a longer run with the same seed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import autograd
from autograd import Node
from nn import optimizers
from nn.toy import DATASETS, load_toy

__all__ = ["ACTIVATIONS", "MLP", "OPTIMIZERS", "Run", "Snapshot", "record", "snapshot_steps"]

#: activation name -> (the engine's op, the name of its layer in the book)
ACTIVATIONS = {
    "relu": (autograd.relu, "Relu"),
    "sigmoid": (autograd.sigmoid, "Sigmoid"),
    "tanh": (autograd.tanh, "Tanh"),
}

#: optimizer name -> (class, a learning rate that trains these small nets in a few hundred steps)
OPTIMIZERS: dict[str, tuple[type[optimizers.Optimizer], float]] = {
    "sgd": (optimizers.SGD, 1.0),
    "momentum": (optimizers.Momentum, 0.1),
    "nesterov": (optimizers.Nesterov, 0.1),
    "adagrad": (optimizers.AdaGrad, 0.1),
    "rmsprop": (optimizers.RMSprop, 0.01),
    "adam": (optimizers.Adam, 0.01),
}


def init_std(init: str | float, fan_in: int) -> float:
    """Standard deviation of the initial weights: 'he' √(2/n), 'xavier' √(1/n), or the number."""
    if init == "he":
        return math.sqrt(2.0 / fan_in)
    if init == "xavier":
        return math.sqrt(1.0 / fan_in)
    if isinstance(init, (int, float)) and not isinstance(init, bool) and init > 0:
        return float(init)
    raise ValueError(f"init must be 'he', 'xavier' or a positive number (the std), got {init!r}")


class MLP:
    """Affine → activation → … → Affine, on engine Nodes; the network that ``record`` trains.

    ``params`` holds the parameter Nodes by the book's names (W1, b1, W2, b2, …), weights drawn
    from N(0, std²) with `init`'s std, biases zero. Calling the net on an (N, 2) batch records
    the graph, one ``autograd.scope`` per layer ("Affine1", "Relu1", …), so a picture of it
    can frame each layer.
    """

    def __init__(self, sizes: Sequence[int], activation: str = "relu",
                 init: str | float = "he", seed: int = 0) -> None:
        if activation not in ACTIVATIONS:
            raise ValueError(f"MLP: activation must be one of {', '.join(ACTIVATIONS)}, "
                             f"got {activation!r}")
        if len(sizes) < 2 or any(isinstance(s, bool) or not isinstance(s, (int, np.integer))
                                 or s < 1 for s in sizes):
            raise ValueError(f"MLP: sizes must be at least two whole numbers ≥ 1, got {sizes!r}")
        self.sizes = [int(s) for s in sizes]
        self.activation = activation
        self._act, self._act_name = ACTIVATIONS[activation]
        rng = np.random.default_rng(seed)
        self.params: dict[str, Node] = {}
        for i, (n_in, n_out) in enumerate(zip(self.sizes, self.sizes[1:]), start=1):
            std = init_std(init, n_in)
            self.params[f"W{i}"] = Node(std * rng.standard_normal((n_in, n_out)), name=f"W{i}")
            self.params[f"b{i}"] = Node(np.zeros(n_out), name=f"b{i}")

    @property
    def depth(self) -> int:
        """The number of Affine layers."""
        return len(self.sizes) - 1

    def parameters(self) -> list[Node]:
        """The parameter Nodes, W1, b1, W2, b2, … (for an optimizer)."""
        return list(self.params.values())

    def zero_grad(self) -> None:
        """Clear every parameter's ``.grad`` (leaves accumulate, as in PyTorch)."""
        for p in self.params.values():
            p.grad = None

    def __call__(self, x: Any, hidden: list[Node] | None = None) -> Node:
        """Scores (N, classes) for the batch `x`; appends each hidden activation to `hidden`."""
        h = x
        for i in range(1, self.depth + 1):
            with autograd.scope(f"Affine{i}"):
                h = autograd.matmul(h, self.params[f"W{i}"]) + self.params[f"b{i}"]
            if i < self.depth:
                with autograd.scope(f"{self._act_name}{i}"):
                    h = self._act(h)
                if hidden is not None:
                    hidden.append(h)
        return h

    def loss(self, x: Any, t: Any) -> Node:
        """Softmax-with-Loss (cross-entropy) of the batch."""
        scores = self(x)
        with autograd.scope("SoftmaxWithLoss"):
            return autograd.cross_entropy(scores, t)


def snapshot_steps(steps: int, count: int) -> list[int]:
    """`count` distinct steps from 0 to `steps`, spaced on a log scale (dense early on).

    >>> snapshot_steps(2000, 8)
    [0, 1, 4, 13, 45, 159, 563, 2000]
    """
    count = min(count, steps + 1)
    if count < 2:
        raise ValueError(f"snapshot_steps: need at least 2 snapshots and 1 step, got "
                         f"count={count}, steps={steps}")
    ideal = np.geomspace(1, steps, count - 1) if count > 2 else np.array([steps])
    chosen = [0]
    for i, s in enumerate(ideal):
        room = steps - (len(ideal) - 1 - i)  # leave one step for each snapshot still to come
        chosen.append(int(min(max(round(s), chosen[-1] + 1), room)))
    return chosen


@dataclass
class Snapshot:
    """The network at one step: parameters (copies) and what the pictures show of it."""

    step: int
    params: dict[str, np.ndarray]
    train_loss: float
    test_loss: float
    train_acc: float
    test_acc: float
    #: ‖∂L/∂W‖ per Affine layer, on the whole training set (W1 first)
    grad_norms: list[float]
    #: each hidden layer's activations on the training set, shape (N, width)
    activations: list[np.ndarray]
    #: predicted class at each grid point, shape (grid, grid), row 0 at the bottom (smallest y)
    regions: np.ndarray
    #: the winning class's softmax probability at each grid point
    confidence: np.ndarray


@dataclass
class Run:
    """A recorded training run: its settings, data, per-step batch loss and snapshots."""

    config: dict[str, Any]
    x_train: np.ndarray
    t_train: np.ndarray
    x_test: np.ndarray
    t_test: np.ndarray
    #: (xmin, xmax, ymin, ymax) of the grid where regions are evaluated
    bounds: tuple[float, float, float, float]
    classes: int
    batch_losses: list[float] = field(default_factory=list)
    snapshots: list[Snapshot] = field(default_factory=list)

    @property
    def final(self) -> Snapshot:
        """The last snapshot (the end of training)."""
        return self.snapshots[-1]

    def network(self, snapshot: Snapshot | None = None) -> MLP:
        """A fresh MLP holding the parameters of `snapshot` (default: the last one)."""
        snap = snapshot or self.final
        cfg = self.config
        net = MLP([2, *cfg["hidden"], self.classes], cfg["activation"], cfg["init"], cfg["seed"])
        for key, node in net.params.items():
            node.value = snap.params[key].copy()
        return net


def _check_positive_int(name: str, value: Any, low: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(f"record: {name} must be a whole number ≥ {low}, got {value!r}")
    return int(value)


def _config(data: str, hidden: Sequence[int], activation: str, init: str | float,
            optimizer: str, lr: float | None, steps: int, batch_size: int | None,
            snapshots: int, seed: int, grid: int, n_per_class: int) -> dict[str, Any]:
    """Check every option before any work; a clear message for each bad one."""
    if data not in DATASETS:
        raise ValueError(f"record: data must be one of {', '.join(DATASETS)}, got {data!r}")
    hidden = [_check_positive_int("each hidden size", h) for h in hidden]
    if activation not in ACTIVATIONS:
        raise ValueError(f"record: activation must be one of {', '.join(ACTIVATIONS)}, "
                         f"got {activation!r}")
    init_std(init, 1)
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"record: optimizer must be one of {', '.join(OPTIMIZERS)}, "
                         f"got {optimizer!r}")
    if lr is None:
        lr = OPTIMIZERS[optimizer][1]
    elif isinstance(lr, bool) or not isinstance(lr, (int, float)) or not lr > 0 \
            or not math.isfinite(lr):
        raise ValueError(f"record: lr must be a positive number, got {lr!r}")
    return {
        "data": data, "hidden": hidden, "activation": activation, "init": init,
        "optimizer": optimizer, "lr": float(lr),
        "steps": _check_positive_int("steps", steps),
        "batch_size": None if batch_size is None else _check_positive_int("batch_size",
                                                                           batch_size),
        "snapshots": _check_positive_int("snapshots", snapshots, 2),
        "seed": int(seed), "grid": _check_positive_int("grid", grid, 2),
        "n_per_class": _check_positive_int("n_per_class", n_per_class),
    }


def _accuracy(scores: np.ndarray, t: np.ndarray) -> float:
    return float(np.mean(np.argmax(scores, axis=1) == t))


def _grid_points(bounds: tuple[float, float, float, float], n: int) -> np.ndarray:
    xs = np.linspace(bounds[0], bounds[1], n)
    ys = np.linspace(bounds[2], bounds[3], n)
    gx, gy = np.meshgrid(xs, ys)  # row i is y = ys[i]
    return np.stack([gx.ravel(), gy.ravel()], axis=1)


def _take_snapshot(run: Run, net: MLP, step: int, grid_xy: np.ndarray) -> Snapshot:
    hidden: list[Node] = []
    scores = net(run.x_train, hidden)
    with autograd.scope("SoftmaxWithLoss"):
        loss = autograd.cross_entropy(scores, run.t_train)
    net.zero_grad()  # leaves accumulate: start from nothing, not from the last step's grads
    loss.backward(retain_grad=False)
    norms = [float(np.linalg.norm(net.params[f"W{i}"].grad)) for i in range(1, net.depth + 1)]
    with autograd.no_grad():
        test_scores = net(run.x_test).value
        test_loss = autograd.cross_entropy(test_scores, run.t_test).value
        probs = autograd.softmax(net(grid_xy).value).value
    n = run.config["grid"]
    return Snapshot(
        step=step,
        params={k: np.array(p.value, copy=True) for k, p in net.params.items()},
        train_loss=float(loss.value),
        test_loss=float(test_loss),
        train_acc=_accuracy(scores.value, run.t_train),
        test_acc=_accuracy(test_scores, run.t_test),
        grad_norms=norms,
        activations=[np.array(h.value, copy=True) for h in hidden],
        regions=np.argmax(probs, axis=1).astype(np.uint8).reshape(n, n),
        confidence=np.max(probs, axis=1).reshape(n, n),
    )


def record(data: str = "spiral", *, hidden: Sequence[int] = (10, 10), activation: str = "relu",
           init: str | float = "he", optimizer: str = "sgd", lr: float | None = None,
           steps: int = 2000, batch_size: int | None = None, snapshots: int = 40,
           seed: int = 0, grid: int = 50, n_per_class: int = 100,
           snapshot_at: Sequence[int] | None = None) -> Run:
    """Train an MLP on a 2-D data set with the engine, keeping snapshots along the way.

    Args:
        data: "spiral" (3 classes), "moons" or "circles" (2 classes); see :mod:`nn.toy`.
        hidden: the hidden layers' widths, e.g. (10, 10).
        activation: "relu", "sigmoid" or "tanh".
        init: weight-init std: "he" (√(2/n)), "xavier" (√(1/n)) or a number such as 0.01.
        optimizer: "sgd", "momentum", "nesterov", "adagrad", "rmsprop" or "adam".
        lr: learning rate (default: one that suits the optimizer, see ``OPTIMIZERS``).
        steps: parameter updates.
        batch_size: examples per step, drawn at random (default: the whole training set).
        snapshots: how many snapshots, log-spaced from step 0 to `steps`.
        seed: seeds the data, the initial weights and the batches.
        grid: the decision regions are evaluated on a grid × grid lattice.
        n_per_class: training points per class (the test set has as many).
        snapshot_at: explicit snapshot steps instead of the log-spaced ones (``[]`` for none,
            as the benchmark's plain training does).
    """
    cfg = _config(data, hidden, activation, init, optimizer, lr, steps, batch_size, snapshots,
                  seed, grid, n_per_class)
    (x, t), (xt, tt) = load_toy(data, cfg["n_per_class"], cfg["seed"])
    both = np.concatenate([x, xt])
    lo, hi = both.min(axis=0), both.max(axis=0)
    pad = 0.1 * (hi - lo)
    bounds = (float(lo[0] - pad[0]), float(hi[0] + pad[0]),
              float(lo[1] - pad[1]), float(hi[1] + pad[1]))
    classes = int(max(t.max(), tt.max())) + 1
    run = Run(cfg, x, t, xt, tt, bounds, classes)

    net = MLP([2, *cfg["hidden"], classes], cfg["activation"], cfg["init"], cfg["seed"])
    cls, _ = OPTIMIZERS[cfg["optimizer"]]
    opt = cls(net.parameters(), lr=cfg["lr"])
    at = set(snapshot_steps(cfg["steps"], cfg["snapshots"]) if snapshot_at is None
             else snapshot_at)
    grid_xy = _grid_points(bounds, cfg["grid"])
    batches = np.random.default_rng(np.random.SeedSequence([cfg["seed"], 2]))
    n, batch = len(t), cfg["batch_size"]
    for step in range(cfg["steps"] + 1):
        if step in at:
            run.snapshots.append(_take_snapshot(run, net, step, grid_xy))
        if step == cfg["steps"]:
            break
        if batch is None:
            xb, tb = x, t
        else:
            idx = batches.integers(0, n, batch)
            xb, tb = x[idx], t[idx]
        opt.zero_grad()
        loss = net.loss(xb, tb)
        loss.backward(retain_grad=False)
        opt.step()
        run.batch_losses.append(float(loss.value))
    return run
