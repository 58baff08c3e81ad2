"""Parameter updates (参数的更新, chapter 6.1): SGD, Momentum, Nesterov, AdaGrad, RMSprop, Adam.

Each optimizer works two ways, with one update rule (``_update``) serving both:

- **The book's way**: ``opt = SGD(lr=0.01)``, then ``opt.update(params, grads)`` with the
  ``params`` / ``grads`` dicts of arrays; every array in ``params`` is changed in place.
- **PyTorch's way**: ``opt = SGD(model.parameters(), lr=0.1)`` with a list of parameter Nodes,
  then per step ``opt.zero_grad()``, ``loss.backward()``, ``opt.step()``; each Node's value is
  changed in place using its ``.grad``.

The first argument says which: a list of Nodes, or (the book) nothing or the learning rate
(``SGD(0.1)``). Because updates are in place, a model's ``params`` arrays, its layers and its
parameter Nodes all see every step.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from autograd.node import Node

__all__ = ["Optimizer", "SGD", "Momentum", "Nesterov", "AdaGrad", "RMSprop", "Adam"]

_EPS = 1e-7  # the book's ε in AdaGrad, RMSprop and Adam: keeps the division finite


class Optimizer:
    """Base class: the two calling conventions around one in-place update rule.

    Subclasses define ``_update(key, param, grad)``, which changes the array `param` in place;
    `key` identifies the parameter in the optimizer's state (the ``params`` key in the book's
    form, the position in the list in PyTorch's form).
    """

    default_lr: float = 0.01

    def __init__(self, params: Iterable[Node] | float | None = None,
                 lr: float | None = None) -> None:
        name = type(self).__name__
        if params is None or (isinstance(params, numbers.Real) and not isinstance(params, bool)):
            if params is not None:  # SGD(0.1): the book passes the learning rate first
                if lr is not None:
                    raise TypeError(f"{name}: the first argument {params!r} is taken as lr, but "
                                    f"lr={lr!r} was given too; pass hyperparameters by name, "
                                    f"e.g. {name}(lr=0.01)")
                lr = float(params)
            #: The parameter Nodes (PyTorch's form), or None (the book's form).
            self.params: list[Node] | None = None
        elif isinstance(params, Mapping):
            raise TypeError(f"{name}: got a dict of arrays; the book's form is "
                            f"{name}(lr=...).update(params, grads), PyTorch's is "
                            f"{name}(model.parameters(), lr=...)")
        else:
            self.params = list(params)
            for i, p in enumerate(self.params):
                if p.__class__ is not Node:
                    raise TypeError(f"{name}: parameter {i} is a {type(p).__name__}, not a "
                                    f"Node; pass model.parameters()")
        self.lr: float = self.default_lr if lr is None else float(lr)

    # ----------------------------------------------------------------- the two forms
    def update(self, params: dict[str, Any], grads: dict[str, Any]) -> None:
        """The book's form: update every array of `params` in place from `grads` (same keys)."""
        missing = [key for key in params if key not in grads]
        if missing:
            raise KeyError(f"{type(self).__name__}.update: grads has no entry for {missing}")
        self._begin()
        for key in params:
            new = self._apply(key, params[key], grads[key])
            if new is not params[key]:  # a Python float cannot change in place
                params[key] = new

    def step(self) -> None:
        """PyTorch's form: update every parameter Node from its ``.grad`` (skipped if None)."""
        if self.params is None:
            raise RuntimeError(f"{type(self).__name__}.step: this optimizer was made without "
                               f"parameters; build it with {type(self).__name__}("
                               f"model.parameters(), lr=...) or call update(params, grads)")
        self._begin()
        for i, p in enumerate(self.params):
            grad, value = p.grad, p.value
            if grad is None:
                continue
            if grad.__class__ is Node:  # after backward(create_graph=True)
                grad = grad.value
            new = self._apply(i, value, grad)
            if new is not value:
                p.value = new

    def zero_grad(self) -> None:
        """Set the ``.grad`` of every parameter Node to None (PyTorch's form only)."""
        for p in self.params or ():
            p.grad = None

    # ----------------------------------------------------------------- the rule
    def _apply(self, key: Any, value: Any, grad: Any) -> Any:
        if isinstance(value, np.ndarray) and value.flags.writeable:
            if (grad.shape if grad.__class__ is np.ndarray else np.shape(grad)) != value.shape:
                raise ValueError(f"{type(self).__name__}: gradient of {key!r} has shape "
                                 f"{np.shape(grad)} but the parameter has shape {value.shape}")
            self._update(key, value, grad)
            return value
        arr = np.array(value, dtype=np.float64)  # a scalar parameter: update a copy
        self._update(key, arr, np.asarray(grad, dtype=np.float64))
        return float(arr) if arr.ndim == 0 else arr

    def _begin(self) -> None:
        """Called once per step before the parameters are updated (Adam counts steps here)."""

    def _update(self, key: Any, param: np.ndarray, grad: Any) -> None:  # pragma: no cover
        raise NotImplementedError

    @staticmethod
    def _slot(store: dict[Any, np.ndarray], key: Any, like: np.ndarray) -> np.ndarray:
        """The state array for `key` (velocity, squared sums, ...), zeros at first."""
        value = store.get(key)
        if value is None:
            value = store[key] = np.zeros_like(like)
        return value

    def __repr__(self) -> str:
        hyper = ", ".join(f"{k}={v}" for k, v in vars(self).items()
                          if isinstance(v, float))
        return f"{type(self).__name__}({hyper})"


