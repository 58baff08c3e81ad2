"""The ops the graph records: one class per op, forward formula and local derivative together.

Read any class top to bottom: ``formula`` and ``derivative`` state the math, ``forward`` computes
the output from plain numbers or arrays, ``backward`` returns ``upstream gradient × local
derivative`` for each input. The public functions at the bottom (``exp(x)``, ``sum(x, axis)``, …)
wrap their arguments into Nodes and record the op.

Backward code is written once for two uses: normally it runs on plain NumPy values; under
``backward(create_graph=True)`` it receives Nodes, so the same lines record a new graph that can
be differentiated again. Arithmetic operators work on both; the few functions backward needs
(reshape, sum, …) come from ``_on(g)``, which picks NumPy or the recorded ops.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from autograd.node import Node, Op, _as_value, _binary, _data, _short, as_node, record

__all__ = [
    "add", "sub", "mul", "div", "pow", "neg", "matmul", "exp", "log", "sqrt", "tanh", "sigmoid",
    "relu", "sum", "mean", "max", "reshape", "transpose", "broadcast_to", "sum_to", "getitem",
    "softmax", "log_softmax", "cross_entropy", "apply", "sum_to_array",
]


# ===================================================================== helpers
def sum_to_array(x: Any, shape: tuple[int, ...]) -> np.ndarray:
    """Sum a NumPy array down to `shape`: the inverse of broadcasting it up to x's shape."""
    x = np.asarray(x)
    lead = x.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and x.shape[lead + i] != 1)
    if axes:
        x = x.sum(axis=axes, keepdims=True)
    return x.reshape(shape) if lead else x


def _shape(x: Any) -> tuple[int, ...]:
    return x.shape if x.__class__ is Node else np.shape(x)


def _kept_shape(shape: tuple[int, ...], axis: Any) -> tuple[int, ...]:
    """`shape` with the reduced axes kept as size 1 (what keepdims=True would give)."""
    if axis is None:
        return (1,) * len(shape)
    axes = {a % len(shape) for a in (axis if isinstance(axis, tuple) else (axis,))}
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def _apply(op: type[Op], inputs: tuple, params: tuple = ()) -> Node:
    if len(inputs) == 1 and not op.saves:  # the common case, without the generic machinery
        x = inputs[0]
        if x.__class__ is not Node:
            x = as_node(x)
        return record(op, op.forward(x.value, *params), (x,), params)
    nodes = tuple([x if x.__class__ is Node else as_node(x) for x in inputs])
    if op.saves:
        value, ctx = op.forward(*[n.value for n in nodes], *params)
    else:
        value, ctx = op.forward(*[n.value for n in nodes], *params), params
    return record(op, value, nodes, ctx)


def apply(op: type[Op], *inputs: Any, params: tuple = ()) -> Node:
    """Run `op` forward on `inputs` (Nodes, numbers or arrays) and record it in the graph.

    This is how `nn` turns its layers into ops: subclass `Op`, then ``apply(Affine, x, W, b)``.
    """
    return _apply(op, inputs, params)


# ===================================================================== arithmetic
class Add(Op):
    """Add node (加法节点): passes the upstream gradient to both inputs unchanged."""

    name, symbol = "add", "+"
    formula = "y = a + b"
    derivative = "∂y/∂a = 1,  ∂y/∂b = 1"

    @staticmethod
    def forward(a, b):
        return a + b

    @staticmethod
    def backward(g, y, ctx, a, b):
        return g, g


class Sub(Op):
    """Subtract node: the gradient reaches `b` with its sign flipped."""

    name, symbol = "sub", "−"
    formula = "y = a − b"
    derivative = "∂y/∂a = 1,  ∂y/∂b = −1"

    partial = True  # a constant operand (2 in 2 * x) gets no gradient computed

    @staticmethod
    def forward(a, b):
        return a - b

    @staticmethod
    def backward(g, y, ctx, a, b, needs=(True, True)):
        return g, (-g if needs[1] else None)


