"""The graph and the backward pass: textbook numbers, order, modes, errors, memory."""

import gc
import math
import sys
import tracemalloc
import weakref

import numpy as np
import pytest

import autograd as ag
from autograd import Node


def apple_orange():
    apple, apple_num = Node(100, name="apple"), Node(2, name="apple_num")
    orange, orange_num = Node(150, name="orange"), Node(3, name="orange_num")
    tax = Node(1.1, name="tax")
    price = (apple * apple_num + orange * orange_num) * tax
    return price, (apple, apple_num, orange, orange_num, tax)


def test_apple_textbook_numbers():
    apple, apple_num, tax = Node(100, name="apple"), Node(2, name="apple_num"), Node(1.1)
    price = apple * apple_num * tax
    price.backward()
    assert price.value == pytest.approx(220)
    assert apple.grad == pytest.approx(2.2)
    assert apple_num.grad == pytest.approx(110)
    assert tax.grad == pytest.approx(200)


def test_apple_orange_textbook_numbers():
    price, (apple, apple_num, orange, orange_num, tax) = apple_orange()
    price.backward()
    assert price.value == 715.0000000000001  # the float the textbook rounds to 715
    grads = [apple_num.grad, apple.grad, orange.grad, orange_num.grad, tax.grad]
    assert grads == pytest.approx([110, 2.2, 3.3, 165, 650])


def test_node_records_op_inputs_in_order_and_ids():
    a, b = Node(2.0, name="a"), Node(3.0, name="b")
    c = a * b
    assert c.op is ag.ops.Mul and c.inputs == (a, b)
    assert a.is_leaf and not c.is_leaf
    assert a.id < b.id < c.id
    assert isinstance(a.value, float) and c.value == 6.0


def test_reflected_operators_and_constants():
    x = Node(3.0)
    y = 2 * x + 1 - x / 4 + 10 / x - (1 - x) + 2 ** x
    y.backward()
    expected = 2 - 0.25 - 10 / 9 + 1 + 2**3 * math.log(2)
    assert x.grad == pytest.approx(expected)
    # wrapped constants never get gradients
    assert all(i.grad is None for n in ag.topological_order(y) for i in n.inputs
               if not i.requires_grad)


def test_diamond_processes_b_once_after_both_contributions():
    a = Node(3.0, name="a")
    b = a + a
    c = b * b
    order = ag.backward_order(c)
    assert order.index(c) < order.index(b) < order.index(a)
    assert order.count(b) == 1
    c.backward()
    assert b.grad == pytest.approx(2 * 6.0)  # dc/db = 2b
    assert a.grad == pytest.approx(24.0)  # dc/da = 8a


def test_fan_out_sums_gradients():
    x = Node(2.0)
    y = x * x * x + x
    y.backward()
    assert x.grad == pytest.approx(3 * 4 + 1)


def test_million_node_chain_without_recursion():
    x = Node(1.0)
    y = x
    for _ in range(1_000_000):
        y = y + 1.0
    limit = sys.getrecursionlimit()
    y.backward()
    assert x.grad == 1.0 and y.value == 1_000_001.0
    assert sys.getrecursionlimit() == limit
    assert len(ag.topological_order(y)) == 2_000_001  # each add also has a constant leaf
    del y
    gc.collect()


def test_non_scalar_backward_requires_grad_argument():
    x = Node(np.ones((3, 4)))
    y = x * 2
    with pytest.raises(ValueError, match=r"shape \(3, 4\).*pass grad=.*\.sum\(\)\.backward"):
        y.backward()
    y.backward(np.ones((3, 4)))
    np.testing.assert_array_equal(x.grad, np.full((3, 4), 2.0))
    with pytest.raises(ValueError, match="grad has shape"):
        y.backward(np.ones(3))


