"""Every op's first and second derivatives against central finite differences (float64).

Broadcasting included; ``gradcheck(..., order=2)`` differentiates each op's backward again.
"""

import math
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import autograd as ag
from autograd import Node, gradcheck, numerical_gradient

rng = np.random.default_rng(0)


def node(*shape, low=-2.0, high=2.0, name=None):
    return Node(rng.uniform(low, high, size=shape), name=name)


def assert_gradcheck(f, *inputs, order=2, **kw):
    """First and second derivatives against central differences (HIPS autograd's check_grads)."""
    report = gradcheck(f, *inputs, order=order, **kw)
    assert report.ok, f"\n{report}"
    assert {r.order for r in report.rows} == set(range(1, order + 1))
    assert all(r.max_abs_diff < 1e-6 for r in report.rows if r.order == 1), f"\n{report}"


BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "pow": lambda a, b: a ** b,
}

BROADCAST_SHAPES = [((3, 4), (3, 4)), ((3, 4), (4,)), ((3, 1), (1, 4)), ((2, 3, 4), (3, 1)),
                    ((), (2, 3)), ((5,), ())]


@pytest.mark.parametrize("name", BINARY)
@pytest.mark.parametrize("sa,sb", BROADCAST_SHAPES)
def test_binary_ops_with_broadcasting(name, sa, sb):
    a, b = node(*sa, low=0.5, high=2.0), node(*sb, low=0.5, high=2.0)
    assert_gradcheck(BINARY[name], a, b)
    assert a.grad.shape == a.shape and b.grad.shape == b.shape


UNARY = {
    "neg": (lambda x: -x, -2, 2),
    "exp": (ag.exp, -2, 2),
    "log": (ag.log, 0.5, 3),
    "sqrt": (ag.sqrt, 0.5, 3),
    "tanh": (ag.tanh, -2, 2),
    "sigmoid": (ag.sigmoid, -3, 3),
    "relu": (ag.relu, -2, 2),
    "pow_const": (lambda x: x ** 3, -2, 2),
    "pow_neg": (lambda x: x ** -1.5, 0.5, 2),
    "softmax0": (lambda x: ag.softmax(x, axis=0), -2, 2),
    "softmax": (ag.softmax, -2, 2),
    "log_softmax": (ag.log_softmax, -2, 2),
    "log_softmax0": (lambda x: ag.log_softmax(x, axis=0), -2, 2),
}


@pytest.mark.parametrize("name", UNARY)
def test_unary_ops(name):
    f, low, high = UNARY[name]
    x = node(3, 4, low=low, high=high)
    if name == "relu":
        x.value[np.abs(x.value) < 0.05] = 0.5  # keep away from the kink
    assert_gradcheck(f, x)


@pytest.mark.parametrize("name", ["neg", "exp", "log", "sqrt", "tanh", "sigmoid", "relu",
                                  "pow_const"])
def test_unary_ops_on_python_floats(name):
    f, low, high = UNARY[name]
    x = Node(0.7)
    assert_gradcheck(f, x)


@pytest.mark.parametrize("fname", ["sum", "mean", "max"])
@pytest.mark.parametrize("axis,keepdims", [(None, False), (0, False), (1, True), ((0, 2), False),
                                           (-1, False), (None, True)])
def test_reductions(fname, axis, keepdims):
    x = node(2, 3, 4)
    f = getattr(ag, fname)
    assert_gradcheck(lambda x: f(x, axis=axis, keepdims=keepdims), x)
    method = getattr(x, fname)(axis=axis, keepdims=keepdims)
    np.testing.assert_allclose(method.value, getattr(np, fname)(x.value, axis=axis,
                                                                keepdims=keepdims))


def test_max_splits_gradient_among_ties():
    x = Node(np.array([1.0, 3.0, 3.0]))
    ag.max(x).backward()
    np.testing.assert_array_equal(x.grad, [0, 0.5, 0.5])


def test_shape_ops():
    x = node(2, 3, 4)
    assert_gradcheck(lambda x: x.reshape(4, 6) * np.arange(24.0).reshape(4, 6), x)
    assert_gradcheck(lambda x: x.transpose(2, 0, 1) * np.arange(24.0).reshape(4, 2, 3), x)
    assert_gradcheck(lambda x: x.T * np.arange(24.0).reshape(4, 3, 2), x)
    y, w = node(3, 1), rng.normal(size=(2, 3, 5))
    assert_gradcheck(lambda y: ag.broadcast_to(y, (2, 3, 5)) * w, y)
    assert_gradcheck(lambda x: ag.sum_to(x, (3, 1)) * np.array([[1.0], [2.0], [3.0]]), x)


@pytest.mark.parametrize("index", [1, (slice(None), 2), (0, slice(1, 3)), np.array([0, 1, 1]),
                                   (np.array([0, 1, 0]), np.array([2, 2, 2])), Ellipsis])
def test_getitem_including_repeated_indices(index):
    x = node(2, 3, 4)
    w = rng.normal(size=np.shape(x.value[index]))
    assert_gradcheck(lambda x: x[index] * w, x)


