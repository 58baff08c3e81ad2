"""The same training step written for graphgrad's peers: hand-written NumPy, DeZero, PyTorch.

Every ``make_*`` function takes the initial parameters (a dict of arrays, the book's names) and
returns ``step(x, t)``: one SGD step (forward, loss, backward, update) that changes its own copy of
the parameters and returns the loss. All versions of a network start from the same numbers and
take the same step, which `verify` checks, so a timing ratio compares the same arithmetic.

- TwoLayerNet 784-50-10 (chapter 5): graphgrad (``net.gradient``, the book's training loop;
  ``net.gradient_by_engine``, the graph and ``loss.backward()``; and the PyTorch-style loop,
  ``zero_grad`` / ``loss.backward()`` / ``SGD.step``), hand-written NumPy (bench_nn.py),
  graphgrad's engine with no layers (the ops recorded by hand), the matrix products alone (the
  floor), a minimal graph engine on graphgrad's ops (the engine floor), DeZero 0.0.13, PyTorch
  CPU.
- SimpleConvNet (chapter 7): graphgrad both ways, hand-written im2col NumPy with the book's
  im2col (bench_nn.py), PyTorch CPU.

The peers are optional imports: `dezero()` / `torch()` return None when the package is missing.
``python benchmarks/bench_peers.py`` checks that every available version takes the same step.
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

LR = 0.1
Step = Any  # a callable step(x, t) -> loss


# ===================================================================== optional peers
def micrograd_value() -> type | None:
    """The real micrograd 0.1.0 ``Value`` class, or None when micrograd is not installed."""
    try:
        from micrograd.engine import Value
    except ImportError:
        return None
    return Value


def dezero() -> Any:
    """The dezero module (0.0.13), or None. Restores ``np.int``, which it uses at import."""
    if not hasattr(np, "int"):
        np.int = int  # removed in NumPy 1.24; DeZero 0.0.13 still names it
    try:
        import dezero as dz
        import dezero.functions  # noqa: F401
        import dezero.optimizers  # noqa: F401
    except ImportError:
        return None
    return dz


def torch() -> Any:
    """The torch module, or None when PyTorch is not installed."""
    try:
        import torch as th
    except ImportError:
        return None
    return th


# ===================================================================== data and parameters
def batches(flatten: bool, dtype: Any = np.float64, count: int = 16, size: int = 100,
            seed: int = 0) -> tuple[list[tuple[np.ndarray, np.ndarray]], str]:
    """`count` batches of MNIST training images and one-hot labels in `dtype`, and the source.

    Data from ``bench_nn.load_data``: real MNIST when it is on disk, random pixels otherwise
    (the timings do not depend on the pixel values). Labels are one-hot rows, as in the book's
    training script and in ``bench_nn``'s hand-written steps.
    """
    from bench_nn import load_data

    x, t, source = load_data(flatten)
    rng = np.random.default_rng(seed)
    picks = [rng.choice(len(x), size, replace=False) for _ in range(count)]
    return [(x[i].astype(dtype), t[i].astype(dtype)) for i in picks], source


def two_layer_params(seed: int = 0, std: float = 0.01) -> dict[str, np.ndarray]:
    """TwoLayerNet(784, 50, 10)'s parameters, drawn as the book draws them."""
    rng = np.random.default_rng(seed)
    return {"W1": std * rng.standard_normal((784, 50)), "b1": np.zeros(50),
            "W2": std * rng.standard_normal((50, 10)), "b2": np.zeros(10)}


def conv_params(seed: int = 0, std: float = 0.01) -> dict[str, np.ndarray]:
    """SimpleConvNet's parameters (30 filters 5×5, hidden 100, 10 classes), the book's init."""
    rng = np.random.default_rng(seed)
    return {"W1": std * rng.standard_normal((30, 1, 5, 5)), "b1": np.zeros(30),
            "W2": std * rng.standard_normal((30 * 12 * 12, 100)), "b2": np.zeros(100),
            "W3": std * rng.standard_normal((100, 10)), "b3": np.zeros(10)}


def _copy(params: dict[str, np.ndarray], dtype: Any) -> dict[str, np.ndarray]:
    return {k: np.array(v, dtype=dtype) for k, v in params.items()}