def test_backward_twice_accumulates_into_leaves_intermediates_fresh():
    price, (apple, *_rest) = apple_orange()
    price.backward()
    price.backward()
    assert apple.grad == pytest.approx(4.4)  # leaves accumulate, as in PyTorch
    mid = price.inputs[0]
    assert mid.grad == pytest.approx(1.1)  # intermediates are recomputed, not summed
    apple.zero_grad()
    price.backward()
    assert apple.grad == pytest.approx(2.2)
    w = Node(np.array([1.0, 2.0]))
    y = ag.sum(ag.exp(w * 3.0))
    y.backward(retain_grad=False)
    once = w.grad.copy()
    y.backward(retain_grad=False)  # the graph is still there: it runs again and adds
    np.testing.assert_allclose(w.grad, 2 * once)
    w.zero_grad()
    y.backward()
    np.testing.assert_allclose(w.grad, once)


def test_retain_grad_false_drops_intermediate_grads():
    price, leaves = apple_orange()
    price.backward(retain_grad=False)
    assert price.inputs[0].grad is None
    assert [n.grad for n in leaves] == pytest.approx([2.2, 110, 3.3, 165, 650])


def test_every_intermediate_gradient_is_available():
    price, _ = apple_orange()
    price.backward()
    total = price.inputs[0]
    assert total.value == pytest.approx(650) and total.grad == pytest.approx(1.1)
    assert total.inputs[0].grad == pytest.approx(1.1)  # apple * apple_num


def test_second_derivative_of_x4_at_2_is_48():
    x = Node(2.0)
    y = x**4
    y.backward(create_graph=True)
    gx = x.grad
    assert isinstance(gx, Node) and gx.value == pytest.approx(32)
    x.zero_grad()
    gx.backward()
    assert x.grad == pytest.approx(48)


def test_newton_method_finds_minimum():
    # f(x) = x^4 - 2x^2 has minima at ±1; Newton from 2.0 converges to 1.
    x = Node(2.0)
    for _ in range(10):
        y = x**4 - 2 * x**2
        x.zero_grad()
        y.backward(create_graph=True)
        gx = x.grad
        x.zero_grad()
        gx.backward()
        x = Node(x.value - gx.value / x.grad)
    assert x.value == pytest.approx(1.0, abs=1e-10)


def test_third_derivative_of_tanh_and_exp():
    x = Node(0.5)
    y = ag.exp(x) * ag.tanh(x)
    y.backward(create_graph=True)
    g1 = x.grad
    x.zero_grad()
    g1.backward(create_graph=True)
    g2 = x.grad
    x.zero_grad()
    g2.backward()
    t = math.tanh(0.5)
    s2 = 1 - t * t  # sech^2
    d1, d2, d3 = s2, -2 * t * s2, (4 * t * t - 2 * s2) * s2  # derivatives of tanh
    e = math.exp(0.5)
    assert g1.value == pytest.approx(e * (t + d1))
    assert g2.value == pytest.approx(e * (t + 2 * d1 + d2))
    assert x.grad == pytest.approx(e * (t + 3 * d1 + 3 * d2 + d3))


def test_no_grad_records_nothing_and_detach_cuts():
    x = Node(2.0)
    with ag.no_grad():
        y = x * 3
        assert not ag.is_grad_enabled()
        with ag.enable_grad():
            assert ag.is_grad_enabled()
    assert ag.is_grad_enabled()
    assert y.is_leaf and y.inputs == () and not y.requires_grad
    z = x.detach() * x
    z.backward()
    assert x.grad == 2.0  # only the non-detached path


def test_constants_only_graph_is_not_recorded():
    c = Node(2.0, requires_grad=False) * 3
    assert c.is_leaf and not c.requires_grad


@pytest.mark.parametrize("bad", ["abc", b"xy", 1 + 2j, np.array(["a"]), np.array([1 + 1j]),
                                 np.array([object()], dtype=object)])
def test_non_numeric_values_are_type_errors(bad):
    with pytest.raises(TypeError, match="Node"):
        Node(bad)


def test_type_error_names_the_value():
    with pytest.raises(TypeError, match="'abc'"):
        Node("abc")


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