def test_getitem_repeated_indices_sum():
    x = Node(np.array([1.0, 2.0, 3.0]))
    x[np.array([0, 0, 2])].sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 0.0, 1.0])


@pytest.mark.parametrize("sa,sb", [((3, 4), (4, 5)), ((2, 3, 4), (4, 5)), ((2, 3, 4), (2, 4, 5)),
                                   ((4,), (4, 5)), ((3, 4), (4,)), ((4,), (4,))])
def test_matmul(sa, sb):
    a, b = node(*sa), node(*sb)
    assert_gradcheck(lambda a, b: a @ b, a, b)
    np.testing.assert_allclose((a @ b).value, a.value @ b.value)


def test_matmul_with_plain_array_on_either_side():
    w = node(4, 2)
    x = rng.normal(size=(3, 4))
    y = x @ w
    assert isinstance(y, Node)
    y.sum().backward()
    np.testing.assert_allclose(w.grad, x.T @ np.ones((3, 2)))


@pytest.mark.parametrize("onehot", [False, True])
def test_cross_entropy(onehot):
    x = node(5, 4)
    t = np.array([0, 3, 1, 1, 2])
    target = np.eye(4)[t] if onehot else t
    assert_gradcheck(lambda x: ag.cross_entropy(x, target), x)
    logp = x.value - np.log(np.exp(x.value).sum(1, keepdims=True))
    assert ag.cross_entropy(x, target).value == pytest.approx(-logp[np.arange(5), t].mean())
    x.zero_grad()
    ag.cross_entropy(x, target).backward()
    p = np.exp(logp)
    np.testing.assert_allclose(x.grad, (p - np.eye(4)[t]) / 5)  # the textbook's (y - t) / N


def test_cross_entropy_takes_a_column_of_class_indices():
    # the book's ch07/gradient_check.py labels one sample with np.array([1]).reshape(1, 1)
    x = node(4, 3)
    t = np.array([2, 0, 1, 1])
    column = ag.cross_entropy(x, t.reshape(4, 1))
    assert column.value == ag.cross_entropy(x, t).value
    assert ag.cross_entropy(x, np.eye(3)[t]).value == pytest.approx(column.value, abs=1e-15)
    x.zero_grad()
    column.backward()
    p = np.exp(x.value) / np.exp(x.value).sum(1, keepdims=True)
    np.testing.assert_allclose(x.grad, (p - np.eye(3)[t]) / 4)
    with pytest.raises(ValueError, match=r"labels have shape \(3, 1\) but logits have shape "
                                         r"\(4, 3\); labels may be .* a \(4, 1\) column"):
        ag.cross_entropy(x, t[:3].reshape(3, 1))


def test_cross_entropy_label_errors():
    x = node(2, 3)
    with pytest.raises(ValueError, match="label 3 is out of range for 3 classes"):
        ag.cross_entropy(x, np.array([0, 3]))
    with pytest.raises(ValueError, match=r"labels have shape \(3,\)"):
        ag.cross_entropy(x, np.array([0, 1, 2]))
    with pytest.raises(ValueError, match=r"logits must have shape \(N, C\)"):
        ag.cross_entropy(node(3), np.array([0]))


# Every op of autograd/ops.py, each through the public function that records it, checked to
# second order (the derivative of its backward, as recorded by backward(create_graph=True)).
# Inputs stay away from kinks (relu at 0, ties of max) where derivatives do not exist.
EVERY_OP = {
    "Add": (lambda a, b: a + b, [(3, 4), (4,)]),
    "Sub": (lambda a, b: a - b, [(3, 1), (1, 4)]),
    "Mul": (lambda a, b: a * b, [(3, 4), (3, 4)]),
    "Div": (lambda a, b: a / b, [(3, 4), (4,)]),
    "Pow": (lambda a, b: a ** b, [(3, 4), (3, 4)]),
    "PowConst": (lambda x: x ** -1.5, [(3, 4)]),
    "Neg": (lambda x: -x * x, [(3, 4)]),
    "MatMul": (lambda a, b: a @ b, [(3, 4), (4, 2)]),
    "Exp": (ag.exp, [(3, 4)]),
    "Log": (ag.log, [(3, 4)]),
    "Sqrt": (ag.sqrt, [(3, 4)]),
    "Tanh": (ag.tanh, [(3, 4)]),
    "Sigmoid": (ag.sigmoid, [(3, 4)]),
    "Relu": (lambda x: ag.relu(x - 1.25) * x, [(3, 4)]),
    "Sum": (lambda x: ag.sum(x * x, axis=1), [(3, 4)]),
    "Mean": (lambda x: ag.mean(x * x, axis=(0, 2), keepdims=True), [(2, 3, 4)]),
    "Max": (lambda x: ag.max(x * x, axis=0), [(3, 4)]),
    "Reshape": (lambda x: (x * x).reshape(2, 6), [(3, 4)]),
    "Transpose": (lambda x: (x * x).transpose(1, 0), [(3, 4)]),
    "BroadcastTo": (lambda x: ag.broadcast_to(x * x, (2, 3, 4)), [(3, 1)]),
    "SumTo": (lambda x: ag.sum_to(x * x, (3, 1)), [(3, 4)]),
    "GetItem": (lambda x: (x * x)[np.array([0, 2, 2]), 1:3], [(3, 4)]),
    "GetItemGrad": (lambda g: ag.apply(ag.ops.GetItemGrad, g * g,
                                       params=((np.array([0, 2, 2]),), (4, 2))), [(3, 2)]),
    "Softmax": (lambda x: ag.softmax(x, axis=0), [(3, 4)]),
    "LogSoftmax": (ag.log_softmax, [(3, 4)]),
    "CrossEntropy": (lambda x: ag.cross_entropy(x, np.array([0, 3, 1])), [(3, 4)]),
    "Sin": (ag.sin, [(3, 4)]),
    "Cos": (ag.cos, [(3, 4)]),
    "LeakyRelu": (lambda x: ag.leaky_relu(x - 1.25, 0.1) * x, [(3, 4)]),
    "Clip": (lambda x: ag.clip(x, 0.8, 1.6) * x, [(3, 4)]),
    "Min": (lambda x: ag.min(x * x, axis=0), [(3, 4)]),
    "Flatten": (lambda x: ag.flatten(x * x), [(2, 3, 4)]),
    "Linear": (lambda x, W, b: ag.linear(x * x, W, b), [(3, 4), (4, 2), (2,)]),
    "Dropout": (lambda x: (np.random.seed(0), ag.dropout(x * x, 0.3))[1], [(3, 4)]),
    "MeanSquaredError": (lambda a, b: ag.mean_squared_error(a * a, b), [(3, 4), (3, 4)]),
}


