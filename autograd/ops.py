"""The ops the graph records: one class per op, forward formula and local derivative together.

Read any class top to bottom: ``formula`` and ``derivative`` state the math, ``forward`` computes
the output from plain numbers or arrays, ``backward`` returns ``upstream gradient × local
derivative`` for each input. The public function right below each class (``exp(x)``,
``sum(x, axis)``, …) checks its arguments, naming the op in any error, and records the op.

Backward code is written once for two uses: normally it runs on plain NumPy values; under
``backward(create_graph=True)`` it receives Nodes, so the same lines record a new graph that can
be differentiated again. Arithmetic operators work on both; the few functions backward needs
(reshape, sum, cos, …) come from ``_on(g)``, which picks NumPy or the recorded ops.

Gradients keep the input's dtype: float32 in, float32 gradients out (constants are Python
floats, which NumPy does not let widen an array).
"""

from __future__ import annotations

import builtins
import math
import operator
from typing import Any

import numpy as np

from autograd.node import Node, Op, as_node, record, record_inputs

__all__ = [
    "add", "sub", "mul", "div", "pow", "neg", "matmul", "exp", "log", "sqrt", "sin", "cos",
    "tanh", "sigmoid", "relu", "leaky_relu", "clip", "sum", "mean", "max", "min", "reshape",
    "flatten", "transpose", "broadcast_to", "sum_to", "getitem", "linear", "softmax",
    "log_softmax", "cross_entropy", "mean_squared_error", "dropout", "accuracy", "apply",
    "sum_to_array",
]


# ===================================================================== helpers
def _short(value: Any, limit: int = 60) -> str:
    """repr(value), cut to `limit` characters for error messages."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _plain(x: Any) -> Any:
    """The value of a Node, or x itself."""
    return x.value if x.__class__ is Node else x


def _shape(x: Any) -> tuple[int, ...]:
    return x.shape if x.__class__ is Node else np.shape(x)


def sum_to_array(x: Any, shape: tuple[int, ...]) -> np.ndarray:
    """Sum a NumPy array down to `shape`: the inverse of broadcasting it up to x's shape.

    Raises ValueError when `shape` does not broadcast to x's shape (a (1, 3) array cannot
    be the sum of a (4, 3) one's copies, nor (2, 3) of (3,)).
    """
    x = np.asarray(x)
    shape = tuple(shape)
    lead = x.ndim - len(shape)
    if lead < 0 or any(n != 1 and n != m for n, m in zip(shape, x.shape[lead:])):
        raise ValueError(f"sum_to: cannot sum shape {x.shape} down to {shape}")
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and x.shape[lead + i] != 1)
    if axes:
        x = x.sum(axis=axes, keepdims=True)
    return x.reshape(shape) if lead else x


def _axes(op: str, axis: Any, shape: tuple[int, ...]) -> Any:
    """Check a reduction's `axis` (None, an int or a tuple of ints) against `shape`."""
    if axis is None:
        return None
    axis = tuple(axis) if isinstance(axis, list) else axis
    for a in axis if isinstance(axis, tuple) else (axis,):
        if isinstance(a, (bool, np.bool_)) or not isinstance(a, (int, np.integer)):
            raise TypeError(f"{op}: axis must be None, an int or a tuple of ints, got "
                            f"{_short(axis)}")
        if not -len(shape) <= a < len(shape):
            raise ValueError(f"{op}: axis {a} is out of range for shape {shape} "
                             f"({len(shape)} axes)")
    if isinstance(axis, tuple) and len({a % len(shape) for a in axis}) != len(axis):
        raise ValueError(f"{op}: axis {axis} repeats an axis")
    return axis


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
        return record(op, op.forward(x.value, *params), x, None, (), params)
    nodes = tuple([x if x.__class__ is Node else as_node(x) for x in inputs])
    if op.saves:
        value, ctx = op.forward(*[n.value for n in nodes], *params)
    else:
        value, ctx = op.forward(*[n.value for n in nodes], *params), params
    return record_inputs(op, value, nodes, ctx)


def apply(op: type[Op], *inputs: Any, params: tuple = ()) -> Node:
    """Run `op` forward on `inputs` (Nodes, numbers or arrays) and record it in the graph.

    This is how `nn` turns its layers into ops: subclass `Op`, then ``apply(Affine, x, W, b)``.
    """
    return _apply(op, inputs, params)