def test_ints_become_floats_and_float32_is_kept():
    assert Node(3).value.__class__ is float
    assert Node(np.arange(3)).value.dtype == np.float64
    assert Node(np.ones(2, np.float32)).value.dtype == np.float32


def test_anomaly_mode_names_first_bad_op():
    x = Node(np.array([1.0, -1.0]))
    with ag.detect_anomaly():
        with pytest.raises(FloatingPointError, match="log produced NaN or Inf in its forward"):
            ag.log(x)
        with pytest.raises(FloatingPointError, match="div produced NaN or Inf in its forward"):
            Node(np.array([1.0])) / Node(np.array([0.0]))
        with pytest.raises(FloatingPointError, match="sqrt produced NaN or Inf in its backward"):
            ag.sum(ag.sqrt(Node(np.array([0.0, 4.0])))).backward()
    y = ag.sqrt(Node(0.0))
    with ag.detect_anomaly():
        with pytest.raises(FloatingPointError, match="sqrt produced NaN or Inf in its backward"):
            y.backward()
    with np.errstate(divide="ignore", invalid="ignore"):  # without anomaly mode: as NumPy
        assert np.isnan(ag.log(x).value[1])


def test_graph_is_freed_by_reference_counting_without_gc():
    gc.disable()
    try:
        x = Node(np.ones(3))
        y = (x * 2).exp().sum()
        y.backward()
        ref = weakref.ref(y)
        mid = weakref.ref(y.inputs[0])
        del y
        assert ref() is None and mid() is None  # no cycle collector needed
    finally:
        gc.enable()


def test_scope_tags_nodes():
    x = Node(1.0)
    with ag.scope("Affine1"):
        y = x * 2
        with ag.scope("inner"):
            z = y + 1
    w = z * 1
    assert (y.scope, z.scope, w.scope) == ("Affine1", "Affine1/inner", None)


def test_backward_trace_matches_backward():
    price, leaves = apple_orange()
    steps = ag.backward_trace(price)
    assert [s.node for s in steps] == [n for n in ag.backward_order(price) if not n.is_leaf]
    assert len(steps) == 4  # ×, ×, +, ×
    assert all(n.grad is None for n in leaves)  # trace leaves .grad alone
    first = steps[0]
    assert first.node is price and first.upstream == 1.0
    assert first.local == pytest.approx((1.1, 650))
    assert first.contributions == pytest.approx((1.1, 650))
    price.backward()
    got = {}
    for s in steps:
        for inp, c in zip(s.node.inputs, s.contributions):
            got[inp] = got.get(inp, 0.0) + c
    for leaf in leaves:
        assert got[leaf] == pytest.approx(leaf.grad)


def test_repr_and_item():
    x = Node(2.5, name="x")
    assert "x=2.5" in repr(x)
    assert Node(np.array([[4.0]])).item() == 4.0


def test_scalar_division_by_zero_names_the_op():
    for f, op in ((lambda: Node(1.0) / Node(0.0), "div:"),
                  (lambda: Node(0.0) ** -1, "pow")):
        with pytest.raises(ZeroDivisionError) as info:
            f()
        assert str(info.value).startswith(op), str(info.value)  # "div: ...", the house style
    x = Node(0.0)
    with np.errstate(divide="ignore"):
        y = ag.log(x)
    with pytest.raises(ZeroDivisionError, match=r"log: division by zero in backward"):
        y.backward()
    with pytest.raises(ZeroDivisionError, match=r"log: division by zero in backward"):
        ag.backward_trace(y)  # the explorer's replay says the same
    # a tiny divisor is not zero: −a/b² is computed as (a/b)/b, which overflows to −inf as in
    # NumPy instead of b*b underflowing to 0 and raising
    a, b = Node(1.0), Node(1e-200)
    (a / b).backward()
    assert a.grad == pytest.approx(1e200) and b.grad == -math.inf


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


# ============================================================ what the engine does not guard
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