# ===================================================================== graphgrad, the book's loop
def _book_step(net: Any, params: dict[str, np.ndarray], engine: bool) -> Step:
    """The book's training step for a graphgrad model `net`, started from `params`:
    ``grads = net.gradient(x, t)`` (the layer chain) or, with `engine`,
    ``net.gradient_by_engine(x, t)`` (record + loss.backward()), then ``p -= LR * grad``."""
    p = net.params
    for key, value in params.items():
        p[key][...] = value
    gradient = net.gradient_by_engine if engine else net.gradient

    def step(x: np.ndarray, t: np.ndarray) -> float:
        grads = gradient(x, t)
        for key in p:
            p[key] -= LR * grads[key]
        return np.nan

    step.params = p  # type: ignore[attr-defined]
    return step


# ===================================================================== TwoLayerNet
def make_ours_two_layer(params: dict[str, np.ndarray], dtype: Any = np.float64,
                        engine: bool = False) -> Step:
    """graphgrad's TwoLayerNet, trained as in the book (see `_book_step`)."""
    from nn import TwoLayerNet

    return _book_step(TwoLayerNet(784, 50, 10).astype(dtype), params, engine)


def make_engine_two_layer(params: dict[str, np.ndarray], dtype: Any = np.float64) -> Step:
    """`make_ours_two_layer` through the engine: ``net.gradient_by_engine(x, t)``."""
    return make_ours_two_layer(params, dtype, engine=True)


def make_pytorch_style_two_layer(params: dict[str, np.ndarray],
                                 dtype: Any = np.float64) -> Step:
    """graphgrad's TwoLayerNet trained PyTorch's way: ``opt.zero_grad()``, the loss recorded on
    Nodes, ``loss.backward(retain_grad=False)``, ``opt.step()`` with ``SGD(net.parameters())``."""
    from autograd import Node
    from nn import SGD, TwoLayerNet

    net = TwoLayerNet(784, 50, 10).astype(dtype)
    p = net.params
    for key, value in params.items():
        p[key][...] = value
    opt = SGD(net.parameters(), lr=LR)

    def step(x: np.ndarray, t: np.ndarray) -> float:
        opt.zero_grad()
        net.loss(Node(x, requires_grad=False), t, train_flg=True).backward(retain_grad=False)
        opt.step()
        return np.nan

    step.params = p  # type: ignore[attr-defined]
    return step


def make_numpy_two_layer(params: dict[str, np.ndarray], dtype: Any = np.float64) -> Step:
    """The step written out in NumPy by hand: ``bench_nn.numpy_two_layer_step``."""
    from bench_nn import numpy_two_layer_step

    p = _copy(params, dtype)

    def step(x: np.ndarray, t: np.ndarray) -> float:
        return numpy_two_layer_step(x, t, p, LR)

    step.params = p  # type: ignore[attr-defined]
    return step


def make_matmul_floor(params: dict[str, np.ndarray], dtype: Any = np.float64) -> Step:
    """The TwoLayerNet step's matrix products alone: 2 forward, 3 backward (no dx for the data)."""
    p = _copy(params, dtype)
    W1, W2 = p["W1"], p["W2"]
    rng = np.random.default_rng(1)
    dy = rng.standard_normal((100, 10)).astype(dtype)

    def floor(x: np.ndarray, t: np.ndarray) -> float:
        z1 = x @ W1
        z1 @ W2  # noqa: B018 - the product is the work being timed
        z1.T @ dy  # dW2
        dz = dy @ W2.T  # dh
        x.T @ dz  # noqa: B018 - dW1
        return 0.0

    floor.params = p  # type: ignore[attr-defined]
    return floor