def _node(x: Any) -> Node:
    return x if x.__class__ is Node else as_node(x)


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


def add(a: Any, b: Any) -> Node:
    """a + b (broadcasting like NumPy)."""
    return _node(a) + b


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


def sub(a: Any, b: Any) -> Node:
    """a − b (broadcasting like NumPy)."""
    return _node(a) - b


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


def mul(a: Any, b: Any) -> Node:
    """a × b, elementwise (broadcasting like NumPy)."""
    return _node(a) * b


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


def div(a: Any, b: Any) -> Node:
    """a / b, elementwise (broadcasting like NumPy)."""
    return _node(a) / b


def _real_power(a, b):
    """a ** b as NumPy gives it for Python floats too: NaN, not a complex number, for
    (-8.0) ** (1/3), and inf, not OverflowError, for 1e200 ** 2 (as 1e200 * 1e200 gives)."""
    try:
        y = a ** b
    except OverflowError:
        with np.errstate(over="ignore"):
            return float(np.float64(a) ** b)
    return math.nan if y.__class__ is complex else y


def _log(x: Any) -> Any:
    """ln x of a Node (recorded), a Python float (kept a Python float, so it does not widen a
    float32 array) or an array; NaN below 0, as NumPy."""
    if x.__class__ is Node:
        return log(x)
    if x.__class__ is float:
        return math.log(x) if x > 0 else float(np.log(np.float64(x)))
    return np.log(x)


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
        return (g * b * _real_power(a, b - 1) if needs[0] else None,
                g * y * _log(a) if needs[1] else None)  # ln a: only when b needs it


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
        return (g * c * _real_power(x, c - 1),)


def pow(a: Any, b: Any) -> Node:  # noqa: A001 - the name users expect
    """a ** b. A constant exponent (number or array) is not a node of the graph."""
    a = _node(a)
    if b.__class__ is Node:
        op, inputs, ctx = Pow, (a, b), ()
        c = b.value
    else:
        # the exponent is checked like any value (no strings, None or complex numbers)
        c = b if b.__class__ in (int, float) else as_node(b, "pow exponent").value
        op, inputs, ctx = PowConst, (a,), (c,)
    try:
        value = _real_power(a.value, c)
    except ZeroDivisionError:
        raise ZeroDivisionError(f"pow: division by zero ({_short(a.value, 30)} ** {c}); "
                                f"Python floats raise where NumPy arrays give inf") from None
    except ValueError:
        raise ValueError(f"pow: shapes {a.shape} and {np.shape(c)} cannot be broadcast "
                         f"together") from None
    return record_inputs(op, value, inputs, ctx)


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


def neg(x: Any) -> Node:
    """−x."""
    return _apply(Neg, (x,))


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


def matmul(a: Any, b: Any) -> Node:
    """Matrix product a @ b (NumPy rules; 1-D operands are treated as row/column vectors)."""
    a, b = _node(a), _node(b)
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
    return record(MatMul, value, a, b)


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


def exp(x: Any) -> Node:
    """eˣ, elementwise."""
    return _apply(Exp, (x,))


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


def log(x: Any) -> Node:
    """Natural logarithm, elementwise."""
    return _apply(Log, (x,))


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


def sqrt(x: Any) -> Node:
    """Square root, elementwise."""
    return _apply(Sqrt, (x,))


class Sin(Op):
    """Sine node (DeZero's first example of a function with a known derivative)."""

    name, symbol = "sin", "sin"
    formula = "y = sin x"
    derivative = "∂y/∂x = cos x"

    @staticmethod
    def forward(x):
        return math.sin(x) if x.__class__ is float else np.sin(x)

    @staticmethod
    def backward(g, y, ctx, x):
        return (g * _on(g).cos(x),)


def sin(x: Any) -> Node:
    """sin x, elementwise."""
    return _apply(Sin, (x,))


class Cos(Op):
    """Cosine node."""

    name, symbol = "cos", "cos"
    formula = "y = cos x"
    derivative = "∂y/∂x = −sin x"

    @staticmethod
    def forward(x):
        return math.cos(x) if x.__class__ is float else np.cos(x)

    @staticmethod
    def backward(g, y, ctx, x):
        return (-g * _on(g).sin(x),)