def test_every_op_has_a_second_order_check():
    ops = {name for name, v in vars(ag.ops).items()
           if isinstance(v, type) and issubclass(v, ag.Op) and v is not ag.Op}
    assert ops == set(EVERY_OP), "add the new op to EVERY_OP"


@pytest.mark.parametrize("name", EVERY_OP)
def test_every_op_to_second_order(name):
    f, shapes = EVERY_OP[name]
    r = np.random.default_rng(len(name))
    inputs = [Node(r.uniform(0.5, 2.0, size=shape)) for shape in shapes]
    assert_gradcheck(f, *inputs)


def test_shape_errors_name_op_and_shapes():
    with pytest.raises(ValueError, match=r"matmul: shapes \(100, 784\) and \(785, 50\) do not "
                                         r"align \(784 != 785\)"):
        Node(np.ones((100, 784))) @ Node(np.ones((785, 50)))
    with pytest.raises(ValueError, match=r"add: shapes \(3,\) and \(4,\) cannot be broadcast"):
        Node(np.ones(3)) + np.ones(4)
    with pytest.raises(ValueError, match=r"mul: shapes \(2, 3\) and \(3, 2\)"):
        Node(np.ones((2, 3))) * Node(np.ones((3, 2)))
    with pytest.raises(ValueError, match=r"reshape: cannot reshape shape \(2, 3\)"):
        Node(np.ones((2, 3))).reshape(4)
    with pytest.raises(ValueError, match="broadcast_to: cannot broadcast"):
        ag.broadcast_to(Node(np.ones(3)), (4,))
    with pytest.raises(ValueError, match=r"backward: grad has shape \(2,\)"):
        (Node(np.ones(3)) * 2).backward(np.ones(2))


@pytest.mark.parametrize("bad", ["a", None, np.array(["2"]), np.array([1j]), 1 + 2j])
def test_non_numeric_exponent_is_a_type_error(bad):
    x = Node(np.array([2.0, 3.0]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(TypeError, match="real number or a numeric array"):
            x ** bad


def test_division_by_zero_on_arrays_follows_numpy():
    with np.errstate(divide="ignore"):
        y = Node(np.array([1.0, -1.0])) / Node(np.array([0.0, 0.0]))
    np.testing.assert_array_equal(y.value, [np.inf, -np.inf])


EXTREME = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, 1e4], [-1e4, -1e4, -1e4]])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_softmax_family_and_sigmoid_at_plus_minus_1e4(strict_numpy, dtype):
    x = Node(EXTREME.astype(dtype))
    g = np.arange(9, dtype=dtype).reshape(3, 3)
    expect = {
        "softmax": [[1, 0, 0], [0, 0, 1], [1 / 3, 1 / 3, 1 / 3]],
        "log_softmax": [[0, -2e4, -1e4], [-2e4, -2e4, 0], [-np.log(3)] * 3],
        "sigmoid": [[1, 0, 0.5], [0, 0, 1], [0, 0, 0]],
    }
    for name, want in expect.items():
        x.zero_grad()
        y = getattr(ag, name)(x)
        (y * g).sum().backward()
        assert np.all(np.isfinite(y.value)) and np.all(np.isfinite(x.grad)), name
        assert y.value.dtype == dtype and x.grad.dtype == dtype, name
        np.testing.assert_allclose(y.value, np.array(want), rtol=1e-6, atol=1e-6, err_msg=name)
    for labels, loss_value in ((np.array([0, 2, 1]), np.log(3) / 3),
                               (np.array([1, 0, 0]), (2e4 + 2e4 + np.log(3)) / 3)):
        x.zero_grad()
        loss = ag.cross_entropy(x, labels)
        loss.backward()
        assert loss.value == pytest.approx(loss_value, rel=1e-6)
        assert np.all(np.isfinite(x.grad))
        np.testing.assert_allclose(x.grad.sum(axis=1), 0, atol=1e-6)  # softmax − onehot rows