def make_engine_core_two_layer(params: dict[str, np.ndarray],
                               dtype: Any = np.float64) -> Step:
    """graphgrad's engine without the layers: the same ops recorded with `autograd.node.record`
    (as the layers record them) and ``loss.backward(retain_grad=False)``."""
    from autograd import Node, ops
    from autograd.node import as_node, record
    from nn.layers import AffineOp

    p = _copy(params, dtype)
    keys = ("W1", "b1", "W2", "b2")
    leaves = [Node(p[k]) for k in keys]

    def step(x: np.ndarray, t: np.ndarray) -> float:
        W1, b1, W2, b2 = leaves
        for leaf in leaves:
            leaf.grad = None
        h = record(AffineOp, AffineOp.forward(x, W1.value, b1.value), as_node(x), W1, (b1,))
        a = record(ops.Relu, ops.Relu.forward(h.value), h)
        s = record(AffineOp, AffineOp.forward(a.value, W2.value, b2.value), a, W2, (b2,))
        value, ctx = ops.CrossEntropy.forward(s.value, t)
        record(ops.CrossEntropy, value, s, None, (), ctx).backward(retain_grad=False)
        for key, leaf in zip(keys, leaves):
            p[key] -= LR * leaf.grad
        return float(value)

    step.params = p  # type: ignore[attr-defined]
    return step


def make_ops_two_layer(params: dict[str, np.ndarray], dtype: Any = np.float64) -> Step:
    """graphgrad's ops called directly: each op's forward, then each op's backward in reverse, by
    hand, with no graph, no layers and no engine. What the graph path computes, and nothing
    else."""
    from autograd import ops
    from nn.layers import AffineOp

    p = _copy(params, dtype)
    one = np.dtype(dtype).type(1)

    def step(x: np.ndarray, t: np.ndarray) -> float:
        W1, b1, W2, b2 = p["W1"], p["b1"], p["W2"], p["b2"]
        h = AffineOp.forward(x, W1, b1)
        a = ops.Relu.forward(h)
        s = AffineOp.forward(a, W2, b2)
        value, ctx = ops.CrossEntropy.forward(s, t)
        (ds,) = ops.CrossEntropy.backward(one, value, ctx, s)
        da, dW2, db2 = AffineOp.backward(ds, s, (), a, W2, b2)
        (dh,) = ops.Relu.backward(da, a, (), h)
        _, dW1, db1 = AffineOp.backward(dh, h, (), x, W1, b1, needs=(False, True, True))
        for key, grad in (("W1", dW1), ("b1", db1), ("W2", dW2), ("b2", db2)):
            p[key] -= LR * grad
        return float(value)

    step.params = p  # type: ignore[attr-defined]
    return step


_REC_IDS = itertools.count()  # ids in the order nodes are made


class _Rec:
    """A node of `make_minimal_engine_two_layer`'s graph: its value, op, inputs, ctx, id, grad."""

    __slots__ = ("value", "op", "inputs", "ctx", "id", "grad", "requires_grad")

    def __init__(self, value: Any, op: Any = None, inputs: tuple = (), ctx: Any = (),
                 requires_grad: bool = True) -> None:
        self.value, self.op, self.inputs, self.ctx = value, op, inputs, ctx
        self.id, self.grad, self.requires_grad = next(_REC_IDS), None, requires_grad


def make_minimal_engine_two_layer(params: dict[str, np.ndarray],
                                  dtype: Any = np.float64) -> Step:
    """The least a graph engine in Python does for this step (the engine floor): graphgrad's own
    ops (AffineOp, Relu, CrossEntropy), each recorded as a node, then a walk from the loss, a sort
    by id and the chain rule. No layers, no shape or dtype checks, no grad mode or scopes, no
    lock: what any engine that records a graph in Python pays at least, on top of the ops."""
    from autograd import ops
    from nn.layers import AffineOp

    p = _copy(params, dtype)
    keys = ("W1", "b1", "W2", "b2")
    leaves = [_Rec(p[k]) for k in keys]
    one = np.dtype(dtype).type(1)

    def step(x: np.ndarray, t: np.ndarray) -> float:
        W1, b1, W2, b2 = leaves
        for leaf in leaves:
            leaf.grad = None
        h = _Rec(AffineOp.forward(x, W1.value, b1.value), AffineOp,
                 (_Rec(x, requires_grad=False), W1, b1))
        a = _Rec(ops.Relu.forward(h.value), ops.Relu, (h,))
        s = _Rec(AffineOp.forward(a.value, W2.value, b2.value), AffineOp, (a, W2, b2))
        value, ctx = ops.CrossEntropy.forward(s.value, t)
        loss = _Rec(value, ops.CrossEntropy, (s,), ctx)
        order, stack, seen = [], [loss], set()
        while stack:
            node = stack.pop()
            if node.op is not None and node.id not in seen:
                seen.add(node.id)
                order.append(node)
                stack.extend(node.inputs)
        order.sort(key=lambda node: node.id, reverse=True)
        loss.grad = one
        for node in order:
            values = [inp.value for inp in node.inputs]
            needs = tuple([inp.requires_grad for inp in node.inputs])
            if node.op.partial:
                grads = node.op.backward(node.grad, node.value, node.ctx, *values, needs=needs)
            else:
                grads = node.op.backward(node.grad, node.value, node.ctx, *values)
            for inp, g in zip(node.inputs, grads):
                if g is not None and inp.requires_grad:
                    inp.grad = g if inp.grad is None else inp.grad + g
        for key, leaf in zip(keys, leaves):
            p[key] -= LR * leaf.grad
        return float(value)

    step.params = p  # type: ignore[attr-defined]
    return step


