"""Every op's gradient against central finite differences (float64), broadcasting included."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd as ag
from autograd import Node, gradcheck

rng = np.random.default_rng(0)


def node(*shape, low=-2.0, high=2.0, name=None):
    return Node(rng.uniform(low, high, size=shape), name=name)


def assert_gradcheck(f, *inputs, **kw):
    report = gradcheck(f, *inputs, **kw)
    assert report.ok, f"\n{report}"
    assert all(r.max_abs_diff < 1e-6 for r in report.rows), f"\n{report}"


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


def test_second_order_through_array_ops():
    # d/dx of sum(grad of sum(softmax(x)*w)) checked numerically
    x = node(2, 3)
    w = rng.normal(size=(2, 3))

    def grad_norm(x):
        y = (ag.softmax(x) * w).sum() + (ag.log_softmax(x) * w).sum() + (x ** 3).mean()
        x.zero_grad()
        y.backward(create_graph=True)
        g = x.grad
        x.zero_grad()
        return (g * g).sum()

    value = grad_norm(x)
    value.backward()
    analytic = x.grad
    numeric = ag.numerical_gradient(lambda _: grad_norm(x).value, x.value, h=1e-5)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-7)


def test_second_order_through_matmul_getitem_max_reshape():
    a, b = node(3, 4), node(4, 2)

    def gsum(a):
        y = (ag.max(a @ b, axis=1) ** 2).sum() + (a[1:, ::2].reshape(-1) ** 3).sum()
        a.zero_grad()
        y.backward(create_graph=True)
        g = a.grad
        a.zero_grad()
        return (g * g).sum()

    gsum(a).backward()
    analytic = a.grad
    numeric = ag.numerical_gradient(lambda _: gsum(a).value, a.value, h=1e-5)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-6)


def test_shape_errors_name_op_and_shapes():
    with pytest.raises(ValueError, match=r"matmul: shapes \(100, 784\) and \(785, 50\) do not "
                                         r"align \(784 != 785\)"):
        Node(np.ones((100, 784))) @ Node(np.ones((785, 50)))
    with pytest.raises(ValueError, match=r"add: shapes \(3,\) and \(4,\) cannot be broadcast"):
        Node(np.ones(3)) + np.ones(4)
    with pytest.raises(ValueError, match=r"reshape: cannot reshape shape \(2, 3\)"):
        Node(np.ones((2, 3))).reshape(4)
    with pytest.raises(ValueError, match="broadcast_to: cannot broadcast"):
        ag.broadcast_to(Node(np.ones(3)), (4,))


def test_numerically_stable_at_large_inputs():
    x = Node(np.array([[-1e4, 0.0, 1e4]]))
    # underflow to 0 is exact enough and NumPy ignores it by default; everything else raises
    with np.errstate(all="raise", under="ignore"), warnings.catch_warnings():
        warnings.simplefilter("error")
        for f in (ag.softmax, ag.log_softmax, ag.sigmoid):
            y = f(x)
            x.zero_grad()
            (y * np.array([[1.0, 2.0, 3.0]])).sum().backward()
            assert np.all(np.isfinite(y.value)) and np.all(np.isfinite(x.grad))
        loss = ag.cross_entropy(x, np.array([0]))
        x.zero_grad()
        loss.backward()
        assert loss.value == pytest.approx(2e4) and np.all(np.isfinite(x.grad))


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