class Mul(Op):
    """Multiply node (乘法节点): each input gets the upstream gradient times the *other* input."""

    name, symbol = "mul", "×"
    formula = "y = a × b"
    derivative = "∂y/∂a = b,  ∂y/∂b = a"

    partial = True  # a constant operand (2 in 2 * x) gets no gradient computed

    @staticmethod
    def forward(a, b):
        return a * b

    @staticmethod
    def backward(g, y, ctx, a, b, needs=(True, True)):
        return (g * b if needs[0] else None,
                g * a if needs[1] else None)


class Div(Op):
    """Divide node."""

    name, symbol = "div", "÷"
    formula = "y = a / b"
    derivative = "∂y/∂a = 1/b,  ∂y/∂b = −a/b²"

    partial = True  # a constant operand (2 in 2 * x) gets no gradient computed

    @staticmethod
    def forward(a, b):
        return a / b

    @staticmethod
    def backward(g, y, ctx, a, b, needs=(True, True)):
        # −a/b² as (a/b)/b: b*b would underflow to 0 for |b| < 1e-154
        return (g / b if needs[0] else None,
                -g * (a / b) / b if needs[1] else None)


class Pow(Op):
    """Power with a variable exponent (``x ** y``, ``2 ** x``)."""

    name, symbol = "pow", "**"
    formula = "y = a ** b"
    derivative = "∂y/∂a = b·a^(b−1),  ∂y/∂b = y·ln a"

    partial = True  # a constant operand (2 in 2 * x) gets no gradient computed

    @staticmethod
    def forward(a, b):
        return _real_power(a, b)

    @staticmethod
    def backward(g, y, ctx, a, b, needs=(True, True)):
        return (g * b * a ** (b - 1) if needs[0] else None,
                g * y * log_any(a) if needs[1] else None)  # ln a: only when b needs it


class PowConst(Op):
    """Power with a constant exponent c (``x ** 2``, ``x ** -1``): the exponent is not a node."""

    name, symbol = "pow_const", "**c"
    formula = "y = x ** c"
    derivative = "∂y/∂x = c·x^(c−1)"

    @staticmethod
    def forward(x, c):
        return _real_power(x, c)

    @staticmethod
    def backward(g, y, ctx, x):
        (c,) = ctx
        return (g * c * x ** (c - 1),)


def _real_power(a, b):
    """a ** b kept real: Python gives a complex number for (-8.0) ** (1/3); NumPy gives NaN."""
    y = a ** b
    return math.nan if y.__class__ is complex else y


class Neg(Op):
    """Negate node."""

    name, symbol = "neg", "−x"
    formula = "y = −x"
    derivative = "∂y/∂x = −1"

    @staticmethod
    def forward(x):
        return -x

    @staticmethod
    def backward(g, y, ctx, x):
        return (-g,)


class MatMul(Op):
    """Matrix product; for stacked (batched) matrices the last two axes multiply."""

    name, symbol = "matmul", "@"
    formula = "Y = A @ B"
    derivative = "∂L/∂A = G @ Bᵀ,  ∂L/∂B = Aᵀ @ G"
    partial = True  # a data batch A needs no gradient: skip that whole product

    @staticmethod
    def forward(a, b):
        return a @ b

    @staticmethod
    def backward(g, y, ctx, a, b, needs=(True, True)):
        m = _on(g)
        return (g @ m.swapaxes(b, -1, -2) if needs[0] else None,
                m.swapaxes(a, -1, -2) @ g if needs[1] else None)


# ===================================================================== elementwise functions
class Exp(Op):
    """Exponential node: its derivative is its own output."""

    name, symbol = "exp", "exp"
    formula = "y = eˣ"
    derivative = "∂y/∂x = eˣ = y"

    @staticmethod
    def forward(x):
        return np.exp(x)

    @staticmethod
    def backward(g, y, ctx, x):
        return (g * y,)


class Log(Op):
    """Natural logarithm node."""

    name, symbol = "log", "log"
    formula = "y = ln x"
    derivative = "∂y/∂x = 1/x"

    @staticmethod
    def forward(x):
        return np.log(x)

    @staticmethod
    def backward(g, y, ctx, x):
        return (g / x,)


class Sqrt(Op):
    """Square root node."""

    name, symbol = "sqrt", "√"
    formula = "y = √x"
    derivative = "∂y/∂x = 1/(2√x) = 1/(2y)"

    @staticmethod
    def forward(x):
        return np.sqrt(x)

    @staticmethod
    def backward(g, y, ctx, x):
        return (g * 0.5 / y,)