def test_methods_match_functions():
    x = node(2, 3, low=0.5)
    for name in ["exp", "log", "sqrt", "tanh", "sigmoid", "relu", "softmax", "log_softmax"]:
        np.testing.assert_allclose(getattr(x, name)().value, getattr(ag, name)(x).value)


def test_ops_document_formula_and_derivative():
    ops = [v for v in vars(ag.ops).values()
           if isinstance(v, type) and issubclass(v, ag.Op) and v is not ag.Op]
    assert len(ops) >= 25
    for op in ops:
        assert op.formula and op.derivative and op.__doc__ and op.symbol, op.__name__


shapes = st.lists(st.integers(1, 3), min_size=0, max_size=3).map(tuple)


@st.composite
def broadcastable_pair(draw):
    out = draw(shapes)
    def shrink(shape):
        dims = [1 if draw(st.booleans()) else n for n in shape]
        return tuple(dims[draw(st.integers(0, len(dims))):])
    return shrink(out), shrink(out)


EXPRS = [
    lambda a, b: (a * b + a).tanh() * b,
    lambda a, b: (a - b).sigmoid() / (b * b + 1.0),
    lambda a, b: (a.exp() + b.exp()).log() * a,
    lambda a, b: ((a * a + b * b + 0.5) ** 0.5) * (a + 2.0),
    lambda a, b: ag.relu(a + 0.123) * b - a.sum(),
]


@settings(max_examples=40, deadline=None)
@given(broadcastable_pair(), st.integers(0, len(EXPRS) - 1), st.integers(0, 2**31 - 1))
def test_random_expressions_match_finite_differences(pair, which, seed):
    r = np.random.default_rng(seed)
    sa, sb = pair
    a = Node(r.uniform(-1.5, 1.5, size=sa))
    b = Node(r.uniform(-1.5, 1.5, size=sb))
    if which == 4:  # keep relu away from its kink, where finite differences are meaningless
        a.value = np.where(np.abs(a.value + 0.123) < 1e-3, 0.5, a.value)
    assert_gradcheck(EXPRS[which], a, b)


def test_partial_ops_skip_unneeded_gradients():
    a, b = np.ones((2, 3)), np.full((3, 4), 2.0)
    g = np.ones((2, 4))
    da, db = ag.ops.MatMul.backward(g, None, (), a, b, needs=(False, True))
    assert da is None and db.shape == (3, 4)
    assert ag.ops.Mul.backward(3.0, None, (), 2.0, 5.0, needs=(True, False)) == (15.0, None)


def test_data_batch_gets_no_gradient_and_parameters_are_right():
    x = Node(rng.normal(size=(5, 3)), requires_grad=False)
    w = node(3, 2)
    loss = ((x @ w) * 2.0 - 1.0).sum()
    loss.backward()
    assert x.grad is None
    np.testing.assert_allclose(w.grad, x.value.T @ np.full((5, 2), 2.0))