def make_dezero_two_layer(params: dict[str, np.ndarray], dtype: Any = np.float64) -> Step | None:
    """DeZero's MLP((50, 10), relu) with SGD, as in the DeZero book's MNIST example."""
    dz = dezero()
    if dz is None:
        return None
    F = dz.functions
    model = dz.models.MLP((50, 10), activation=F.relu)
    p = _copy(params, dtype)
    model.l0.W.data, model.l0.b.data = p["W1"], p["b1"]
    model.l1.W.data, model.l1.b.data = p["W2"], p["b2"]
    opt = dz.optimizers.SGD(LR).setup(model)
    labels: dict[int, np.ndarray] = {}  # DeZero takes class indices: converted once per batch

    def step(x: np.ndarray, t: np.ndarray) -> float:
        ti = labels.get(id(t))
        if ti is None:
            ti = labels[id(t)] = t.argmax(axis=1) if t.ndim == 2 else t
        loss = F.softmax_cross_entropy(model(x), ti)
        model.cleargrads()
        loss.backward()
        opt.update()
        return float(loss.data)

    step.params = p  # type: ignore[attr-defined]  # DeZero's SGD updates .data in place
    return step


def make_torch_two_layer(params: dict[str, np.ndarray], dtype: Any = np.float32) -> Step | None:
    """The same net in PyTorch (CPU): tensors with requires_grad, F.cross_entropy, manual SGD."""
    th = torch()
    if th is None:
        return None
    F = th.nn.functional
    p = {k: th.from_numpy(v) for k, v in _copy(params, dtype).items()}
    for v in p.values():
        v.requires_grad_(True)
    W1, b1, W2, b2 = p["W1"], p["b1"], p["W2"], p["b2"]
    labels: dict[int, Any] = {}

    def step(x: np.ndarray, t: np.ndarray) -> float:
        xt = th.from_numpy(x)
        tt = labels.get(id(t))
        if tt is None:  # one-hot rows are class probabilities to F.cross_entropy
            tt = labels[id(t)] = th.from_numpy(t if t.ndim == 2 else t.astype(np.int64))
        loss = F.cross_entropy(F.relu(xt @ W1 + b1) @ W2 + b2, tt)
        for v in (W1, b1, W2, b2):
            v.grad = None
        loss.backward()
        with th.no_grad():
            for v in (W1, b1, W2, b2):
                v -= LR * v.grad
        return loss.item()

    step.params = {k: v.detach().numpy() for k, v in p.items()}  # type: ignore[attr-defined]
    return step


# ===================================================================== SimpleConvNet
def make_ours_conv(params: dict[str, np.ndarray], dtype: Any = np.float64,
                   engine: bool = False) -> Step:
    """graphgrad's SimpleConvNet, trained as in the book (see `_book_step`)."""
    from nn import SimpleConvNet

    return _book_step(SimpleConvNet().astype(dtype), params, engine)


def make_engine_conv(params: dict[str, np.ndarray], dtype: Any = np.float64) -> Step:
    """`make_ours_conv` through the engine: ``net.gradient_by_engine(x, t)``."""
    return make_ours_conv(params, dtype, engine=True)