class Tanh(Op):
    """Hyperbolic tangent node."""

    name, symbol = "tanh", "tanh"
    formula = "y = tanh x"
    derivative = "∂y/∂x = 1 − y²"

    @staticmethod
    def forward(x):
        return math.tanh(x) if x.__class__ is float else np.tanh(x)

    @staticmethod
    def backward(g, y, ctx, x):
        return (g * (1.0 - y * y),)


class Sigmoid(Op):
    """Sigmoid node (the textbook's Sigmoid layer): a compact derivative written with its output."""

    name, symbol = "sigmoid", "σ"
    formula = "y = 1 / (1 + e⁻ˣ)"
    derivative = "∂y/∂x = y(1 − y)"

    @staticmethod
    def forward(x):
        # 1/(1+e⁻ˣ) written as (1 + tanh(x/2))/2: the same number, but e⁻ˣ never overflows for
        # x = −1e4, and one tanh is much cheaper than NumPy's logaddexp
        if x.__class__ is float:
            return 0.5 * (math.tanh(0.5 * x) + 1.0)
        return 0.5 * (np.tanh(0.5 * x) + 1.0)

    @staticmethod
    def backward(g, y, ctx, x):
        return (g * y * (1.0 - y),)


class Relu(Op):
    """ReLU node (the textbook's Relu layer): a switch that passes the gradient where x > 0."""

    name, symbol = "relu", "ReLU"
    formula = "y = max(x, 0)"
    derivative = "∂y/∂x = 1 if x > 0 else 0"

    @staticmethod
    def forward(x):
        if x.__class__ is float:
            return x if x > 0.0 else 0.0
        return np.maximum(x, 0.0)

    @staticmethod
    def backward(g, y, ctx, x):
        return (g * (x > 0),)


# ===================================================================== reductions
class Sum(Op):
    """Sum over axes: every summed element receives the upstream gradient."""

    name, symbol = "sum", "Σ"
    formula = "y = Σᵢ xᵢ"
    derivative = "∂y/∂xᵢ = 1  (g is copied back to every element)"

    @staticmethod
    def forward(x, axis, keepdims):
        return np.sum(x, axis=axis, keepdims=keepdims)

    @staticmethod
    def backward(g, y, ctx, x):
        axis, keepdims = ctx
        m, shape = _on(g), _shape(x)
        if not keepdims:
            g = m.reshape(g, _kept_shape(shape, axis))
        return (m.broadcast_to(g, shape),)


class Mean(Op):
    """Mean over axes: every element receives 1/n of the upstream gradient."""

    name, symbol = "mean", "mean"
    formula = "y = (1/n) Σᵢ xᵢ"
    derivative = "∂y/∂xᵢ = 1/n"

    @staticmethod
    def forward(x, axis, keepdims):
        return np.mean(x, axis=axis, keepdims=keepdims)

    @staticmethod
    def backward(g, y, ctx, x):
        # a mean is a sum divided by n: Sum's backward, divided by n
        n = math.prod(_shape(x)) // (math.prod(np.shape(_data(y))) or 1)
        return Sum.backward(g / n, y, ctx, x)


class Max(Op):
    """Maximum over axes: the gradient goes to the maximal element(s), split evenly on ties."""

    name, symbol = "max", "max"
    formula = "y = max x"
    derivative = "∂y/∂xᵢ = 1 where xᵢ = y (shared among ties), else 0"

    @staticmethod
    def forward(x, axis, keepdims):
        return np.max(x, axis=axis, keepdims=keepdims)

    @staticmethod
    def backward(g, y, ctx, x):
        axis, keepdims = ctx
        m, shape = _on(g), _shape(x)
        kept = _kept_shape(shape, axis)
        hit = _data(x) == np.reshape(_data(y), kept)
        mask = hit / np.sum(hit, axis=axis, keepdims=True)
        return (m.reshape(g, kept) * mask,)


