"""Hardening: random graphs against finite differences, huge fan-in, memory, extreme inputs,
bad input, mutated arrays, saved models. Everything here runs in a few seconds.

What the engine does *not* protect against is asserted too, so the behaviour is documented and a
change to it shows up here (see ``test_in_place_change_of_a_recorded_array_changes_the_gradient``).
MNIST file corruption and interrupted downloads are tested in tests/nn/test_datasets.py.
"""

from __future__ import annotations

import builtins
import gc
import math
import pickle
import tracemalloc
import warnings
import weakref

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import autograd as ag
import viz
from autograd import Node, numerical_gradient
from nn import Affine, Convolution, SoftmaxWithLoss, TwoLayerNet


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


# ===================================================================== huge fan-in, memory
def test_hundred_thousand_scalar_nodes_summed_with_python_sum():
    xs = [Node(float(i)) for i in range(100_000)]
    total = sum(xs)  # 0 + x0 + x1 + ...: a 100,000-deep chain of adds
    total.backward()
    assert total.value == pytest.approx(sum(range(100_000)))
    assert all(x.grad == 1.0 for x in xs)


def test_one_node_used_hundred_thousand_times():
    x = Node(0.5)
    total = sum([x] * 100_000)
    total.backward()
    assert x.grad == 100_000.0
    a = Node(np.array([1.0, -2.0]))
    y = sum(a * float(i % 7) for i in range(20_000))  # an array node feeding 20,000 products
    ag.sum(y).backward()
    np.testing.assert_array_equal(a.grad, np.full(2, float(sum(i % 7 for i in range(20_000)))))


def _big_graph() -> Node:
    w = Node(np.linspace(-1, 1, 50))
    h = w
    for _ in range(200):
        h = ag.tanh(h * 0.9 + 0.1)
    scalars = [Node(float(i)) for i in range(5_000)]
    s = sum(v * v for v in scalars)
    return ag.sum(h) + s


@pytest.mark.parametrize("retain_grad", [True, False])
def test_memory_returns_to_baseline_after_dropping_a_big_graph(retain_grad):
    _big_graph().backward()  # warm-up: lazily made caches are not graph memory
    gc.collect()
    gc.disable()  # reference counting alone must free it: no cycles
    try:
        tracemalloc.start()
        baseline, _ = tracemalloc.get_traced_memory()
        loss = _big_graph()
        loss.backward(retain_grad=retain_grad)
        held, _ = tracemalloc.get_traced_memory()
        del loss
        after, _ = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    finally:
        gc.enable()
    assert held - baseline > 1_000_000  # the graph was big
    assert after - baseline < 20_000, f"{after - baseline} bytes still held"


def test_create_graph_makes_a_cycle_until_the_grad_is_cleared():
    # Documented behaviour (as in PyTorch): with create_graph=True, x.grad is a Node whose graph
    # refers back to x, a reference cycle. Clearing x.grad (zero_grad) breaks it.
    gc.collect()
    gc.disable()
    try:
        x = Node(np.ones(1000))
        (x * x * x).sum().backward(create_graph=True)
        ref = weakref.ref(x.grad)
        x.zero_grad()
        assert ref() is None
        x2 = Node(np.ones(3))
        (x2 * x2).sum().backward(create_graph=True)
        ref2 = weakref.ref(x2)
        del x2
        assert ref2() is not None  # a cycle: only the collector frees it
        gc.collect()
        assert ref2() is None
    finally:
        gc.enable()


# ===================================================================== numerical stability
EXTREME = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, 1e4], [-1e4, -1e4, -1e4]])


@pytest.fixture
def strict_numpy():
    """NumPy warnings are errors (overflow, divide, invalid); underflow to 0 is fine."""
    with np.errstate(over="raise", divide="raise", invalid="raise", under="ignore"), \
            warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


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


def test_textbook_layers_at_plus_minus_1e4(strict_numpy):
    from nn import Sigmoid

    layer = SoftmaxWithLoss()
    loss = layer.forward(EXTREME, np.array([1, 0, 0]))
    dx = layer.backward(1)
    assert np.isfinite(loss) and np.all(np.isfinite(dx))
    sig = Sigmoid()
    out = sig.forward(EXTREME)
    assert np.all(np.isfinite(out)) and np.all(np.isfinite(sig.backward(np.ones((3, 3)))))