def test_negative_base_with_constant_exponent_node_needs_no_log():
    x = Node(np.array([-0.5, -2.0]))
    exponent = Node(np.array([2.0, 3.0]), requires_grad=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # ln(x) of a negative x would warn; it must not be taken
        (x ** exponent).sum().backward()
    np.testing.assert_allclose(x.grad, [2 * -0.5, 3 * 4.0])


# ===================================================================== random graphs vs differences
def _axis_choices(ndim: int) -> list:
    return [None, *range(-ndim, ndim), *([(0, ndim - 1)] if ndim >= 2 else [])]


OPS = ["add", "sub", "mul", "div", "exp", "log", "tanh", "sigmoid", "relu", "sum", "mean",
       "reshape", "transpose", "matmul", "getitem", "softmax"]


@st.composite
def programs(draw):
    """A random expression graph: leaves of broadcast-compatible shapes, then 1–6 random ops.

    Hypothesis picks a seed; the graph is drawn from it with NumPy's generator, so every op and
    shape is equally likely (Hypothesis on its own favours scalars and the first choices). A
    failure prints the seed, which rebuilds the same graph.

    Returns ``(leaf_values, steps, weights)``. A step is ``(fn, input_indices)`` over a pool that
    starts with the leaves; ``fn is None`` adds one more leaf (a matmul weight). Every op output
    is weighted with a fixed random array and summed into the scalar loss, so every op's gradient
    is checked, not just the last one's.
    """
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    base = tuple(rng.integers(2, 4, size=rng.choice(4, p=[0.1, 0.3, 0.3, 0.3])))
    values = []
    for _ in range(rng.integers(1, 4)):
        # size-1 axes (broadcast) now and then; mostly full axes, where ops really mix elements
        shape = tuple(1 if rng.random() < 0.25 else int(n) for n in base)
        shape = shape[rng.integers(0, len(shape) + 1) if rng.random() < 0.3 else 0:]
        values.append(rng.uniform(-1.5, 1.5, size=shape))
    shapes = [v.shape for v in values]
    steps: list = []

    def add(fn, *inputs):
        dummy = [Node(np.zeros(shapes[i])) for i in inputs]
        steps.append((fn, inputs))
        shapes.append(np.shape(fn(*dummy).value))

    for _ in range(rng.integers(1, 7)):
        i = int(rng.integers(len(shapes)))
        shape, ndim = shapes[i], len(shapes[i])
        kind = OPS[rng.integers(len(OPS))]
        if kind in ("add", "sub", "mul", "div"):
            partners = [j for j, s in enumerate(shapes) if _broadcasts(shape, s)]
            j = int(rng.choice(partners))
            fn = {"add": lambda a, b: a + b, "sub": lambda a, b: a - b,
                  "mul": lambda a, b: a * b,
                  "div": lambda a, b: a / (b * b + 0.5)}[kind]  # denominator ≥ 0.5
            add(fn, i, j)
        elif kind == "exp":
            add(ag.exp, i)
        elif kind == "log":
            add(lambda x: ag.log(x * x + 0.5), i)  # argument ≥ 0.5
        elif kind in ("tanh", "sigmoid", "relu"):
            add(getattr(ag, kind), i)
        elif kind in ("sum", "mean"):
            choices = _axis_choices(ndim)
            axis = choices[rng.integers(len(choices))]
            keep = bool(rng.integers(2))
            reduce = ag.sum if kind == "sum" else ag.mean
            add(lambda x, f=reduce, a=axis, k=keep: f(x, a, k), i)
        elif kind == "reshape":
            new = [(-1,), shape[::-1], (1, *shape)][rng.integers(3)]
            add(lambda x, s=new: x.reshape(s), i)
        elif kind == "transpose":
            axes = tuple(int(a) for a in rng.permutation(ndim))
            add(lambda x, a=axes: ag.transpose(x, a), i)
        elif kind == "matmul" and ndim >= 1:
            how = rng.integers(2 if ndim == 1 else 3)
            if how == 0:  # x @ W, W a new leaf
                values.append(rng.uniform(-1.5, 1.5, size=(shape[-1], rng.integers(1, 4))))
                shapes.append(values[-1].shape)
                steps.append((None, (len(values) - 1,)))
                add(lambda x, w: x @ w, i, len(shapes) - 1)
            elif how == 1:  # x @ x or x @ xᵀ: the same node on both sides
                add(lambda x: x @ (x if x.ndim == 1 else ag.transpose(
                    x, (*range(x.ndim - 2), x.ndim - 1, x.ndim - 2))), i)
            else:  # batched: stacked matrices times a matrix
                j = int(rng.integers(len(shapes)))
                if len(shapes[j]) == 2 and shapes[j][0] == shape[-1]:
                    add(lambda a, b: a @ b, i, j)
                else:
                    add(lambda x: x @ ag.transpose(x, (*range(x.ndim - 2), x.ndim - 1,
                                                       x.ndim - 2)), i)
        elif kind == "getitem" and ndim >= 1:
            n = shape[0]
            index = [
                int(rng.integers(-n, n)),
                slice(int(rng.integers(n)), None),
                rng.integers(0, n, size=rng.integers(2, 6)),  # repeated indices: add.at
                (rng.random(n) < 0.6) | (np.arange(n) == rng.integers(n)),  # never empty
                (Ellipsis, int(rng.integers(shape[-1]))),
            ][rng.integers(5)]
            add(lambda x, ix=index: x[ix], i)
        elif kind == "softmax" and ndim >= 1:
            axis = int(rng.integers(-ndim, ndim))
            add(lambda x, a=axis: ag.softmax(x, a), i)
        else:  # an op that needs at least one axis, drawn for a scalar
            add(ag.tanh, i)
    weights = [rng.standard_normal(s) for s in shapes]
    return values, steps, weights


def _broadcasts(a: tuple, b: tuple) -> bool:
    try:
        np.broadcast_shapes(a, b)
    except ValueError:
        return False
    return True


def _run(values, steps, weights, record=None):
    """Build the graph from leaf values; return (loss, leaves, op outputs)."""
    leaves = [Node(v) for v in values]
    pool = list(leaves[:len(values) - sum(1 for fn, _ in steps if fn is None)])
    extra = iter(leaves[len(pool):])
    outputs = []
    for fn, inputs in steps:
        if fn is None:
            pool.append(next(extra))
            continue
        out = fn(*[pool[i] for i in inputs])
        pool.append(out)
        outputs.append((len(pool) - 1, out))
        if record is not None and out.op is ag.ops.Relu:
            record.append(out.inputs[0].value)
    loss = ag.sum(outputs[0][1] * weights[outputs[0][0]])
    for k, out in outputs[1:]:
        loss = loss + ag.sum(out * weights[k])
    return loss, leaves, [o for _, o in outputs]


@settings(max_examples=200, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(programs())
def test_random_graphs_match_central_differences(program):
    values, steps, weights = program
    relu_inputs: list = []
    loss, leaves, outputs = _run(values, steps, weights, relu_inputs)
    for out in outputs:  # well-conditioned only: finite differences need it
        assume(np.all(np.isfinite(out.value)) and np.max(np.abs(out.value), initial=0) < 1e3)
    for x in relu_inputs:  # away from ReLU's kink
        assume(np.min(np.abs(x), initial=1.0) > 1e-3)
    loss.backward()

    def f(_):
        return _run(values, steps, weights)[0].value

    for leaf, value in zip(leaves, values):
        analytic = np.zeros(value.shape) if leaf.grad is None else np.asarray(leaf.grad)
        assert analytic.shape == value.shape
        numeric = numerical_gradient(f, value, h=1e-6)
        scale = max(1.0, float(np.max(np.abs(numeric), initial=0)))
        np.testing.assert_allclose(analytic, numeric, rtol=1e-4, atol=1e-6 * scale)


# ===================================================================== DeZero's ops (issue 13)
DEZERO = {
    "sin": (ag.sin, -3, 3),
    "cos": (ag.cos, -3, 3),
    "leaky_relu": (lambda x: ag.leaky_relu(x, 0.1), -2, 2),
    "clip": (lambda x: ag.clip(x, -0.8, 0.6), -2, 2),
    "min": (lambda x: ag.min(x, axis=1), -2, 2),
    "min_all": (ag.min, -2, 2),
    "flatten": (lambda x: ag.flatten(x.reshape(3, 2, 2)) * np.arange(12.0).reshape(3, 4), -2, 2),
}


@pytest.mark.parametrize("name", DEZERO)
def test_dezero_unary_ops_match_finite_differences(name):
    f, low, high = DEZERO[name]
    x = node(3, 4, low=low, high=high)
    # away from kinks (leaky_relu at 0, clip at its bounds), where differences are meaningless
    for kink in (0.0, -0.8, 0.6):
        x.value[np.abs(x.value - kink) < 0.05] = 0.3
    assert_gradcheck(f, x)


@pytest.mark.parametrize("name", ["sin", "cos", "leaky_relu", "clip"])
def test_dezero_unary_ops_on_python_floats(name):
    f = DEZERO[name][0]
    for value in (-1.3, 0.4, 1.7):
        assert_gradcheck(f, Node(value))


def test_dezero_op_values():
    x = Node(np.array([[-2.0, 0.5], [3.0, -0.1]]))
    np.testing.assert_allclose(ag.sin(x).value, np.sin(x.value))
    np.testing.assert_allclose(ag.cos(x).value, np.cos(x.value))
    np.testing.assert_allclose(ag.leaky_relu(x).value, [[-0.4, 0.5], [3.0, -0.02]])
    np.testing.assert_allclose(ag.clip(x, -1.0, 1.0).value, [[-1.0, 0.5], [1.0, -0.1]])
    np.testing.assert_allclose(ag.min(x, axis=0).value, [-2.0, -0.1])
    assert ag.flatten(Node(np.ones((2, 3, 4)))).shape == (2, 12)
    assert ag.mean_squared_error(x, np.zeros((2, 2))).value == pytest.approx(
        (4 + 0.25 + 9 + 0.01) / 2)  # DeZero divides by len(x0), the number of rows
    # the methods PyTorch has
    np.testing.assert_allclose(x.sin().value, np.sin(x.value))
    np.testing.assert_allclose(x.clip(-1, 1).value, ag.clip(x, -1, 1).value)
    assert x.min().value == -2.0 and x.flatten().shape == (2, 2)


def test_min_splits_gradient_among_ties():
    x = Node(np.array([2.0, -1.0, -1.0]))
    ag.min(x).backward()
    np.testing.assert_array_equal(x.grad, [0, 0.5, 0.5])


@pytest.mark.parametrize("shape", [(5, 1), (5,), (4, 3)])
def test_mean_squared_error(shape):
    x0, x1 = node(*shape), node(*shape)
    assert_gradcheck(ag.mean_squared_error, x0, x1)
    diff = x0.value - x1.value
    assert ag.mean_squared_error(x0, x1).value == pytest.approx((diff ** 2).sum() / shape[0])


@pytest.mark.parametrize("with_bias", [True, False])
def test_linear(with_bias):
    x, W, b = node(4, 3), node(3, 2), node(2)
    f = (lambda x, W, b: ag.linear(x, W, b)) if with_bias else (lambda x, W, b: ag.linear(x, W))
    assert_gradcheck(f, x, W, b)
    expected = x.value @ W.value + (b.value if with_bias else 0)
    np.testing.assert_allclose(f(x, W, b).value, expected)
    data = Node(x.value, requires_grad=False)  # a data batch: no gradient computed for it
    f(data, W, b).sum().backward()
    assert data.grad is None
    with pytest.raises(ValueError, match=r"linear: x has shape \(4, 3\) and W has shape \(2, 2\)"):
        ag.linear(x, node(2, 2))


def test_dropout_is_inverted_dropout_with_numpys_random_state():
    x = node(50, 40)
    np.random.seed(3)
    y = ag.dropout(x, 0.4)
    np.random.seed(3)
    mask = np.random.rand(50, 40) > 0.4
    np.testing.assert_allclose(y.value, x.value * mask / 0.6)
    (y * 2.0).sum().backward()
    np.testing.assert_allclose(x.grad, 2.0 * mask / 0.6)
    assert abs(mask.mean() - 0.6) < 0.05
    assert ag.dropout(x, 0.4, training=False) is x
    np.random.seed(3)
    assert_gradcheck(lambda x: ag.dropout(x, 0.4) * 1.0 if np.random.seed(3) is None else x, x)
    with pytest.raises(ValueError, match=r"dropout: dropout_ratio must be in \[0, 1\)"):
        ag.dropout(x, 1.0)


def test_accuracy():
    y = Node(np.array([[0.2, 0.8, 0.0], [0.1, 0.9, 0.0], [0.8, 0.1, 0.1]]))
    acc = ag.accuracy(y, np.array([1, 2, 0]))
    assert acc.value == pytest.approx(2 / 3) and not acc.requires_grad
    assert ag.accuracy(y.value, np.array([[1], [1], [0]])).value == 1.0
    with pytest.raises(ValueError, match="accuracy: scores have shape"):
        ag.accuracy(y, np.array([1, 2]))


def test_second_order_through_sin_cos_and_cross_entropy():
    x = node(3, 4)
    t = np.array([0, 3, 1])

    def gsum(x):
        y = ag.cross_entropy(x * 1.5, t) + (ag.sin(x) * ag.cos(x)).sum()
        x.zero_grad()
        y.backward(create_graph=True)  # CrossEntropy's create-graph branch runs here
        g = x.grad
        x.zero_grad()
        return (g * g).sum()

    gsum(x).backward()
    analytic = x.grad
    numeric = ag.numerical_gradient(lambda _: gsum(x).value, x.value, h=1e-5)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-7)


# ===================================================================== every op in float32
F32 = {
    "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
    "div": lambda a, b: a / (b * b + 0.5), "pow": lambda a, b: (a * a + 0.5) ** b,
    "pow_const": lambda a, b: a ** 3, "rpow": lambda a, b: 2.0 ** a, "neg": lambda a, b: -a,
    "matmul": lambda a, b: a @ b.T, "exp": lambda a, b: ag.exp(a),
    "log": lambda a, b: ag.log(a * a + 0.5), "sqrt": lambda a, b: ag.sqrt(a * a + 0.5),
    "sin": lambda a, b: ag.sin(a), "cos": lambda a, b: ag.cos(a), "tanh": lambda a, b: ag.tanh(a),
    "sigmoid": lambda a, b: ag.sigmoid(a), "relu": lambda a, b: ag.relu(a),
    "leaky_relu": lambda a, b: ag.leaky_relu(a), "clip": lambda a, b: ag.clip(a, -0.5, 0.5),
    "sum": lambda a, b: ag.sum(a, axis=1), "mean": lambda a, b: ag.mean(a, axis=0),
    "max": lambda a, b: ag.max(a, axis=1), "min": lambda a, b: ag.min(a),
    "reshape": lambda a, b: a.reshape(-1), "flatten": lambda a, b: ag.flatten(a),
    "transpose": lambda a, b: a.T, "broadcast_to": lambda a, b: ag.broadcast_to(a, (2, 3, 4)),
    "sum_to": lambda a, b: ag.sum_to(a, (1, 4)), "getitem": lambda a, b: a[1, 2],
    "linear": lambda a, b: ag.linear(a, b.T, b[:, 0]), "softmax": lambda a, b: ag.softmax(a),
    "log_softmax": lambda a, b: ag.log_softmax(a, 0),
    "cross_entropy": lambda a, b: ag.cross_entropy(a, np.array([0, 3, 1])),
    "cross_entropy_onehot64": lambda a, b: ag.cross_entropy(a, np.eye(4)[[0, 3, 1]]),
    "mse": lambda a, b: ag.mean_squared_error(a, b),
    "dropout": lambda a, b: ag.dropout(a, 0.25),
}


@pytest.mark.parametrize("name", F32)
def test_every_op_in_float32_gives_float32_values_and_gradients(name):
    r = np.random.default_rng(1)
    a64, b64 = r.uniform(-1.5, 1.5, (3, 4)), r.uniform(-1.5, 1.5, (4, 4))[:3]
    a64[np.abs(a64) < 0.05] = 0.3  # away from the kinks of relu, leaky_relu
    a64[np.abs(np.abs(a64) - 0.5) < 0.05] = 0.3  # and of clip
    results = {}
    for dtype in (np.float32, np.float64):
        a, b = Node(a64.astype(dtype)), Node(b64.astype(dtype))
        np.random.seed(0)  # the same dropout mask both times
        y = F32[name](a, b)
        w = np.random.default_rng(5).standard_normal(y.shape).astype(dtype)
        (y * w).sum().backward()
        assert y.dtype == dtype, (name, y.dtype)
        for n in (a, b):
            assert n.grad is None or n.grad.dtype == dtype, (name, n.grad.dtype)
        results[dtype] = (y.value, a.grad, b.grad)
    for got, want in zip(results[np.float32], results[np.float64]):
        if want is not None:
            np.testing.assert_allclose(got, want, rtol=2e-4, atol=2e-5)


def test_float32_training_step_stays_float32():
    from nn import SGD, TwoLayerNet

    net = TwoLayerNet(6, 5, 3).astype(np.float32)
    opt = SGD(net.parameters(), lr=0.1)
    x = np.random.default_rng(0).random((4, 6), dtype=np.float32)
    t = np.eye(3)[[0, 1, 2, 0]]  # float64 one-hot labels, as np.eye gives them
    opt.zero_grad()
    loss = net.loss(Node(x, requires_grad=False), t, train_flg=True)
    loss.backward()
    opt.step()
    assert loss.dtype == np.float32
    assert all(p.grad.dtype == np.float32 and p.value.dtype == np.float32
               for p in net.parameters())


# ===================================================================== errors name the op
@pytest.mark.parametrize("call,error,message", [
    (lambda x: ag.sum(x, axis=2), ValueError, r"sum: axis 2 is out of range for shape \(2, 3\)"),
    (lambda x: ag.mean(x, axis=(0, 5)), ValueError, r"mean: axis 5 is out of range"),
    (lambda x: ag.max(x, axis=-3), ValueError, r"max: axis -3 is out of range"),
    (lambda x: ag.sum(x, axis="a"), TypeError, r"sum: axis must be"),
    (lambda x: x[10], IndexError, r"getitem: index 10 does not fit shape \(2, 3\)"),
    (lambda x: x.transpose((0, 0)), ValueError,
     r"transpose: axes \(0, 0\) are not a permutation .* shape \(2, 3\)"),
    (lambda x: x.reshape("a"), TypeError, r"reshape: shape must be an int or a tuple of ints"),
    (lambda x: Node(np.ones(3)) ** np.ones(4), ValueError,
     r"pow: shapes \(3,\) and \(4,\) cannot be broadcast"),
    (lambda x: ag.sum_to(Node(np.ones(3)), (2, 3)), ValueError,
     r"sum_to: cannot sum shape \(3,\) down to \(2, 3\)"),
    (lambda x: ag.sum_to(Node(np.ones((1, 3))), (4, 3)), ValueError,
     r"sum_to: cannot sum shape \(1, 3\) down to \(4, 3\)"),
    (lambda x: ag.max(Node(np.ones(0))), ValueError, r"max: cannot take the maximum .*\(0,\)"),
    (lambda x: ag.min(Node(np.ones((2, 0))), axis=1), ValueError, r"min: cannot take"),
    (lambda x: ag.cross_entropy(x, np.array([["a", "b", "c"]] * 2)), TypeError,
     r"cross_entropy: labels must be numbers, got an array of dtype <U1"),
    (lambda x: ag.softmax(x, axis=4), ValueError, r"softmax: axis 4 is out of range"),
    (lambda x: ag.clip(x, 1.0, 0.0), ValueError, r"clip: x_min 1.0 is greater than x_max"),
])
def test_bad_arguments_name_the_op(call, error, message):
    with pytest.raises(error, match=message):
        call(Node(np.ones((2, 3))))


def test_power_overflow_gives_inf_like_multiplication():
    x = Node(1e200)
    y = x ** 2
    assert y.value == math.inf == (x * x).value
    y.backward()
    assert x.grad == 2e200
    z = Node(1e200) ** 3
    z.backward()
    assert z.value == math.inf and z.inputs[0].grad == math.inf
    assert (Node(-1e200) ** 3).value == -math.inf


def test_mean_of_an_empty_array_is_nan_with_an_empty_gradient():
    x = Node(np.zeros((0, 3)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = ag.mean(x)
        y.backward()
    assert math.isnan(y.value)
    assert x.grad.shape == (0, 3)
    z = ag.mean(x, axis=0)
    z.backward(np.ones(3))
    assert np.all(np.isnan(z.value))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", [(100, 10), (16, 32), (15, 10), (100, 33), (4, 3), (100, 2)])
def test_row_max_is_numpys_max_bit_for_bit(dtype, shape):
    # softmax's shift takes the row maximum down the columns of a transposed copy when there
    # are few classes: it must be exactly x.max(axis=1, keepdims=True), NaN and inf included
    from autograd.ops import _row_max

    x = np.random.default_rng(3).standard_normal(shape).astype(dtype)
    x[1, 0], x[2, -1], x[3, 0] = np.nan, np.inf, -np.inf
    for axis in (1, -1):
        got = _row_max(x, axis)
        assert got.shape == (shape[0], 1) and got.dtype == x.dtype
        np.testing.assert_array_equal(got, x.max(axis=axis, keepdims=True))
    assert np.isnan(got[1, 0]) and got[2, 0] == np.inf
    assert _row_max(x, 0).shape == (1, shape[1])  # other axes: NumPy's own max