# ===================================================================== shapes and indexing
class Reshape(Op):
    """Same numbers, new shape; the gradient is reshaped back."""

    name, symbol = "reshape", "reshape"
    formula = "y = reshape(x, shape)"
    derivative = "∂L/∂x = reshape(∂L/∂y, x.shape)"

    @staticmethod
    def forward(x, shape):
        return np.reshape(x, shape)

    @staticmethod
    def backward(g, y, ctx, x):
        return (_on(g).reshape(g, _shape(x)),)


class Transpose(Op):
    """Permute axes; the gradient is permuted back with the inverse permutation."""

    name, symbol = "transpose", "ᵀ"
    formula = "y = transpose(x, axes)"
    derivative = "∂L/∂x = transpose(∂L/∂y, inverse(axes))"

    @staticmethod
    def forward(x, axes):
        return np.transpose(x, axes)

    @staticmethod
    def backward(g, y, ctx, x):
        (axes,) = ctx
        inverse = None if axes is None else tuple(np.argsort(axes))
        return (_on(g).transpose(g, inverse),)


class BroadcastTo(Op):
    """Copy x along new or size-1 axes; the copies' gradients are summed back (sum_to)."""

    name, symbol = "broadcast_to", "bcast"
    formula = "y = broadcast_to(x, shape)"
    derivative = "∂L/∂x = sum_to(∂L/∂y, x.shape)"

    @staticmethod
    def forward(x, shape):
        return np.broadcast_to(x, shape)

    @staticmethod
    def backward(g, y, ctx, x):
        return (_on(g).sum_to(g, _shape(x)),)


class SumTo(Op):
    """Sum down to a shape (the reverse of broadcasting); the gradient is broadcast back."""

    name, symbol = "sum_to", "sum_to"
    formula = "y = sum_to(x, shape)"
    derivative = "∂L/∂x = broadcast_to(∂L/∂y, x.shape)"

    @staticmethod
    def forward(x, shape):
        return sum_to_array(x, shape)

    @staticmethod
    def backward(g, y, ctx, x):
        return (_on(g).broadcast_to(g, _shape(x)),)


class GetItem(Op):
    """Indexing or slicing ``x[index]``: the gradient lands on the selected positions."""

    name, symbol = "getitem", "x[i]"
    formula = "y = x[index]"
    derivative = "∂L/∂x = zeros with ∂L/∂y added at [index]"

    @staticmethod
    def forward(x, index):
        return x[index]

    @staticmethod
    def backward(g, y, ctx, x):
        (index,) = ctx
        if g.__class__ is Node:
            return (_apply(GetItemGrad, (g,), (index, x.shape)),)
        return (GetItemGrad.forward(g, index, np.shape(x)),)


class GetItemGrad(Op):
    """Scatter-add into zeros: the backward of indexing, as an op so it can be differentiated."""

    name, symbol = "getitem_grad", "scatter"
    formula = "y = zeros(shape); y[index] += g"
    derivative = "∂L/∂g = (∂L/∂y)[index]"

    @staticmethod
    def forward(g, index, shape):
        out = np.zeros(shape, dtype=np.result_type(g, np.float64) if np.ndim(g) == 0
                       else np.asarray(g).dtype)
        np.add.at(out, index, g)  # add.at, not +=: repeated indices must all count
        return out

    @staticmethod
    def backward(gg, y, ctx, g):
        index, _ = ctx
        return (_on(gg).getitem(gg, index),)


# ===================================================================== softmax and loss
def _log_softmax_array(x: np.ndarray, axis: int) -> np.ndarray:
    shifted = x - np.max(x, axis=axis, keepdims=True)  # the shift keeps exp from overflowing
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


class Softmax(Op):
    """Softmax along an axis."""

    name, symbol = "softmax", "softmax"
    formula = "yᵢ = exp(xᵢ) / Σⱼ exp(xⱼ)"
    derivative = "∂L/∂x = y ⊙ (g − Σ(g ⊙ y))"

    @staticmethod
    def forward(x, axis):
        shifted = np.exp(x - np.max(x, axis=axis, keepdims=True))
        return shifted / np.sum(shifted, axis=axis, keepdims=True)

    @staticmethod
    def backward(g, y, ctx, x):
        (axis,) = ctx
        return (y * (g - _on(g).sum(g * y, axis, True)),)