# ===================================================================== bad input
@pytest.mark.parametrize("bad", ["a", b"a", 1 + 2j, np.array([1j]), np.array([1, None]),
                                 np.array(["1.5"]), None, [[1, 2], [3]]])
def test_non_numeric_operands_are_type_errors_and_corrupt_nothing(bad):
    x = Node(np.array([1.0, 2.0]))
    y = x * 3.0
    for f in (lambda: x + bad, lambda: bad * x, lambda: x @ bad, lambda: ag.exp(bad),
              lambda: ag.sum(bad), lambda: Node(bad)):
        with pytest.raises(TypeError, match="real number or a numeric array|numeric array"):
            f()
    ag.sum(y).backward()  # the graph made before the error still works
    np.testing.assert_array_equal(x.grad, [3.0, 3.0])
    np.testing.assert_array_equal(x.value, [1.0, 2.0])


@pytest.mark.parametrize("bad", ["a", None, np.array(["2"]), np.array([1j]), 1 + 2j])
def test_non_numeric_exponent_is_a_type_error(bad):
    x = Node(np.array([2.0, 3.0]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(TypeError, match="real number or a numeric array"):
            x ** bad


def test_shape_mismatches_name_the_op_and_shapes():
    with pytest.raises(ValueError, match=r"matmul: shapes \(100, 784\) and \(785, 50\) do not "
                                         r"align \(784 != 785\)"):
        Node(np.ones((100, 784))) @ Node(np.ones((785, 50)))
    with pytest.raises(ValueError, match=r"add: shapes \(3,\) and \(4,\) cannot be broadcast"):
        Node(np.ones(3)) + np.ones(4)
    with pytest.raises(ValueError, match=r"mul: shapes \(2, 3\) and \(3, 2\)"):
        Node(np.ones((2, 3))) * Node(np.ones((3, 2)))
    with pytest.raises(ValueError, match=r"backward: grad has shape \(2,\)"):
        (Node(np.ones(3)) * 2).backward(np.ones(2))


def test_layer_shape_mismatches_are_clear_and_leave_the_layer_usable():
    rng = np.random.default_rng(0)
    W, b = rng.normal(size=(4, 3)), np.zeros(3)
    affine = Affine(W, b)
    with pytest.raises(ValueError, match=r"5 features per sample but W has shape \(4, 3\)"):
        affine.forward(np.ones((2, 5)))
    with pytest.raises(ValueError, match="batch"):
        affine.forward(np.ones(4))
    np.testing.assert_array_equal(affine.forward(np.ones((2, 4))), np.ones((2, 4)) @ W + b)
    conv = Convolution(rng.normal(size=(2, 3, 3, 3)), np.zeros(2))
    with pytest.raises(ValueError, match="1 channels but the filters expect 3"):
        conv.forward(np.ones((1, 1, 5, 5)))
    with pytest.raises(ValueError, match=r"shape \(N, C, H, W\)"):
        conv.forward(np.ones((5, 5)))
    net = TwoLayerNet(4, 3, 2)
    before = {k: v.copy() for k, v in net.params.items()}
    with pytest.raises(ValueError, match="Affine1: input has 5 features"):
        net.gradient(np.ones((2, 5)), np.array([0, 1]))
    with pytest.raises(ValueError, match="Affine1: input has 5 features"):
        net.gradient_by_engine(np.ones((2, 5)), np.array([0, 1]))
    for k in before:
        np.testing.assert_array_equal(net.params[k], before[k])


@pytest.mark.parametrize(("labels", "error", "message"), [
    (np.array([0, 10]), ValueError, "label 10 is out of range for 10 classes"),
    (np.array([-1, 0]), ValueError, "label -1 is out of range"),
    (np.array([0.5, 1.0]), TypeError, "must be integers"),
    (np.array([0, 1, 2]), ValueError, r"labels have shape \(3,\)"),
    (np.eye(9)[:2], ValueError, r"one-hot labels have shape \(2, 9\)"),
])
def test_bad_labels_are_clear_errors_and_change_nothing(labels, error, message):
    rng = np.random.default_rng(1)
    logits = Node(rng.normal(size=(2, 10)))
    with pytest.raises(error, match=message):
        ag.cross_entropy(logits, labels)
    with pytest.raises(error, match=message):
        SoftmaxWithLoss().forward(logits.value, labels)
    net = TwoLayerNet(4, 3, 10)
    before = {k: v.copy() for k, v in net.params.items()}
    for gradient in (net.gradient, net.gradient_by_engine):
        with pytest.raises(error, match=message):
            gradient(rng.normal(size=(2, 4)), labels)
    for k in before:
        np.testing.assert_array_equal(net.params[k], before[k])
    assert logits.grad is None


def test_nan_in_data_detect_anomaly_names_the_op():
    x = np.random.default_rng(2).random((5, 4))
    x[1, 2] = np.nan
    t = np.array([0, 1, 1, 0, 1])
    net = TwoLayerNet(4, 3, 2)
    with ag.detect_anomaly():
        with pytest.raises(FloatingPointError, match="affine produced NaN or Inf in its forward"):
            net.gradient_by_engine(x, t)
        with pytest.raises(FloatingPointError, match="log produced NaN or Inf in its forward"):
            ag.log(Node(np.array([1.0, -1.0])))
        with pytest.raises(FloatingPointError, match="div produced NaN or Inf in its forward"):
            Node(np.array([1.0])) / Node(np.array([0.0]))
        with pytest.raises(FloatingPointError, match="sqrt produced NaN or Inf in its backward"):
            ag.sum(ag.sqrt(Node(np.array([0.0, 4.0])))).backward()
    # without anomaly mode NaN spreads silently, as in NumPy
    grads = net.gradient_by_engine(x, t)
    assert np.isnan(grads["W1"]).any()


def test_detect_anomaly_also_covers_the_books_gradient():
    x = np.random.default_rng(2).random((5, 4))
    x[1, 2] = np.nan
    with ag.detect_anomaly(), pytest.raises(FloatingPointError, match="affine"):
        TwoLayerNet(4, 3, 2).gradient(x, np.array([0, 1, 1, 0, 1]))


def test_division_by_zero_on_arrays_follows_numpy():
    with np.errstate(divide="ignore"):
        y = Node(np.array([1.0, -1.0])) / Node(np.array([0.0, 0.0]))
    np.testing.assert_array_equal(y.value, [np.inf, -np.inf])


def test_scalar_division_by_zero_names_the_op():
    for f, op in ((lambda: Node(1.0) / Node(0.0), "div:"),
                  (lambda: Node(0.0) ** -1, "pow")):
        with pytest.raises(ZeroDivisionError) as info:
            f()
        assert str(info.value).startswith(op), str(info.value)  # "div: ...", the house style
    # a tiny divisor is not zero: −a/b² is computed as (a/b)/b, which overflows to −inf as in
    # NumPy instead of b*b underflowing to 0 and raising
    a, b = Node(1.0), Node(1e-200)
    (a / b).backward()
    assert a.grad == pytest.approx(1e200) and b.grad == -math.inf


def test_in_place_change_of_a_recorded_array_changes_the_gradient():
    # Documented behaviour: the graph keeps references, not copies, and has no version counter
    # (PyTorch raises "modified by an inplace operation"). Changing a leaf's array between
    # forward and backward silently gives the gradient at the *new* value, while the output
    # keeps the old one. Optimizers change parameters only after backward, so training is safe.
    a = np.array([1.0, 2.0])
    x = Node(a)
    y = ag.sum(x * x)
    a[...] = [10.0, 20.0]
    y.backward()
    assert y.value == 5.0  # computed from the old values
    np.testing.assert_array_equal(x.grad, [20.0, 40.0])  # 2x at the new values, not [2, 4]
    # ops whose backward uses their output are not affected by a changed input
    b = np.array([0.0, 1.0])
    z = Node(b)
    e = ag.exp(z)
    b[...] = 5.0
    ag.sum(e).backward()
    np.testing.assert_allclose(z.grad, np.exp([0.0, 1.0]))


def test_backward_twice_accumulates_into_leaves_and_is_reset_by_zero_grad():
    w = Node(np.array([1.0, 2.0]))
    y = ag.sum(ag.exp(w * 3.0))
    y.backward(retain_grad=False)
    once = w.grad.copy()
    y.backward(retain_grad=False)  # the graph is still there: it runs again and adds
    np.testing.assert_allclose(w.grad, 2 * once)
    w.zero_grad()
    y.backward()
    np.testing.assert_allclose(w.grad, once)
    net = TwoLayerNet(4, 3, 2)
    x, t = np.ones((2, 4)), np.array([0, 1])
    first = net.gradient_by_engine(x, t)
    second = net.gradient_by_engine(x, t)  # resets the parameter grads itself
    for k in first:
        np.testing.assert_allclose(first[k], second[k])


def test_hostile_names_render_as_text_in_svg():
    # tests/viz checks the DOT text and the HTML page; this follows the names through Graphviz
    pytest.importorskip("pygraphviz")
    from xml.etree import ElementTree

    evil = '"]; injected [label="x</text><script>alert(1)</script>'
    odd = "a\\b{c}|<d>&amp;"
    a, b = Node(2.0, name=evil), Node(3.0, name=odd)
    y = a * b
    y.name = "<y&>"
    y.backward()
    svg = viz.render_svg(y)
    root = ElementTree.fromstring(svg)  # still well-formed XML
    tags = {el.tag.rsplit("}", 1)[-1] for el in root.iter()}
    assert "script" not in tags
    texts = [el.text for el in root.iter() if el.tag.endswith("text")]
    assert evil in texts and odd in texts and "<y&>" in texts
    assert svg.count('class="node"') == 4 and svg.count('class="edge"') == 3  # nothing injected


# ===================================================================== saved models
# tests/nn/test_models.py covers the round trip, wrong shapes, missing keys, object arrays and
# garbage; these add files that try to run code, damaged archives and an interrupted save.
class _Payload:
    """Unpickling this runs code: the attack a pickle-based parameter file is open to."""

    def __reduce__(self):
        return (exec, ("import builtins; builtins._graphgrad_pwned = True",))


@pytest.fixture
def net_and_copy():
    net = TwoLayerNet(4, 3, 2)
    yield net, {k: v.copy() for k, v in net.params.items()}
    if hasattr(builtins, "_graphgrad_pwned"):
        del builtins._graphgrad_pwned


def _unchanged(net, before):
    for k in before:
        np.testing.assert_array_equal(net.params[k], before[k])


def test_params_files_that_would_run_code_are_refused(tmp_path, net_and_copy):
    net, before = net_and_copy
    raw = tmp_path / "raw.npz"  # a plain pickle with a .npz name
    raw.write_bytes(pickle.dumps({k: _Payload() for k in net.params}))
    inside = tmp_path / "inside.npz"  # an .npz whose W1 is an object array holding the payload
    payload = np.empty(1, dtype=object)
    payload[0] = _Payload()
    np.savez(inside, **{**net.params, "W1": payload})
    for path in (raw, inside):
        with pytest.raises(ValueError, match="not a parameter file"):
            net.load_params(path)
        assert not getattr(builtins, "_graphgrad_pwned", False), f"{path.name} ran code"
    _unchanged(net, before)


@pytest.mark.parametrize("damage", ["truncate", "flip a data byte", "flip a header byte",
                                    "empty"])
def test_damaged_params_files_are_clear_errors_and_change_nothing(tmp_path, net_and_copy,
                                                                  damage):
    net, before = net_and_copy
    path = tmp_path / "params.npz"
    TwoLayerNet(4, 3, 2).save_params(path)
    data = bytearray(path.read_bytes())
    if damage == "truncate":
        data = data[:len(data) // 2]
    elif damage == "flip a data byte":
        at = data.index(b"W2.npy") - 40  # inside W1's float data, before the next member
        data[at] ^= 0xFF
    elif damage == "flip a header byte":
        at = data.index(b"'shape': (") + 10  # the first digit of W1's shape
        data[at] = ord("9")
    else:
        data = bytearray()
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match=r"params\.npz"):
        net.load_params(path)
    _unchanged(net, before)


def test_interrupted_save_keeps_the_previous_file(tmp_path, monkeypatch):
    net = TwoLayerNet(4, 3, 2)
    path = tmp_path / "params.npz"
    net.save_params(path)
    good = path.read_bytes()

    def dies_half_way(file, **arrays):
        file.write(b"PK\x03\x04 half an archive")
        raise KeyboardInterrupt

    monkeypatch.setattr(np, "savez", dies_half_way)
    with pytest.raises(KeyboardInterrupt):
        TwoLayerNet(4, 3, 2).save_params(path)
    assert path.read_bytes() == good
    assert sorted(p.name for p in tmp_path.iterdir()) == ["params.npz"]


def test_integer_params_are_refused(tmp_path, net_and_copy):
    net, before = net_and_copy
    path = tmp_path / "ints.npz"
    np.savez(path, **{k: np.ones(v.shape, dtype=np.int64) for k, v in net.params.items()})
    with pytest.raises(ValueError, match="floating point"):
        net.load_params(path)
    _unchanged(net, before)