class SGD(Optimizer):
    """Stochastic gradient descent: ``W ← W − lr · ∂L/∂W``."""

    def __init__(self, params: Iterable[Node] | float | None = None,
                 lr: float | None = None) -> None:
        super().__init__(params, lr)

    def _update(self, key: Any, param: np.ndarray, grad: Any) -> None:
        param -= self.lr * grad


class Momentum(Optimizer):
    """Momentum SGD: ``v ← momentum · v − lr · ∂L/∂W``, ``W ← W + v`` (v starts at 0)."""

    def __init__(self, params: Iterable[Node] | float | None = None, lr: float | None = None,
                 momentum: float = 0.9) -> None:
        super().__init__(params, lr)
        self.momentum = float(momentum)
        self.v: dict[Any, np.ndarray] = {}

    def _update(self, key: Any, param: np.ndarray, grad: Any) -> None:
        v = self._slot(self.v, key, param)
        v *= self.momentum
        v -= self.lr * grad
        param += v


class Nesterov(Optimizer):
    """Nesterov's accelerated gradient, in the book's form (no look-ahead evaluation needed).

    ``W ← W + momentum² · v − (1 + momentum) · lr · ∂L/∂W``, then
    ``v ← momentum · v − lr · ∂L/∂W``.
    """

    def __init__(self, params: Iterable[Node] | float | None = None, lr: float | None = None,
                 momentum: float = 0.9) -> None:
        super().__init__(params, lr)
        self.momentum = float(momentum)
        self.v: dict[Any, np.ndarray] = {}

    def _update(self, key: Any, param: np.ndarray, grad: Any) -> None:
        v = self._slot(self.v, key, param)
        param += self.momentum * self.momentum * v
        param -= (1 + self.momentum) * self.lr * grad
        v *= self.momentum
        v -= self.lr * grad


class AdaGrad(Optimizer):
    """AdaGrad: ``h ← h + (∂L/∂W)²``, ``W ← W − lr · ∂L/∂W / (√h + ε)``.

    Each weight's step shrinks as its squared gradients add up.
    """

    def __init__(self, params: Iterable[Node] | float | None = None,
                 lr: float | None = None) -> None:
        super().__init__(params, lr)
        self.h: dict[Any, np.ndarray] = {}

    def _update(self, key: Any, param: np.ndarray, grad: Any) -> None:
        h = self._slot(self.h, key, param)
        h += grad * grad
        param -= self.lr * grad / (np.sqrt(h) + _EPS)


class RMSprop(Optimizer):
    """RMSprop: like AdaGrad with a decaying average, ``h ← ρ·h + (1 − ρ)·(∂L/∂W)²``."""

    def __init__(self, params: Iterable[Node] | float | None = None, lr: float | None = None,
                 decay_rate: float = 0.99) -> None:
        super().__init__(params, lr)
        self.decay_rate = float(decay_rate)
        self.h: dict[Any, np.ndarray] = {}

    def _update(self, key: Any, param: np.ndarray, grad: Any) -> None:
        h = self._slot(self.h, key, param)
        h *= self.decay_rate
        h += (1 - self.decay_rate) * grad * grad
        param -= self.lr * grad / (np.sqrt(h) + _EPS)


class Adam(Optimizer):
    """Adam, as in the book: moment averages m, v and a bias-corrected step size.

    Per step t: ``lr_t = lr · √(1 − β₂ᵗ) / (1 − β₁ᵗ)``; per weight:
    ``m ← m + (1 − β₁)(g − m)``, ``v ← v + (1 − β₂)(g² − v)``, ``W ← W − lr_t · m / (√v + ε)``.
    """

    default_lr = 0.001

    def __init__(self, params: Iterable[Node] | float | None = None, lr: float | None = None,
                 beta1: float = 0.9, beta2: float = 0.999) -> None:
        super().__init__(params, lr)
        self.beta1, self.beta2 = float(beta1), float(beta2)
        self.iter = 0
        self.m: dict[Any, np.ndarray] = {}
        self.v: dict[Any, np.ndarray] = {}
        self._lr_t = 0.0

    def _begin(self) -> None:
        self.iter += 1
        self._lr_t = (self.lr * np.sqrt(1.0 - self.beta2 ** self.iter)
                      / (1.0 - self.beta1 ** self.iter))

    def _update(self, key: Any, param: np.ndarray, grad: Any) -> None:
        m = self._slot(self.m, key, param)
        v = self._slot(self.v, key, param)
        m += (1 - self.beta1) * (grad - m)
        v += (1 - self.beta2) * (grad ** 2 - v)
        param -= self._lr_t * m / (np.sqrt(v) + _EPS)