def cos(x: Any) -> Node:
    """cos x, elementwise."""
    return _apply(Cos, (x,))


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


def tanh(x: Any) -> Node:
    """Hyperbolic tangent, elementwise."""
    return _apply(Tanh, (x,))


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


def sigmoid(x: Any) -> Node:
    """Logistic sigmoid 1/(1+e⁻ˣ), elementwise; stable for large |x|."""
    return _apply(Sigmoid, (x,))


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


def relu(x: Any) -> Node:
    """max(x, 0), elementwise."""
    return _apply(Relu, (x,))


class LeakyRelu(Op):
    """Leaky ReLU node: like ReLU, but negative inputs keep a small slope."""

    name, symbol = "leaky_relu", "LReLU"
    formula = "y = x if x > 0 else slope·x"
    derivative = "∂y/∂x = 1 if x > 0 else slope"

    @staticmethod
    def forward(x, slope):
        if x.__class__ is float:
            return x if x > 0.0 else slope * x
        return np.where(x > 0, x, x * slope)

    @staticmethod
    def backward(g, y, ctx, x):
        (slope,) = ctx
        if g.__class__ is Node or x.__class__ is Node:
            return (g * np.where(_plain(x) > 0, 1.0, slope).astype(_dtype(x)),)
        if x.__class__ is float:
            return (g if x > 0.0 else g * slope,)
        return (np.where(x > 0, g, g * slope),)


def leaky_relu(x: Any, slope: float = 0.2) -> Node:
    """x where x > 0, else slope·x (DeZero's ``F.leaky_relu``; its default slope is 0.2,
    PyTorch's ``negative_slope`` is 0.01)."""
    return _apply(LeakyRelu, (x,), (_number("leaky_relu", "slope", slope),))


class Clip(Op):
    """Clip node: values are limited to [x_min, x_max]; the gradient passes only inside."""

    name, symbol = "clip", "clip"
    formula = "y = min(max(x, x_min), x_max)"
    derivative = "∂y/∂x = 1 if x_min ≤ x ≤ x_max else 0"

    @staticmethod
    def forward(x, x_min, x_max):
        if x.__class__ is float:
            return builtins.min(builtins.max(x, x_min), x_max)
        return np.clip(x, x_min, x_max)

    @staticmethod
    def backward(g, y, ctx, x):
        x_min, x_max = ctx
        inside = (_plain(x) >= x_min) & (_plain(x) <= x_max)
        return (g * inside if inside.__class__ is np.ndarray else (g if inside else g * 0.0),)


def clip(x: Any, x_min: float, x_max: float) -> Node:
    """Limit x to [x_min, x_max] elementwise (DeZero's ``F.clip``, PyTorch's ``clamp``)."""
    x_min, x_max = _number("clip", "x_min", x_min), _number("clip", "x_max", x_max)
    if x_min > x_max:
        raise ValueError(f"clip: x_min {x_min} is greater than x_max {x_max}")
    return _apply(Clip, (x,), (x_min, x_max))


def _number(op: str, what: str, value: Any) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.number)):
        raise TypeError(f"{op}: {what} must be a number, got {_short(value)}")
    return float(value)


def _dtype(x: Any) -> np.dtype:
    return np.result_type(_plain(x))


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


def sum(x: Any, axis: Any = None, keepdims: bool = False) -> Node:  # noqa: A001
    """Sum over `axis` (an int, a tuple, or None for all elements)."""
    x = _node(x)
    return _apply(Sum, (x,), (_axes("sum", axis, x.shape), keepdims))