class LogSoftmax(Op):
    """log(softmax(x)) computed without overflow (the shift by max x cancels)."""

    name, symbol = "log_softmax", "log_softmax"
    formula = "yᵢ = xᵢ − log Σⱼ exp(xⱼ)"
    derivative = "∂L/∂x = g − softmax(x) ⊙ Σ g,  softmax(x) = exp(y)"

    @staticmethod
    def forward(x, axis):
        return _log_softmax_array(x, axis)

    @staticmethod
    def backward(g, y, ctx, x):
        (axis,) = ctx
        m = _on(g)
        return (g - m.exp(y) * m.sum(g, axis, True),)


class CrossEntropy(Op):
    """Softmax + cross-entropy error, averaged over the batch (the textbook's SoftmaxWithLoss).

    Labels are class indices (N,) or one-hot / probability rows (N, C).
    """

    name, symbol = "cross_entropy", "Softmax-with-Loss"
    formula = "L = −(1/N) Σₙ Σₖ tₙₖ log softmax(x)ₙₖ"
    derivative = "∂L/∂x = (softmax(x) − t) / N"
    saves = True

    @staticmethod
    def forward(x, t):
        if np.ndim(x) != 2:
            raise ValueError(f"cross_entropy: logits must have shape (N, C), got {np.shape(x)}")
        n, classes = x.shape
        logp = _log_softmax_array(x, 1)
        if t.ndim == 2:
            loss = -np.sum(t * logp) / n
        else:
            loss = -np.sum(logp[np.arange(n), t]) / n
        return loss, (np.exp(logp), t)

    @staticmethod
    def backward(g, y, ctx, x):
        probs, t = ctx
        n, classes = probs.shape
        if g.__class__ is Node:
            # under create_graph, softmax(x) must be a recorded function of x, not the saved array
            onehot = t if t.ndim == 2 else np.eye(classes, dtype=probs.dtype)[t]
            return ((softmax(x, -1) - onehot) * (g / n),)
        if t.ndim == 2:
            return ((probs - t) * (g / n),)
        d = probs.copy()  # y − t for class-index labels: subtract 1 at each sample's class
        d[np.arange(n), t] -= 1.0
        return (d * (g / n),)


def check_labels(x_shape: tuple[int, ...], t: Any, op: str = "cross_entropy") -> np.ndarray:
    """Validate labels against logits of shape (N, C); returns them as an array.

    Accepted: class indices (N,), one-hot or probability rows (N, C), and a column of class
    indices (N, 1) (the book's ch07/gradient_check.py passes ``np.array([1]).reshape(1, 1)``),
    which is returned as (N,).
    """
    t = np.asarray(_data(t))
    n, classes = x_shape
    if t.ndim == 2 and t.shape == (n, 1) and classes != 1:
        t = t[:, 0]  # a column of class indices
    if t.ndim == 2:
        if t.shape != (n, classes):
            raise ValueError(f"{op}: one-hot labels have shape {t.shape} but logits have shape "
                             f"{x_shape}; labels may be ({n}, {classes}) one-hot rows or a "
                             f"({n}, 1) column of class indices")
        return t
    if t.ndim != 1 or t.shape[0] != n:
        raise ValueError(f"{op}: labels have shape {t.shape}; expected ({n},) class indices, "
                         f"a ({n}, 1) column of them or ({n}, {classes}) one-hot rows for logits "
                         f"of shape {x_shape}")
    if t.dtype.kind not in "iu":
        if t.dtype.kind == "f" and np.all(t == np.round(t)):
            t = t.astype(np.int64)
        else:
            raise TypeError(f"{op}: class-index labels must be integers, got dtype {t.dtype}")
    if t.size and (t.min() < 0 or t.max() >= classes):
        bad = t[(t < 0) | (t >= classes)][0]
        raise ValueError(f"{op}: label {bad} is out of range for {classes} classes "
                         f"(labels must be 0..{classes - 1})")
    return t


# ===================================================================== public functions
def add(a: Any, b: Any) -> Node:
    """a + b (broadcasting like NumPy)."""
    return _binary(Add, a, b)


def sub(a: Any, b: Any) -> Node:
    """a − b (broadcasting like NumPy)."""
    return _binary(Sub, a, b)


def mul(a: Any, b: Any) -> Node:
    """a × b, elementwise (broadcasting like NumPy)."""
    return _binary(Mul, a, b)


