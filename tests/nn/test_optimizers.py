"""Tests for nn/optimizers.py: first steps against hand-computed values, both interfaces equal."""

from __future__ import annotations

import numpy as np
import pytest

from autograd import Node
from nn import SGD, AdaGrad, Adam, Momentum, Nesterov, RMSprop

# Two steps from W = 1 with the constant gradient 0.5, worked out by hand:
#   SGD      lr .1:         1 − .05 = .95;  .95 − .05 = .90
#   Momentum lr .1, m .9:   v = −.05 → .95;  v = .9·(−.05) − .05 = −.095 → .855
#   Nesterov lr .1, m .9:   W − 1.9·.1·.5 = .905, v = −.05;
#                           .905 + .81·(−.05) − .095 = .7695
#   AdaGrad  lr .1:         h = .25:  1 − .05/(.5 + 1e-7) = .90000002;
#                           h = .5:   − .05/(.70710678 + 1e-7) → .82928934
#   RMSprop  lr .1, ρ .99:  h = .0025 → 1 − .05/(.05 + 1e-7) = .000002;
#                           h = .99·.0025 + .0025 = .004975 → −.05/.07053368 = −.70888
#   Adam     lr .001:       a constant gradient makes each bias-corrected step exactly lr
#                           (m/√v = .05/√.00025 = 3.1623, lr_t = .001·√.001/.1 = 3.1623e-4)
FIRST_STEPS = [
    (SGD(lr=0.1), (0.95, 0.90)),
    (Momentum(lr=0.1, momentum=0.9), (0.95, 0.855)),
    (Nesterov(lr=0.1, momentum=0.9), (0.905, 0.7695)),
    (AdaGrad(lr=0.1), (0.90000002, 0.82928934)),
    (RMSprop(lr=0.1, decay_rate=0.99), (0.000002, -0.70888)),
    (Adam(lr=0.001), (0.999, 0.998)),
]


@pytest.mark.parametrize(("opt", "expect"), FIRST_STEPS, ids=lambda v: type(v).__name__)
def test_first_two_steps_match_hand_computed_values(opt, expect):
    params = {"W": np.array([1.0])}
    W = params["W"]
    for want in expect:
        opt.update(params, {"W": np.array([0.5])})
        assert params["W"] is W  # in place, as the book's params[key] -= ...
        assert W[0] == pytest.approx(want, abs=2e-6)


def _make(cls, params=None):
    kwargs = {"lr": 0.05}
    if cls in (Momentum, Nesterov):
        kwargs["momentum"] = 0.8
    return cls(**kwargs) if params is None else cls(params, **kwargs)


@pytest.mark.parametrize("cls", [SGD, Momentum, Nesterov, AdaGrad, RMSprop, Adam])
def test_both_interfaces_give_identical_results(cls):
    rng = np.random.default_rng(0)
    start = {"W1": rng.standard_normal((3, 2)), "b1": rng.standard_normal(2)}
    grads = [{k: rng.standard_normal(v.shape) for k, v in start.items()} for _ in range(5)]

    book_params = {k: v.copy() for k, v in start.items()}
    book = _make(cls)
    nodes = [Node(v.copy(), name=k) for k, v in start.items()]
    torch_like = _make(cls, nodes)
    for g in grads:
        book.update(book_params, g)
        torch_like.zero_grad()
        for node in nodes:
            node.grad = g[node.name]
        torch_like.step()
    for node in nodes:
        np.testing.assert_array_equal(node.value, book_params[node.name])


def test_step_after_backward_and_skips_parameters_without_grad():
    w, unused = Node(np.array([2.0, -1.0]), name="w"), Node(np.array([5.0]))
    opt = SGD([w, unused], lr=0.25)
    opt.zero_grad()
    (w * w).sum().backward()  # ∂/∂w = 2w
    opt.step()
    np.testing.assert_allclose(w.value, [1.0, -0.5])
    np.testing.assert_array_equal(unused.value, [5.0])
    opt.zero_grad()
    assert w.grad is None


def test_step_checks_gradient_shapes_and_replaces_read_only_values():
    w = Node(np.ones(2), name="w")
    w.grad = np.ones((3, 2))  # would broadcast silently into w
    with pytest.raises(ValueError, match=r"gradient of 0 has shape \(3, 2\) but the parameter "
                                         r"has shape \(2,\)"):
        SGD([w], lr=0.5).step()
    frozen = np.ones(2)
    frozen.flags.writeable = False
    w.value, w.grad = frozen, np.ones(2)
    SGD([w], lr=0.5).step()  # cannot change in place: the Node gets a new array
    np.testing.assert_array_equal(w.value, [0.5, 0.5])
    np.testing.assert_array_equal(frozen, [1.0, 1.0])


def test_scalar_node_parameter():
    x = Node(3.0)
    opt = Momentum([x], lr=0.1)
    for _ in range(3):
        opt.zero_grad()
        (x * x).backward()
        opt.step()
    assert isinstance(x.value, float) and x.value < 3.0


def test_float32_parameters_stay_float32():
    params = {"W": np.ones(3, dtype=np.float32)}
    Adam().update(params, {"W": np.full(3, 0.5)})
    assert params["W"].dtype == np.float32


def test_book_defaults_and_positional_learning_rate():
    assert SGD().lr == 0.01 and Adam().lr == 0.001
    assert (Adam().beta1, Adam().beta2) == (0.9, 0.999)
    assert RMSprop().decay_rate == 0.99 and Momentum().momentum == 0.9
    assert SGD(0.5).lr == 0.5
    opt = Momentum(0.1, momentum=0.5)
    assert (opt.lr, opt.momentum, opt.params) == (0.1, 0.5, None)


def test_argument_errors():
    with pytest.raises(TypeError, match="pass hyperparameters by name"):
        SGD(0.1, lr=0.2)
    with pytest.raises(TypeError, match="got a dict of arrays"):
        SGD({"W": np.ones(2)})
    with pytest.raises(TypeError, match="parameter 0 is a ndarray, not a Node"):
        SGD([np.ones(2)])
    with pytest.raises(RuntimeError, match="made without parameters"):
        SGD(lr=0.1).step()
    with pytest.raises(KeyError, match="no entry for"):
        SGD().update({"W": np.ones(2)}, {})
    with pytest.raises(ValueError, match="has shape"):
        SGD().update({"W": np.ones(2)}, {"W": np.ones(3)})