def make_numpy_conv(params: dict[str, np.ndarray], dtype: Any = np.float64) -> Step:
    """SimpleConvNet's step by hand with the book's im2col/col2im: ``bench_nn.numpy_conv_step``."""
    from bench_nn import book_col2im, book_im2col, numpy_conv_step

    p = _copy(params, dtype)

    def step(x: np.ndarray, t: np.ndarray) -> float:
        return numpy_conv_step(x, t, p, LR, book_im2col, book_col2im)

    step.params = p  # type: ignore[attr-defined]
    return step


def make_torch_conv(params: dict[str, np.ndarray], dtype: Any = np.float32) -> Step | None:
    """SimpleConvNet in PyTorch (CPU): conv2d, relu, max_pool2d, two linear layers."""
    th = torch()
    if th is None:
        return None
    F = th.nn.functional
    p = {k: th.from_numpy(v) for k, v in _copy(params, dtype).items()}
    for v in p.values():
        v.requires_grad_(True)
    labels: dict[int, Any] = {}

    def step(x: np.ndarray, t: np.ndarray) -> float:
        xt = th.from_numpy(x)
        tt = labels.get(id(t))
        if tt is None:  # one-hot rows are class probabilities to F.cross_entropy
            tt = labels[id(t)] = th.from_numpy(t if t.ndim == 2 else t.astype(np.int64))
        h = F.max_pool2d(F.relu(F.conv2d(xt, p["W1"], p["b1"])), 2)
        h = F.relu(h.flatten(1) @ p["W2"] + p["b2"])
        loss = F.cross_entropy(h @ p["W3"] + p["b3"], tt)
        for v in p.values():
            v.grad = None
        loss.backward()
        with th.no_grad():
            for v in p.values():
                v -= LR * v.grad
        return loss.item()

    step.params = {k: v.detach().numpy() for k, v in p.items()}  # type: ignore[attr-defined]
    return step


# ===================================================================== checking
TWO_LAYER = {"graphgrad": make_ours_two_layer, "graphgrad engine": make_engine_two_layer,
             "graphgrad PyTorch-style": make_pytorch_style_two_layer,
             "NumPy by hand": make_numpy_two_layer,
             "graphgrad engine, no layers": make_engine_core_two_layer,
             "graphgrad's ops, no graph": make_ops_two_layer,
             "a minimal graph engine": make_minimal_engine_two_layer,
             "DeZero 0.0.13": make_dezero_two_layer, "PyTorch CPU": make_torch_two_layer}
CONV = {"graphgrad": make_ours_conv, "graphgrad engine": make_engine_conv,
        "NumPy im2col by hand": make_numpy_conv,
        "PyTorch CPU": make_torch_conv}


def verify(makers: dict[str, Any], params: dict[str, np.ndarray],
           data: list[tuple[np.ndarray, np.ndarray]], dtype: Any = np.float64) -> dict[str, float]:
    """Run every version over the batches in `data` from the same start. Returns, for each, the
    largest difference of its parameters from the first version's, relative to how far the
    first version's parameters moved: all tiny, since the same step is being timed."""
    ends = {}
    for name, make in makers.items():
        step = make(params, dtype)
        if step is None:
            continue
        for x, t in data:
            step(x, t)
        ends[name] = {k: np.asarray(v, dtype=np.float64).copy() for k, v in step.params.items()}
    first = next(iter(ends.values()))
    moved = max(float(np.max(np.abs(first[k] - params[k]))) for k in first)
    return {name: max(float(np.max(np.abs(end[k] - first[k]))) for k in first) / moved
            for name, end in ends.items()}


def main() -> None:
    for title, makers, params, flatten in (
            ("TwoLayerNet", TWO_LAYER, two_layer_params(), True),
            ("SimpleConvNet", CONV, conv_params(), False)):
        data, source = batches(flatten, count=3)
        diffs = verify(makers, params, data)
        print(f"{title} ({source}), after 3 SGD steps, max |Δparameter| vs graphgrad / "
              f"max |update|: " + ", ".join(f"{name} {d:.1e}" for name, d in diffs.items()))


if __name__ == "__main__":
    main()