def div(a: Any, b: Any) -> Node:
    """a / b, elementwise (broadcasting like NumPy)."""
    return _binary(Div, a, b)


def pow(a: Any, b: Any) -> Node:  # noqa: A001 - the name users expect
    """a ** b. A constant exponent (number or array) is not a node of the graph."""
    if b.__class__ is not Node:
        if a.__class__ is not Node:
            a = as_node(a)
        # the exponent is checked like any value (no strings, None or complex numbers)
        c = b if b.__class__ in (int, float) else _as_value(_data(b), "pow exponent")
        try:
            value = PowConst.forward(a.value, c)
        except ZeroDivisionError:
            raise ZeroDivisionError(f"pow: division by zero ({_short(a.value, 30)} ** {c}); "
                                    f"Python floats raise where NumPy arrays give inf") from None
        return record(PowConst, value, (a,), (c,))
    return _binary(Pow, a, b)


def neg(x: Any) -> Node:
    """−x."""
    return _apply(Neg, (x,))


def matmul(a: Any, b: Any) -> Node:
    """Matrix product a @ b (NumPy rules; 1-D operands are treated as row/column vectors)."""
    a = a if a.__class__ is Node else as_node(a)
    b = b if b.__class__ is Node else as_node(b)
    sa, sb = a.shape, b.shape
    if not sa or not sb:
        raise ValueError(f"matmul: scalar operand (shapes {sa} and {sb}); use * for scalars")
    inner_b = sb[0] if len(sb) == 1 else sb[-2]
    if sa[-1] != inner_b:
        raise ValueError(f"matmul: shapes {sa} and {sb} do not align ({sa[-1]} != {inner_b})")
    if len(sa) == 1 or len(sb) == 1:
        # a vector is a (1, n) row on the left, an (n, 1) column on the right; that axis is
        # dropped from the result again, as NumPy does
        out = matmul(reshape(a, (1, sa[0])) if len(sa) == 1 else a,
                     reshape(b, (sb[0], 1)) if len(sb) == 1 else b)
        shape = list(out.shape)
        if len(sb) == 1:
            del shape[-1]
        if len(sa) == 1:
            del shape[-1 if len(sb) == 1 else -2]
        return reshape(out, tuple(shape))
    try:
        value = a.value @ b.value
    except ValueError:
        raise ValueError(f"matmul: shapes {sa} and {sb} cannot be broadcast together") from None
    return record(MatMul, value, (a, b))


def exp(x: Any) -> Node:
    """eˣ, elementwise."""
    return _apply(Exp, (x,))


def log(x: Any) -> Node:
    """Natural logarithm, elementwise."""
    return _apply(Log, (x,))


def log_any(x: Any) -> Any:
    """log of a Node (recorded) or of a plain value (NumPy): used inside backward code."""
    return log(x) if x.__class__ is Node else np.log(x)


def sqrt(x: Any) -> Node:
    """Square root, elementwise."""
    return _apply(Sqrt, (x,))


def tanh(x: Any) -> Node:
    """Hyperbolic tangent, elementwise."""
    return _apply(Tanh, (x,))


def sigmoid(x: Any) -> Node:
    """Logistic sigmoid 1/(1+e⁻ˣ), elementwise; stable for large |x|."""
    return _apply(Sigmoid, (x,))


def relu(x: Any) -> Node:
    """max(x, 0), elementwise."""
    return _apply(Relu, (x,))


def _axis(axis: Any) -> Any:
    return tuple(axis) if isinstance(axis, list) else axis


def sum(x: Any, axis: Any = None, keepdims: bool = False) -> Node:  # noqa: A001
    """Sum over `axis` (an int, a tuple, or None for all elements)."""
    return _apply(Sum, (x,), (_axis(axis), keepdims))


def mean(x: Any, axis: Any = None, keepdims: bool = False) -> Node:
    """Mean over `axis` (an int, a tuple, or None for all elements)."""
    return _apply(Mean, (x,), (_axis(axis), keepdims))


def max(x: Any, axis: Any = None, keepdims: bool = False) -> Node:  # noqa: A001
    """Maximum over `axis`; ties share the gradient equally."""
    return _apply(Max, (x,), (_axis(axis), keepdims))


