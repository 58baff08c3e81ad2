"""autograd/gradcheck.py: central differences, and gradcheck catching wrong derivatives.

Every op is checked with ``gradcheck(..., order=2)`` in test_ops.py; here the checker itself is
tested, including that it fails when a first or a second derivative is wrong.
"""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag
from autograd import GradcheckReport, Node, gradcheck, numerical_gradient


class _Cube(ag.Op):
    """x³ with a backward that can be wrong to first or to second order (for these tests)."""

    name, symbol, formula, derivative = "cube", "³", "y = x³", "∂y/∂x = 3x²"
    wrong_first = False
    wrong_second = False

    @staticmethod
    def forward(x):
        return x ** 3

    @staticmethod
    def backward(g, y, ctx, x):
        if _Cube.wrong_first:
            return (g * 3.1 * x * x,)
        if _Cube.wrong_second and g.__class__ is Node:
            # right values, but written with x treated as a constant: d/dx of it is lost
            return (g * 3.0 * Node(np.asarray(x.value) ** 2, requires_grad=False),)
        return (g * 3.0 * x * x,)


@pytest.fixture
def cube():
    yield lambda x: ag.apply(_Cube, x)
    _Cube.wrong_first = _Cube.wrong_second = False


def test_numerical_gradient_on_floats_arrays_and_nodes():
    assert numerical_gradient(lambda v: v ** 3, 2.0) == pytest.approx(12.0, rel=1e-7)
    a = np.array([1.0, -2.0, 0.5])
    np.testing.assert_allclose(numerical_gradient(lambda v: np.sum(v ** 2), a), 2 * a, rtol=1e-7)
    np.testing.assert_array_equal(a, [1.0, -2.0, 0.5])  # perturbed in place and restored
    n = Node(np.array([[3.0, 4.0]]))
    np.testing.assert_allclose(numerical_gradient(lambda v: (v * v).sum(), n), [[6.0, 8.0]],
                               rtol=1e-7)
    s = Node(1.5)
    assert numerical_gradient(lambda v: v * v, s) == pytest.approx(3.0, rel=1e-7)
    assert s.value == 1.5
    with pytest.raises(TypeError, match="float array"):
        numerical_gradient(lambda v: v.sum(), np.arange(3))


def test_gradcheck_reports_every_input_and_order(cube):
    x, w = Node(np.array([0.5, 1.5, -1.0]), name="x"), Node(np.array([2.0, 1.0, 3.0]))
    report = gradcheck(lambda a, b: (cube(a) * b).sum(), x, w, order=2)
    assert isinstance(report, GradcheckReport) and report.ok and bool(report)
    assert [(r.name, r.order) for r in report.rows] == [("x", 1), ("input1", 1), ("x", 2),
                                                       ("input1", 2)]
    assert all(r.max_abs_diff < 1e-7 for r in report.rows)
    np.testing.assert_allclose(x.grad, 3 * x.value ** 2 * w.value)  # .grad: the first order
    text = str(report)
    assert text.splitlines()[0].split()[:2] == ["input", "order"] and "NO" not in text


def test_gradcheck_catches_a_wrong_first_derivative(cube):
    _Cube.wrong_first = True
    report = gradcheck(cube, Node(np.array([1.0, 2.0])))
    assert not report.ok and report.rows[0].max_rel_diff == pytest.approx(0.1 / 3, rel=1e-4)
    assert "NO" in str(report)


def test_order_2_catches_a_wrong_second_derivative_that_order_1_misses(cube):
    _Cube.wrong_second = True
    x = Node(np.array([1.0, -2.0, 0.5]))
    assert gradcheck(cube, x).ok
    report = gradcheck(cube, x, order=2)
    assert [r.ok for r in report.rows] == [True, False]


def test_order_2_works_on_python_floats_and_skips_constants():
    x, c = Node(0.7, name="x"), Node(2.0, requires_grad=False)
    report = gradcheck(lambda a, b: ag.tanh(a * b), x, c, order=2)
    assert report.ok and [r.name for r in report.rows] == ["x", "x"]


def test_order_2_through_an_op_without_a_recordable_backward_says_so():
    from nn import Pooling

    x = Node(np.random.default_rng(0).standard_normal((1, 1, 4, 4)))
    assert gradcheck(lambda v: Pooling(2, 2)(v), x)
    with pytest.raises(NotImplementedError, match="max_pool"):
        gradcheck(lambda v: Pooling(2, 2)(v), x, order=2)


def test_bad_arguments():
    with pytest.raises(TypeError, match="input 0 is a ndarray, not a Node"):
        gradcheck(lambda v: v, np.ones(2))
    with pytest.raises(ValueError, match="order must be 1 or 2"):
        gradcheck(lambda v: v, Node(1.0), order=3)


def test_numerical_gradient_is_the_central_difference():
    W = np.array([1.0, 2.0, -1.0])
    grad = ag.numerical_gradient(lambda w: float(np.sum(w ** 3)), W)
    np.testing.assert_allclose(grad, 3 * W ** 2, rtol=1e-6)
    np.testing.assert_array_equal(W, [1.0, 2.0, -1.0])  # perturbed in place, then restored


@pytest.mark.parametrize("fail_on_call", [1, 2, 5])
def test_numerical_gradient_restores_the_weight_when_f_raises(fail_on_call):
    W = np.ones(4)
    calls = []

    def f(w):
        calls.append(1)
        if len(calls) == fail_on_call:
            raise KeyboardInterrupt  # the user stops a slow check half-way
        return float(np.sum(w * w))

    with pytest.raises(KeyboardInterrupt):
        ag.numerical_gradient(f, W)
    np.testing.assert_array_equal(W, np.ones(4))


def test_numerical_gradient_of_a_node_restores_its_value_when_f_raises():
    x = Node(1.5)

    def f(node):
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        ag.numerical_gradient(f, x)
    assert x.value == 1.5


def test_gradcheck_report():
    x = Node(np.array([0.3, -0.7]))
    report = ag.gradcheck(lambda x: ag.tanh(x) * x, x)
    assert report.ok and report.rows[0].max_abs_diff < 1e-8
    assert "yes" in str(report)
