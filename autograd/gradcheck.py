"""Gradient checking (梯度确认): compare backpropagation with central finite differences.

Backprop is fast but easy to get wrong; the numerical derivative (f(x+h) − f(x−h)) / 2h is slow
but simple. When the two agree to about 1e-7 or better, the backward code is right.

``gradcheck(f, x, order=2)`` also checks the derivative of the backward pass itself, as HIPS
autograd's ``check_grads`` does: the gradient, computed with ``backward(create_graph=True)``, is
a function of the inputs like any other, so its own gradient is checked against finite
differences of it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from autograd.node import Node, _data, as_node

__all__ = ["numerical_gradient", "gradcheck", "GradcheckReport"]


def numerical_gradient(f: Callable[[Any], Any], x: Any, h: float = 1e-4) -> Any:
    """Central-difference gradient of scalar `f` at `x` (the textbook's chapter 4 function).

    `x` is a float, a NumPy array (perturbed in place and restored, as in the book, so
    ``numerical_gradient(lambda W: net.loss(x, t), net.params['W1'])`` works) or a Node (its
    value is perturbed). `f` may return a number or a scalar Node.
    """
    if isinstance(x, Node):
        if isinstance(x.value, np.ndarray):
            if not x.value.flags.writeable:  # e.g. a broadcast view: perturb a copy instead
                x.value = np.array(x.value)
            return numerical_gradient(f, x.value, h)
        base = x.value
        try:
            x.value = base + h
            fp = float(_data(f(x)))
            x.value = base - h
            fm = float(_data(f(x)))
        finally:
            x.value = base
        return (fp - fm) / (2 * h)
    if not isinstance(x, np.ndarray):
        x = float(x)
        return (float(_data(f(x + h))) - float(_data(f(x - h)))) / (2 * h)
    if x.dtype.kind != "f":
        raise TypeError(f"numerical_gradient: x must be a float array, got dtype {x.dtype}")
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"], op_flags=[["readwrite"]])
    while not it.finished:
        idx = it.multi_index
        original = x[idx]
        try:
            x[idx] = original + h
            fp = float(_data(f(x)))
            x[idx] = original - h
            fm = float(_data(f(x)))
        finally:
            x[idx] = original  # restore, so the caller's array is unchanged (also if f raises)
        grad[idx] = (fp - fm) / (2 * h)
        it.iternext()
    return grad


@dataclass
class GradcheckRow:
    """Backprop vs numerical gradient for one input."""

    name: str
    max_abs_diff: float
    max_rel_diff: float
    mean_abs_diff: float
    ok: bool
    #: 1: the gradient of f; 2: the gradient of the gradient (``gradcheck(..., order=2)``)
    order: int = 1


@dataclass
class GradcheckReport:
    """The per-input comparison `gradcheck` returns; truthy when every input passed."""

    rows: list[GradcheckRow]

    @property
    def ok(self) -> bool:
        """True when every input's gradient matched within tolerance."""
        return all(r.ok for r in self.rows)

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        lines = [f"{'input':<12} {'order':>5} {'max |Δ|':>10} {'max rel Δ':>10} "
                 f"{'mean |Δ|':>10}  ok"]
        for r in self.rows:
            lines.append(f"{r.name:<12} {r.order:>5} {r.max_abs_diff:10.2e} "
                         f"{r.max_rel_diff:10.2e} {r.mean_abs_diff:10.2e}  "
                         f"{'yes' if r.ok else 'NO'}")
        return "\n".join(lines)


def gradcheck(f: Callable[..., Node], *inputs: Node, eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-3, seed: int = 0, order: int = 1) -> GradcheckReport:
    """Check backprop against central differences for every input that requires a gradient.

    `f(*inputs)` must return a Node; a non-scalar output is reduced with a fixed random
    weighting (so every output element is checked). Compute in float64 for meaningful numbers.
    Returns a report with max absolute / relative difference per input; ``bool(report)`` says
    whether all passed (|Δ| <= atol + rtol·|numerical|).

    ``order=2`` also checks second derivatives, as HIPS autograd's ``check_grads``: with fixed
    random directions vᵢ, the function ``Σᵢ vᵢ · ∂f/∂xᵢ`` (its gradients computed by
    ``backward(create_graph=True)``) gets the same first-order check. Every op it passes
    through must be twice differentiable (``Op.twice_differentiable``).
    """
    if order not in (1, 2):
        raise ValueError(f"gradcheck: order must be 1 or 2, got {order!r}")
    for i, x in enumerate(inputs):
        if not isinstance(x, Node):
            raise TypeError(f"gradcheck: input {i} is a {type(x).__name__}, not a Node")
    second = []
    if order == 2:
        second = _first_order(_directional_gradient(f, inputs, seed), inputs, eps, atol, rtol,
                              seed + 1)
        for row in second:
            row.order = 2
    # first order last, so each input's .grad is left holding the gradient of f, as with order=1
    return GradcheckReport(_first_order(f, inputs, eps, atol, rtol, seed) + second)


def _weights(out: Node, seed: int) -> np.ndarray | None:
    """The fixed random weighting that reduces a non-scalar output to a number (None: scalar)."""
    if np.size(out.value) == 1:
        return None
    return np.random.default_rng(seed).standard_normal(np.shape(out.value))


def _first_order(f: Callable[..., Node], inputs: tuple[Node, ...], eps: float, atol: float,
                 rtol: float, seed: int) -> list[GradcheckRow]:
    out = f(*inputs)
    weights = _weights(out, seed)

    def scalar(o: Node) -> float:
        v = np.asarray(_data(o), dtype=np.float64)
        return float(v.sum() if weights is None else (v * weights).sum())

    for x in inputs:
        x.grad = None
    if out.requires_grad:  # an output that recorded nothing has a zero gradient everywhere
        out.backward(None if weights is None else weights)
    # read every gradient before any finite difference runs f again (f may reset them)
    analytics = [np.asarray(_data(x.grad) if x.grad is not None else np.zeros(x.shape),
                            dtype=np.float64) for x in inputs]
    rows = []
    for i, (x, analytic) in enumerate(zip(inputs, analytics)):
        if not x.requires_grad:
            continue
        numeric = np.asarray(numerical_gradient(lambda _: scalar(f(*inputs)), x, eps),
                             dtype=np.float64)
        diff = np.abs(analytic - numeric)
        rel = diff / np.maximum(np.abs(numeric), 1e-12)
        ok = bool(np.all(diff <= atol + rtol * np.abs(numeric)))
        rows.append(GradcheckRow(x.name or f"input{i}", float(diff.max(initial=0.0)),
                                 float(np.where(diff == 0, 0.0, rel).max(initial=0.0)),
                                 float(diff.mean()) if diff.size else 0.0, ok))
    return rows


def _directional_gradient(f: Callable[..., Node], inputs: tuple[Node, ...],
                          seed: int) -> Callable[..., Node]:
    """``(*xs) -> Σᵢ vᵢ · ∂(w · f)/∂xᵢ`` as a recorded scalar Node (vᵢ, w: fixed random)."""
    rng = np.random.default_rng(seed + 2)
    directions = [rng.standard_normal(x.shape) if x.requires_grad else None for x in inputs]

    def g(*xs: Node) -> Node:
        out = f(*xs)
        weights = _weights(out, seed)
        for x in xs:
            x.grad = None
        out.backward(weights, create_graph=True)
        total: Node = as_node(0.0)
        for x, v in zip(xs, directions):
            if v is not None and x.grad is not None:
                total = total + (x.grad * v).sum()
        for x in xs:
            x.grad = None  # the caller's backward through `total` must start from nothing
        return total

    return g