def reshape(x: Any, shape: tuple[int, ...]) -> Node:
    """Same values in a new shape (one entry may be -1)."""
    x = x if x.__class__ is Node else as_node(x)
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    try:
        return _apply(Reshape, (x,), (shape,))
    except ValueError:
        raise ValueError(f"reshape: cannot reshape shape {x.shape} ({x.size} elements) into "
                         f"{shape}") from None


def transpose(x: Any, axes: tuple[int, ...] | None = None) -> Node:
    """Permute axes (reverse them when `axes` is None)."""
    return _apply(Transpose, (x,), (None if axes is None else tuple(axes),))


def broadcast_to(x: Any, shape: tuple[int, ...]) -> Node:
    """Broadcast x to `shape` (NumPy rules); backward sums the copies."""
    x = x if x.__class__ is Node else as_node(x)
    try:
        return _apply(BroadcastTo, (x,), (tuple(shape),))
    except ValueError:
        raise ValueError(f"broadcast_to: cannot broadcast shape {x.shape} to {tuple(shape)}") \
            from None


def sum_to(x: Any, shape: tuple[int, ...]) -> Node:
    """Sum x down to `shape`, the inverse of broadcasting."""
    x = x if x.__class__ is Node else as_node(x)
    try:
        np.broadcast_shapes(tuple(shape), x.shape)
    except ValueError:
        raise ValueError(f"sum_to: cannot sum shape {x.shape} down to {tuple(shape)}") from None
    return _apply(SumTo, (x,), (tuple(shape),))


def getitem(x: Any, index: Any) -> Node:
    """x[index]: integers, slices, integer/boolean arrays, as in NumPy."""
    if isinstance(index, tuple):
        index = tuple(_data(i) for i in index)
    else:
        index = _data(index)
    return _apply(GetItem, (x,), (index,))


def softmax(x: Any, axis: int = -1) -> Node:
    """exp(x) / Σ exp(x) along `axis`, computed without overflow."""
    return _apply(Softmax, (x,), (axis,))


def log_softmax(x: Any, axis: int = -1) -> Node:
    """log(softmax(x)) along `axis`, computed without overflow."""
    return _apply(LogSoftmax, (x,), (axis,))


def cross_entropy(x: Any, t: Any) -> Node:
    """Mean cross-entropy of softmax(x) against labels t (class indices or one-hot rows).

    The textbook's SoftmaxWithLoss as one op: backward is (softmax(x) − t) / N.
    """
    x = x if x.__class__ is Node else as_node(x)
    if x.ndim != 2:
        raise ValueError(f"cross_entropy: logits must have shape (N, C), got {x.shape}")
    t = check_labels(x.shape, t)
    return _apply(CrossEntropy, (x,), (t,))


class _OnArrays:
    """The functions backward code calls, on plain NumPy arrays (the usual case)."""

    reshape = staticmethod(np.reshape)
    broadcast_to = staticmethod(np.broadcast_to)
    transpose = staticmethod(np.transpose)
    swapaxes = staticmethod(np.swapaxes)
    exp = staticmethod(np.exp)
    sum_to = staticmethod(sum_to_array)

    @staticmethod
    def sum(x, axis=None, keepdims=False):
        return np.sum(x, axis=axis, keepdims=keepdims)

    @staticmethod
    def getitem(x, index):
        return x[index]


class _OnNodes:
    """The same functions as recorded ops, for ``backward(create_graph=True)``."""

    reshape = staticmethod(reshape)
    broadcast_to = staticmethod(broadcast_to)
    transpose = staticmethod(transpose)
    exp = staticmethod(exp)
    sum = staticmethod(sum)
    sum_to = staticmethod(sum_to)
    getitem = staticmethod(getitem)

    @staticmethod
    def swapaxes(x, a1, a2):
        x = as_node(x)
        axes = list(range(x.ndim))
        axes[a1], axes[a2] = axes[a2], axes[a1]
        return transpose(x, tuple(axes))


def _on(g: Any) -> type[_OnArrays] | type[_OnNodes]:
    """NumPy when backward runs on values; recorded ops when it runs on Nodes (create_graph)."""
    return _OnNodes if g.__class__ is Node else _OnArrays
