"""The graph and the backward pass: textbook numbers, order, modes, errors, memory."""

import gc
import math
import sys
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


def test_ints_become_floats_and_float32_is_kept():
    assert Node(3).value.__class__ is float
    assert Node(np.arange(3)).value.dtype == np.float64
    assert Node(np.ones(2, np.float32)).value.dtype == np.float32


def test_anomaly_mode_names_first_bad_op():
    x = Node(np.array([1.0, -1.0]))
    with ag.detect_anomaly():
        with pytest.raises(FloatingPointError, match="log produced NaN or Inf in its forward"):
            ag.log(x)
    y = ag.sqrt(Node(0.0))
    with ag.detect_anomaly():
        with pytest.raises(FloatingPointError, match="sqrt produced NaN or Inf in its backward"):
            y.backward()


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
    with pytest.raises(ZeroDivisionError, match=r"div: division by zero"):
        Node(1.0) / Node(0.0)
    x = Node(0.0)
    with np.errstate(divide="ignore"):
        y = ag.log(x)
    with pytest.raises(ZeroDivisionError, match=r"log: division by zero in backward"):
        y.backward()
    with pytest.raises(ZeroDivisionError, match=r"log: division by zero in backward"):
        ag.backward_trace(y)  # the explorer's replay says the same