class Mean(Op):
    """Mean over axes: every element receives 1/n of the upstream gradient."""

    name, symbol = "mean", "mean"
    formula = "y = (1/n) Σᵢ xᵢ"
    derivative = "∂y/∂xᵢ = 1/n"

    @staticmethod
    def forward(x, axis, keepdims):
        if np.size(x) == 0:  # NaN, as PyTorch gives, without NumPy's empty-slice warning
            with np.errstate(invalid="ignore", divide="ignore"):
                return np.sum(x, axis=axis, keepdims=keepdims) / 0.0
        return np.mean(x, axis=axis, keepdims=keepdims)

    @staticmethod
    def backward(g, y, ctx, x):
        shape = _shape(x)
        n_in = math.prod(shape)
        if n_in == 0:  # nothing to send a gradient to: an empty gradient, as PyTorch
            return (np.zeros(shape, _dtype(x)),)
        # a mean is a sum divided by n: Sum's backward, divided by n
        return Sum.backward(g / (n_in // math.prod(np.shape(_plain(y)))), y, ctx, x)


def mean(x: Any, axis: Any = None, keepdims: bool = False) -> Node:
    """Mean over `axis` (an int, a tuple, or None for all elements)."""
    x = _node(x)
    return _apply(Mean, (x,), (_axes("mean", axis, x.shape), keepdims))


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
        mask = (_plain(x) == np.reshape(_plain(y), kept)).astype(_dtype(x))
        mask /= np.sum(mask, axis=axis, keepdims=True)
        return (m.reshape(g, kept) * mask,)


def _extreme(op: type[Op], x: Any, axis: Any, keepdims: bool) -> Node:
    x = _node(x)
    axis = _axes(op.name, axis, x.shape)
    empty = x.size == 0 if axis is None else 0 in [x.shape[a] for a in
                                                   (axis if isinstance(axis, tuple) else (axis,))]
    if empty:
        raise ValueError(f"{op.name}: cannot take the {op.name}imum over an empty axis "
                         f"(shape {x.shape}, axis {axis})")
    return _apply(op, (x,), (axis, keepdims))


def max(x: Any, axis: Any = None, keepdims: bool = False) -> Node:  # noqa: A001
    """Maximum over `axis`; ties share the gradient equally."""
    return _extreme(Max, x, axis, keepdims)


class Min(Max):
    """Minimum over axes: the gradient goes to the minimal element(s), split evenly on ties.

    Backward is Max's: the gradient goes where xᵢ equals the output.
    """

    name, symbol = "min", "min"
    formula = "y = min x"
    derivative = "∂y/∂xᵢ = 1 where xᵢ = y (shared among ties), else 0"

    @staticmethod
    def forward(x, axis, keepdims):
        return np.min(x, axis=axis, keepdims=keepdims)


def min(x: Any, axis: Any = None, keepdims: bool = False) -> Node:  # noqa: A001
    """Minimum over `axis`; ties share the gradient equally."""
    return _extreme(Min, x, axis, keepdims)


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


def reshape(x: Any, shape: Any) -> Node:
    """Same values in a new shape (one entry may be -1)."""
    x = _node(x)
    try:
        shape = (operator.index(shape),) if not isinstance(shape, (tuple, list)) else \
            tuple(operator.index(n) for n in shape)
    except TypeError:
        raise TypeError(f"reshape: shape must be an int or a tuple of ints, got "
                        f"{_short(shape)}") from None
    try:
        return _apply(Reshape, (x,), (shape,))
    except ValueError:
        raise ValueError(f"reshape: cannot reshape shape {x.shape} ({x.size} elements) into "
                         f"{shape}") from None


class Flatten(Op):
    """Flatten each sample: (N, d1, d2, …) → (N, d1·d2·…); the gradient is reshaped back."""

    name, symbol = "flatten", "flatten"
    formula = "y = reshape(x, (N, −1))"
    derivative = "∂L/∂x = reshape(∂L/∂y, x.shape)"

    @staticmethod
    def forward(x):
        return np.reshape(x, (np.shape(x)[0], -1))

    backward = Reshape.backward


def flatten(x: Any) -> Node:
    """Keep the first (batch) axis, flatten the rest (DeZero's ``F.flatten``)."""
    x = _node(x)
    if x.ndim < 1:
        raise ValueError(f"flatten: needs at least one axis (a batch), got shape {x.shape}")
    return _apply(Flatten, (x,))


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


def transpose(x: Any, axes: tuple[int, ...] | None = None) -> Node:
    """Permute axes (reverse them when `axes` is None)."""
    x = _node(x)
    if axes is not None:
        try:
            axes = tuple(operator.index(a) for a in axes)
        except TypeError:
            raise TypeError(f"transpose: axes must be ints, got {_short(axes)}") from None
        if sorted(a % x.ndim if x.ndim else a for a in axes) != list(range(x.ndim)):
            raise ValueError(f"transpose: axes {axes} are not a permutation of the "
                             f"{x.ndim} axes of shape {x.shape}")
    return _apply(Transpose, (x,), (axes,))


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


def broadcast_to(x: Any, shape: tuple[int, ...]) -> Node:
    """Broadcast x to `shape` (NumPy rules); backward sums the copies."""
    x = _node(x)
    try:
        return _apply(BroadcastTo, (x,), (tuple(shape),))
    except ValueError:
        raise ValueError(f"broadcast_to: cannot broadcast shape {x.shape} to {tuple(shape)}") \
            from None


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


def sum_to(x: Any, shape: tuple[int, ...]) -> Node:
    """Sum x down to `shape`, the inverse of broadcasting (`shape` must broadcast to x's)."""
    return _apply(SumTo, (_node(x),), (tuple(shape),))


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
            return (_apply(GetItemGrad, (g,), (index, x.shape, x.dtype)),)
        return (GetItemGrad.forward(g, index, np.shape(x), x.dtype),)


def getitem(x: Any, index: Any) -> Node:
    """x[index]: integers, slices, integer/boolean arrays, as in NumPy."""
    x = _node(x)
    index = tuple(_plain(i) for i in index) if isinstance(index, tuple) else _plain(index)
    try:
        return _apply(GetItem, (x,), (index,))
    except IndexError as exc:
        raise IndexError(f"getitem: index {_short(index)} does not fit shape {x.shape} "
                         f"({exc})") from None


class GetItemGrad(Op):
    """Scatter-add into zeros: the backward of indexing, as an op so it can be differentiated."""

    name, symbol = "getitem_grad", "scatter"
    formula = "y = zeros(shape); y[index] += g"
    derivative = "∂L/∂g = (∂L/∂y)[index]"

    @staticmethod
    def forward(g, index, shape, dtype=None):
        out = np.zeros(shape, dtype=np.result_type(g) if dtype is None else dtype)
        np.add.at(out, index, g)  # add.at, not +=: repeated indices must all count
        return out

    @staticmethod
    def backward(gg, y, ctx, g):
        index = ctx[0]
        return (_on(gg).getitem(gg, index),)


# ===================================================================== layers as functions
class Linear(Op):
    """Linear (fully connected) node, DeZero's ``F.linear``: ``y = x @ W + b`` as one op."""

    name, symbol = "linear", "linear"
    formula = "Y = X @ W + b"
    derivative = "∂L/∂X = G @ Wᵀ,  ∂L/∂W = Xᵀ @ G,  ∂L/∂b = Σₙ G"
    partial = True  # a data batch X needs no gradient: skip G @ Wᵀ

    @staticmethod
    def forward(x, W, b=None):
        y = x @ W
        return y if b is None else y + b

    @staticmethod
    def backward(g, y, ctx, x, W, b=None, needs=(True, True, True)):
        m = _on(g)
        gx = g @ m.swapaxes(W, -1, -2) if needs[0] else None
        gW = m.swapaxes(x, -1, -2) @ g if needs[1] else None
        if b is None:
            return gx, gW
        return gx, gW, (m.sum_to(g, _shape(b)) if needs[2] else None)


def linear(x: Any, W: Any, b: Any = None) -> Node:
    """x @ W + b for a batch x of shape (N, in), W (in, out), b (out,) or None."""
    x, W = _node(x), _node(W)
    if x.ndim != 2 or W.ndim != 2 or x.shape[1] != W.shape[0]:
        raise ValueError(f"linear: x has shape {x.shape} and W has shape {W.shape}; expected "
                         f"(N, in) and (in, out)")
    if b is None:
        return _apply(Linear, (x, W))
    b = _node(b)
    if b.shape not in ((W.shape[1],), (1, W.shape[1]), ()):
        raise ValueError(f"linear: b has shape {b.shape} but W has shape {W.shape}; expected "
                         f"({W.shape[1]},)")
    return _apply(Linear, (x, W, b))


class Dropout(Op):
    """Dropout node: times a fixed mask, 0 for a dropped unit and the scale of a kept one.

    `dropout` below (DeZero's and PyTorch's inverted dropout) scales kept units by
    1/(1 − ratio) in training; the book's Dropout layer (`nn.Dropout`) keeps them at 1 and
    scales by 1 − ratio at test time instead. Both record this op.
    """

    name, symbol = "dropout", "Dropout"
    formula = "y = x ⊙ mask   (mask: 0 = dropped, else the kept unit's scale)"
    derivative = "∂y/∂x = mask  (the same mask: dropped units get no gradient)"

    @staticmethod
    def forward(x, mask):
        return x * mask

    @staticmethod
    def backward(g, y, ctx, x):
        (mask,) = ctx
        return (g * mask,)


def dropout(x: Any, dropout_ratio: float = 0.5, training: bool = True) -> Node:
    """Drop each unit with probability `dropout_ratio` and scale the rest by 1/(1 − ratio).

    DeZero's ``F.dropout``: the mask is drawn with ``np.random.rand`` (``np.random.seed``
    reproduces it); with ``training=False`` x passes unchanged (the scaling during training
    keeps the expected value the same).
    """
    x = _node(x)
    ratio = _number("dropout", "dropout_ratio", dropout_ratio)
    if not 0.0 <= ratio < 1.0:
        raise ValueError(f"dropout: dropout_ratio must be in [0, 1), got {dropout_ratio}")
    if not training:
        return x
    mask = np.asarray(np.random.rand(*x.shape) > ratio).astype(x.dtype) / (1.0 - ratio)
    return _apply(Dropout, (x,), (mask,))


# ===================================================================== softmax and loss
def _row_max(x: np.ndarray, axis: int) -> np.ndarray:
    """``x.max(axis, keepdims=True)``: the same numbers, faster for a batch of a few classes.

    NumPy reduces a short contiguous axis one row at a time: for scores of shape (100, 10) that
    costs 5-8 µs. Down the columns of a transposed copy it compares all rows at once, in about
    2 µs. The maximum is exact (and NaN wins either way), so the result is bit for bit the same.
    """
    if x.ndim == 2 and axis in (1, -1) and x.shape[1] <= 32 and x.shape[0] >= 16:
        return np.maximum.reduce(np.ascontiguousarray(x.T), axis=0)[:, None]
    return x.max(axis=axis, keepdims=True)


def _log_softmax_array(x: np.ndarray, axis: int) -> np.ndarray:
    shifted = x - _row_max(x, axis)  # the shift keeps exp from overflowing
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def _check_axis(op: str, x: Node, axis: Any) -> int:
    if isinstance(axis, (bool, np.bool_)) or not isinstance(axis, (int, np.integer)):
        raise TypeError(f"{op}: axis must be an int, got {_short(axis)}")
    if x.ndim == 0:
        raise ValueError(f"{op}: needs at least one axis, got a scalar")
    _axes(op, int(axis), x.shape)
    return int(axis)


class Softmax(Op):
    """Softmax along an axis."""

    name, symbol = "softmax", "softmax"
    formula = "yᵢ = exp(xᵢ) / Σⱼ exp(xⱼ)"
    derivative = "∂L/∂x = y ⊙ (g − Σ(g ⊙ y))"

    @staticmethod
    def forward(x, axis):
        shifted = np.exp(x - _row_max(x, axis))
        return shifted / shifted.sum(axis=axis, keepdims=True)

    @staticmethod
    def backward(g, y, ctx, x):
        (axis,) = ctx
        return (y * (g - _on(g).sum(g * y, axis, True)),)


def softmax(x: Any, axis: int = -1) -> Node:
    """exp(x) / Σ exp(x) along `axis`, computed without overflow."""
    x = _node(x)
    return _apply(Softmax, (x,), (_check_axis("softmax", x, axis),))


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


def log_softmax(x: Any, axis: int = -1) -> Node:
    """log(softmax(x)) along `axis`, computed without overflow."""
    x = _node(x)
    return _apply(LogSoftmax, (x,), (_check_axis("log_softmax", x, axis),))


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
        if getattr(x, "ndim", 0) != 2:
            raise ValueError(f"cross_entropy: logits must have shape (N, C), got {np.shape(x)}")
        n, classes = x.shape
        logp = _log_softmax_array(x, 1)
        if t.ndim == 2:
            if t.dtype != x.dtype:  # float64 one-hot rows must not widen float32
                t = t.astype(x.dtype)
            loss = -(t * logp).sum() / n
        else:
            loss = -logp[np.arange(n), t].sum() / n
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


def cross_entropy(x: Any, t: Any) -> Node:
    """Mean cross-entropy of softmax(x) against labels t (class indices or one-hot rows).

    The textbook's SoftmaxWithLoss as one op: backward is (softmax(x) − t) / N.
    """
    x = _node(x)
    if x.ndim != 2:
        raise ValueError(f"cross_entropy: logits must have shape (N, C), got {x.shape}")
    t = check_labels(x.shape, t)
    return _apply(CrossEntropy, (x,), (t,))


def check_labels(x_shape: tuple[int, ...], t: Any, op: str = "cross_entropy") -> np.ndarray:
    """Validate labels against logits of shape (N, C); returns them as an array.

    Accepted: class indices (N,), one-hot or probability rows (N, C), and a column of class
    indices (N, 1) (the book's ch07/gradient_check.py passes ``np.array([1]).reshape(1, 1)``),
    which is returned as (N,).
    """
    if t.__class__ is np.ndarray and t.shape == x_shape and t.dtype.kind == "f":
        return t  # the usual case, one-hot (or probability) rows: nothing to convert or check
    t = np.asarray(_plain(t))
    n, classes = x_shape
    if t.dtype.kind not in "fiub":
        raise TypeError(f"{op}: labels must be numbers, got an array of dtype {t.dtype} "
                        f"({_short(t.tolist(), 40)})")
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


class MeanSquaredError(Op):
    """Mean squared error, DeZero's ``F.mean_squared_error``: the squared differences summed
    and divided by len(x0), the number of rows (samples)."""

    name, symbol = "mean_squared_error", "MSE"
    formula = "L = (1/N) Σ (x0 − x1)²,  N = len(x0)"
    derivative = "∂L/∂x0 = 2(x0 − x1)/N,  ∂L/∂x1 = −2(x0 − x1)/N"

    @staticmethod
    def forward(x0, x1):
        diff = x0 - x1
        return (diff * diff).sum() / _rows(diff)

    @staticmethod
    def backward(g, y, ctx, x0, x1):
        diff = x0 - x1
        g0 = g * diff * (2.0 / _rows(_plain(diff)))
        return g0, -g0


def _rows(x: Any) -> int:
    return len(x) if np.ndim(x) else 1


def mean_squared_error(x0: Any, x1: Any) -> Node:
    """Σ (x0 − x1)² / len(x0) (DeZero's definition; for an (N, 1) column it is the mean, as
    PyTorch's ``mse_loss``; with several columns PyTorch divides by all elements instead)."""
    x0, x1 = _node(x0), _node(x1)
    try:
        np.broadcast_shapes(x0.shape, x1.shape)
    except ValueError:
        raise ValueError(f"mean_squared_error: shapes {x0.shape} and {x1.shape} cannot be "
                         f"broadcast together") from None
    return _apply(MeanSquaredError, (x0, x1))


def accuracy(y: Any, t: Any) -> Node:
    """Fraction of rows whose highest score is the label (DeZero's ``F.accuracy``).

    Not differentiable (an argmax has no useful derivative): the result is a constant Node.
    `t` holds class indices, shaped like ``y.argmax(axis=1)``.
    """
    scores, labels = np.asarray(_plain(y)), np.asarray(_plain(t))
    if scores.ndim != 2 or labels.size != scores.shape[0]:
        raise ValueError(f"accuracy: scores have shape {scores.shape} and labels {labels.shape};"
                         f" expected (N, C) and N class indices")
    pred = scores.argmax(axis=1).reshape(labels.shape)
    return as_node(np.asarray((pred == labels).mean(), dtype=scores.dtype))


# ===================================================================== backward on Nodes
class _OnArrays:
    """The functions backward code calls, on plain NumPy arrays (the usual case)."""

    reshape = staticmethod(np.reshape)
    broadcast_to = staticmethod(np.broadcast_to)
    transpose = staticmethod(np.transpose)
    swapaxes = staticmethod(np.swapaxes)
    exp = staticmethod(np.exp)
    sum_to = staticmethod(sum_to_array)

    @staticmethod
    def sin(x):
        return math.sin(x) if x.__class__ is float else np.sin(x)

    @staticmethod
    def cos(x):
        return math.cos(x) if x.__class__ is float else np.cos(x)

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
    sin = staticmethod(sin)
    cos = staticmethod(cos)
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
