"""The computational graph (计算图): `Node`, how operations are recorded, and the backward pass.

Every arithmetic operation on a `Node` makes a new `Node` that remembers the operation (`op`) and
its inputs, in order. `backward()` then visits the nodes in reverse topological order — each node
only after every node that consumed it — and applies each op's local derivative (局部导数) to the
gradient arriving from downstream: the chain rule (链式法则), one local computation at a time.
`backward_reference` below is that sentence written as code; `Node.backward` runs a faster copy
of it that a test proves equal, bit for bit.

Design notes (why it looks like this):
- A node points to its inputs, never to its outputs, and an op's backward is a plain function
  stored on the op class, not a closure. So a graph has no reference cycles and is freed by
  reference counting the moment it is no longer used (micrograd's closures make a cycle per op).
- Graph walks are loops over explicit stacks, never recursion, so million-node chains work.
- Ids come from a counter, inputs are kept in order: everything derived from a graph (backward
  order, DOT text) is the same from run to run.
- Grad mode, scopes and anomaly mode belong to the thread (to the `contextvars` context, as
  PyTorch's grad mode belongs to the thread): a `no_grad()` in one thread never changes what
  another records. Backward passes that write ``.grad`` run one at a time (a lock), so two
  threads backpropagating through a shared subgraph both get exact gradients.
"""

from __future__ import annotations

import contextlib
import contextvars
import itertools
import numbers
import operator
import threading
from collections.abc import Iterator
from typing import Any, NamedTuple

import numpy as np

__all__ = [
    "Node",
    "Op",
    "Step",
    "as_node",
    "backward_order",
    "backward_reference",
    "backward_trace",
    "detect_anomaly",
    "enable_grad",
    "is_anomaly_enabled",
    "is_grad_enabled",
    "no_grad",
    "record",
    "record_inputs",
    "scope",
    "topological_order",
]


# --------------------------------------------------------------------- the chain rule
# The backward pass in its plain form, first: the rest of this file records graphs, walks them
# and runs a faster copy of this (`_backward_fast`).
def _chain_rule(root: Node, seed: Any, create_graph: bool = False) -> Iterator[tuple]:
    """Yield ``(node, ∂root/∂node, contributions to its inputs)``, each node after its consumers.

    The whole algorithm: the gradient of a node is the sum, over the nodes that consumed it,
    of their gradient times their local derivative (the chain rule). Visiting each node only
    after all of its consumers means that sum is complete when the node is reached.
    """
    grads = {root: seed}
    for node in _reachable(root):  # each node after all of its consumers
        g = grads.pop(node, None)
        if g is None:
            continue
        contributions = _contributions(node, g, create_graph) if node.op is not None else ()
        yield node, g, contributions
        for inp, c in zip(node.inputs, contributions):
            if c is not None:  # add this contribution to the input's gradient
                grads[inp] = c if inp not in grads else grads[inp] + c


def _contributions(node: Node, g: Any, create_graph: bool = False) -> list:
    """``g × ∂node/∂input`` for each input, fitted to its shape and dtype; None if not needed."""
    op, inputs = node.op, node.inputs
    needs = tuple([inp.requires_grad for inp in inputs])
    if create_graph:
        if not op.twice_differentiable:
            raise NotImplementedError(
                f"backward(create_graph=True): the op '{op.name}' has no recordable backward; "
                f"higher-order gradients through it are not supported")
        args = (as_node(g), node, node.ctx, *inputs)
    else:
        args = (g, node.value, node.ctx, *[inp.value for inp in inputs])
    try:
        if op.partial and False in needs:
            raw = op.backward(*args, needs=needs)
        else:
            raw = op.backward(*args)
        out = [_fit(c, inp) if need and c is not None else None
               for inp, c, need in zip(inputs, raw, needs)]
    except ZeroDivisionError:
        raise _zero_division(node) from None
    except _GradShapeError as exc:
        raise _bad_grad(node, exc) from None
    if _get_mode().anomaly:
        for c in out:
            if c is not None:
                _check_finite(op, c, "backward")
    return out


def backward_reference(root: Node, seed: Any = None, *, create_graph: bool = False,
                       retain_grad: bool = True) -> None:
    """The backward pass as the chain rule states it: the plain version of ``Node.backward``.

    Used for ``create_graph=True`` and anomaly mode; ``backward_trace`` replays the same
    `_chain_rule`. ``Node.backward`` otherwise runs `_backward_fast`, an optimisation of this
    that a test shows to give bit-identical gradients.
    """
    seed = _seed(root, seed, create_graph)
    with _backward_lock, contextlib.ExitStack() as stack:
        if not create_graph:
            stack.enter_context(no_grad())
        for node, g, _ in _chain_rule(root, seed, create_graph):
            if node.op is None:  # a leaf: add this backward's gradient to what it had
                node.grad = g if node.grad is None else node.grad + g
            else:
                node.grad = g if retain_grad or node is root else None


# --------------------------------------------------------------------- ops
class Op:
    """An operation the graph can record: forward formula and local derivative, side by side.

    Subclasses set the class attributes used by `viz` and the explorer, and two static methods:

    - ``forward(*values, *params)`` computes the output from plain numbers/arrays. If the op sets
      ``saves = True`` it returns ``(value, ctx)``, where ``ctx`` is whatever backward needs
      (a mask, a saved intermediate); otherwise it returns the value and ``ctx`` is ``params``.
    - ``backward(g, y, ctx, *inputs)`` returns one gradient per input: the upstream gradient `g`
      times the local derivative ∂y/∂input. `y` is the output, `inputs` are the inputs. They are
      plain values normally, and Nodes under ``backward(create_graph=True)``, so the same code
      also records the gradient computation for higher-order derivatives. Gradients may keep the
      broadcast shape: the engine sums them back to each input's shape and casts them to its
      dtype (see ``_fit``); any other shape is an error naming the op.
    """

    name: str = "op"
    symbol: str = "op"
    formula: str = ""
    #: one part per input, in input order, separated by a comma and two spaces:
    #: ``"∂y/∂a = b,  ∂y/∂b = a"`` (viz fills in each part's numbers)
    derivative: str = ""
    saves: bool = False
    #: True if ``backward`` accepts ``needs=(bool, ...)`` (which inputs want a gradient) and
    #: returns None for the others: worth it where a gradient costs real work, like a matrix
    #: product for the data batch of ``x @ W`` or an array product for the 2 in ``2 * x``.
    #: The engine passes `needs` only when some input has no use for a gradient.
    partial: bool = False
    #: False for ops whose backward uses NumPy directly and cannot be recorded again.
    twice_differentiable: bool = True

    @staticmethod
    def forward(*args: Any) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError

    @staticmethod
    def backward(g: Any, y: Any, ctx: Any, *inputs: Any) -> tuple:  # pragma: no cover
        raise NotImplementedError


def _as_value(value: Any, what: str = "Node") -> Any:
    """Check and normalise what a Node may hold: a float, a NumPy float scalar or float array.

    Python numbers become floats (float64); NumPy float32/float16 scalars and arrays keep
    their dtype; integer and boolean arrays become float64.
    """
    if value.__class__ is float:
        return value
    if value.__class__ is np.ndarray and value.dtype.kind == "f":  # a batch of data: as it is
        return value
    if isinstance(value, np.floating) and value.dtype != np.float64:
        return value  # np.float32(1.5) stays float32
    if isinstance(value, (bool, numbers.Real)) and not isinstance(value, np.ndarray):
        return float(value)
    if isinstance(value, Node):
        raise TypeError(f"{what}: value is already a Node ({value!r}); use it directly")
    if isinstance(value, (str, bytes, complex, np.complexfloating)):
        raise TypeError(f"{what}: value must be a real number or a numeric array, got "
                        f"{type(value).__name__} {value!r}")
    try:
        arr = np.asarray(value)
    except (ValueError, TypeError) as exc:
        raise TypeError(f"{what}: cannot make a numeric array from {value!r}: {exc}") from None
    kind = arr.dtype.kind
    if kind == "f":
        return arr
    if kind in "iub":
        return arr.astype(np.float64)
    raise TypeError(f"{what}: value must be a real number or a numeric array, got an array of "
                    f"dtype {arr.dtype} ({_short(value)})")


class Node:
    """A value in the computational graph (计算图的节点) and, after backward, its gradient.

    ``Node(100, name="apple")`` makes a leaf: a number the user supplies. Arithmetic on nodes
    makes new nodes that record the operation and its inputs. Scalars (Python floats) are the
    teaching case; NumPy arrays of any shape make the `nn` layers fast.
    """

    # The inputs live in two slots (a third holds any beyond two) rather than in a tuple: that
    # makes one object per recorded op instead of two, and Python's cycle collector, which
    # scans every live container object, then has half as much to scan. `inputs` rebuilds the
    # tuple on request.
    __slots__ = ("value", "grad", "_name", "op", "_a", "_b", "_more", "ctx", "id",
                 "requires_grad", "_scope", "_mark", "__weakref__")
    # Makes NumPy hand `array * node` over to Node.__rmul__ instead of building object arrays.
    __array_ufunc__ = None

    def __init__(self, value: Any, name: str | None = None, requires_grad: bool = True) -> None:
        record(None, _as_value(value), None, None, (), (), self)
        self.requires_grad = bool(requires_grad)
        if name is not None:
            self._name = str(name)

    # ----------------------------------------------------------------- inspection
    # `name` and `scope` are rarely set, so their slots are filled only when they are: one less
    # write for every recorded op. An unfilled slot reads as None here.
    @property
    def name(self) -> str | None:
        """Optional label shown by viz (e.g. "apple")."""
        try:
            return self._name
        except AttributeError:
            return None

    @name.setter
    def name(self, value: str | None) -> None:
        self._name = None if value is None else str(value)

    @property
    def scope(self) -> str | None:
        """The `autograd.scope` that was active when this node was made (e.g. "Affine1")."""
        try:
            return self._scope
        except AttributeError:
            return None

    @property
    def inputs(self) -> tuple[Node, ...]:
        """The inputs of the op that made this node, in order; ``()`` for a leaf."""
        a, b = self._a, self._b
        if a is None:
            return ()
        if b is None:
            return (a,)
        return (a, b, *self._more) if self._more else (a, b)

    @property
    def is_leaf(self) -> bool:
        """True for nodes the user made (inputs, parameters); False for operation results."""
        return self.op is None

    @property
    def shape(self) -> tuple[int, ...]:
        """Shape of the value; ``()`` for a scalar."""
        value = self.value  # a Python float, or a NumPy scalar or array (which know their shape)
        return () if value.__class__ is float else value.shape

    @property
    def ndim(self) -> int:
        """Number of dimensions of the value."""
        value = self.value
        return 0 if value.__class__ is float else value.ndim

    @property
    def size(self) -> int:
        """Number of elements of the value."""
        return int(np.size(self.value))

    @property
    def dtype(self) -> np.dtype:
        """NumPy dtype of the value (float64 for Python floats)."""
        return np.result_type(self.value)

    def __len__(self) -> int:
        return len(self.value)

    def item(self) -> float:
        """The value as a Python float (the value must have exactly one element)."""
        return float(np.asarray(self.value).item())

    def numpy(self) -> np.ndarray:
        """The value as a NumPy array."""
        return np.asarray(self.value)

    def __repr__(self) -> str:
        label = f"{self.name}=" if self.name else ""
        made_by = f", op={self.op.name}" if self.op is not None else ""
        grad = "" if self.grad is None else f", grad={_short(_data(self.grad), 40)}"
        return f"Node({label}{_short(self.value, 60)}{grad}{made_by})"

    # ----------------------------------------------------------------- gradients
    def backward(self, grad: Any = None, *, create_graph: bool = False,
                 retain_grad: bool = True) -> None:
        """Backward propagation (反向传播): fill ``.grad`` of every node that leads here.

        - On a scalar output the seed gradient is 1; otherwise pass ``grad`` with the output's
          shape.
        - Leaves accumulate: each gets ``old grad + this backward's gradient``, like PyTorch, so
          call ``zero_grad()`` between steps. Intermediate nodes get this backward's gradient.
        - ``retain_grad=False`` drops each intermediate gradient as soon as it has been used
          (training does this; viz needs the default True to draw every edge).
        - ``create_graph=True`` records the backward computation itself, so the gradients are
          Nodes that can be differentiated again.
        - Thread-safe: backward passes run one at a time, each with exact gradients. When two
          of them reach the same intermediate node, its ``.grad`` is the one from the pass that
          ran last.
        """
        if create_graph or _get_mode().anomaly:
            backward_reference(self, grad, create_graph=create_graph, retain_grad=retain_grad)
            return
        seed = _seed(self, grad, False)
        with _backward_lock:
            _backward_fast(self, seed, retain_grad)

    def zero_grad(self) -> None:
        """Forget this node's gradient (sets ``grad`` to None, as PyTorch's default does)."""
        self.grad = None

    cleargrad = zero_grad  # DeZero's name for the same thing

    def detach(self) -> Node:
        """A new leaf with the same value that is cut off from the graph (no gradient flows)."""
        out = record(None, self.value)
        if self.name is not None:
            out.name = self.name
        return out

    def requires_grad_(self, flag: bool = True) -> Node:
        """Set ``requires_grad`` in place (leaves only) and return self, as in PyTorch."""
        if self.op is not None:
            raise ValueError("requires_grad_: only leaves can change requires_grad; "
                             "use .detach() to cut an intermediate node off the graph")
        self.requires_grad = bool(flag)
        return self

    # ----------------------------------------------------------------- comparisons
    # Comparisons are not differentiable: they return plain booleans / boolean arrays,
    # which backward code uses as masks (e.g. ReLU's x > 0).
    def __gt__(self, other: Any) -> Any:
        return self.value > _data(other)

    def __ge__(self, other: Any) -> Any:
        return self.value >= _data(other)

    def __lt__(self, other: Any) -> Any:
        return self.value < _data(other)

    def __le__(self, other: Any) -> Any:
        return self.value <= _data(other)

    __hash__ = object.__hash__

    # ----------------------------------------------------------------- operators
    # Each records one op of autograd.ops. + − × ÷ (``__add__``, ``__radd__``, ...) are set at
    # the end of this file, by `_binary`: the fast path every scalar graph is made of.

    def __pow__(self, other: Any) -> Node:
        return _ops.pow(self, other)

    def __rpow__(self, other: Any) -> Node:
        return _ops.pow(other, self)

    def __neg__(self) -> Node:
        return _ops.neg(self)

    def __pos__(self) -> Node:
        return self

    def __matmul__(self, other: Any) -> Node:
        return _ops.matmul(self, other)

    def __rmatmul__(self, other: Any) -> Node:
        return _ops.matmul(other, self)

    def __getitem__(self, index: Any) -> Node:
        return _ops.getitem(self, index)

    # ----------------------------------------------------------------- methods (as PyTorch)
    def exp(self) -> Node:
        """e**x, see `autograd.exp`."""
        return _ops.exp(self)

    def log(self) -> Node:
        """Natural log, see `autograd.log`."""
        return _ops.log(self)

    def sqrt(self) -> Node:
        """Square root, see `autograd.sqrt`."""
        return _ops.sqrt(self)

    def tanh(self) -> Node:
        """Hyperbolic tangent, see `autograd.tanh`."""
        return _ops.tanh(self)

    def sigmoid(self) -> Node:
        """Logistic sigmoid, see `autograd.sigmoid`."""
        return _ops.sigmoid(self)

    def relu(self) -> Node:
        """max(x, 0), see `autograd.relu`."""
        return _ops.relu(self)

    def sin(self) -> Node:
        """Sine, see `autograd.sin`."""
        return _ops.sin(self)

    def cos(self) -> Node:
        """Cosine, see `autograd.cos`."""
        return _ops.cos(self)

    def clip(self, x_min: float, x_max: float) -> Node:
        """Limit to [x_min, x_max], see `autograd.clip`."""
        return _ops.clip(self, x_min, x_max)

    def sum(self, axis: Any = None, keepdims: bool = False) -> Node:
        """Sum over `axis` (all by default), see `autograd.sum`."""
        return _ops.sum(self, axis, keepdims)

    def mean(self, axis: Any = None, keepdims: bool = False) -> Node:
        """Mean over `axis` (all by default), see `autograd.mean`."""
        return _ops.mean(self, axis, keepdims)

    def max(self, axis: Any = None, keepdims: bool = False) -> Node:
        """Maximum over `axis` (all by default), see `autograd.max`."""
        return _ops.max(self, axis, keepdims)

    def min(self, axis: Any = None, keepdims: bool = False) -> Node:
        """Minimum over `axis` (all by default), see `autograd.min`."""
        return _ops.min(self, axis, keepdims)

    def flatten(self) -> Node:
        """Keep the first axis, flatten the rest, see `autograd.flatten`."""
        return _ops.flatten(self)

    def reshape(self, *shape: Any) -> Node:
        """Same values, new shape (``x.reshape(2, 3)`` or ``x.reshape((2, 3))``)."""
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return _ops.reshape(self, shape)

    def transpose(self, *axes: Any) -> Node:
        """Permute axes (reverse them by default), see `autograd.transpose`."""
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        return _ops.transpose(self, axes or None)

    @property
    def T(self) -> Node:  # noqa: N802 - NumPy's and PyTorch's name
        """Transpose (axes reversed)."""
        return _ops.transpose(self, None)

    def softmax(self, axis: int = -1) -> Node:
        """Softmax along `axis`, see `autograd.softmax`."""
        return _ops.softmax(self, axis)

    def log_softmax(self, axis: int = -1) -> Node:
        """log(softmax(x)) along `axis`, computed stably, see `autograd.log_softmax`."""
        return _ops.log_softmax(self, axis)

# --------------------------------------------------------------------- the fast backward
# Backward passes that write .grad take this lock: each uses the nodes' .grad slots for its
# running sums, so two at once through a shared node would mix them. Re-entrant, so an op's
# backward may itself call backward on a separate graph.
_backward_lock = threading.RLock()

def _backward_fast(root: Node, seed: Any, retain_grad: bool) -> None:
    """`backward_reference` made fast, for the hot path of every training step.

    The same visits, the same op calls and the same sums in the same order, so the gradients
    are bit-identical (tests/autograd/test_node.py checks 320 random programs). What changes:
    running sums live in each node's ``.grad`` slot instead of a dict (the walk clears
    intermediates and sets leaves' old gradients aside, added back at the end), one-, two-
    and three-input ops are called without building argument tuples, and a contribution that
    already fits its input (a Python float for a Python float, or an array of the input's shape
    and dtype) skips the call to `_fit`.
    """
    order, kept = _reachable(root, reset=True)
    if root.op is None and root.grad is not None:
        kept.append((root, root.grad))
    root.grad = seed
    node = root
    try:
        for node in order:
            op = node.op
            g = node.grad
            if op is None or g is None:
                continue
            if not retain_grad and node is not root:
                node.grad = None
            a, b = node._a, node._b
            more = ()
            if b is None:  # one input: it needs a gradient, or the node would not be recorded
                (ga,) = op.backward(g, node.value, node.ctx, a.value)
                gb = None
            elif node._more:
                if len(node._more) == 1:  # three inputs (Affine, Convolution: x, W, b)
                    third = node._more[0]
                    if not op.partial or (a.requires_grad and b.requires_grad
                                          and third.requires_grad):
                        ga, gb, g3 = op.backward(g, node.value, node.ctx, a.value, b.value,
                                                 third.value)
                    else:
                        ga, gb, g3 = op.backward(
                            g, node.value, node.ctx, a.value, b.value, third.value,
                            needs=(a.requires_grad, b.requires_grad, third.requires_grad))
                    more = [(third, g3)]
                else:  # four or more
                    inputs = node.inputs
                    needs = tuple([inp.requires_grad for inp in inputs])
                    values = [inp.value for inp in inputs]
                    if op.partial and False in needs:
                        ga, gb, *rest = op.backward(g, node.value, node.ctx, *values,
                                                    needs=needs)
                    else:
                        ga, gb, *rest = op.backward(g, node.value, node.ctx, *values)
                    more = list(zip(node._more, rest))[::-1]
            elif not op.partial or (a.requires_grad and b.requires_grad):
                ga, gb = op.backward(g, node.value, node.ctx, a.value, b.value)
            else:
                ga, gb = op.backward(g, node.value, node.ctx, a.value, b.value,
                                     needs=(a.requires_grad, b.requires_grad))
            inp, c = a, ga
            while True:  # a's contribution, then b's, then any others', in input order
                if c is not None and inp.requires_grad:
                    if c.__class__ is not float or inp.value.__class__ is not float:
                        v = inp.value  # `_fit`'s first case (it fits already) without the call:
                        if not (c.__class__ is np.ndarray and v.__class__ is np.ndarray
                                and c.shape == v.shape and c.dtype == v.dtype
                                and (c.base is None or inp.op is not None)):
                            c = _fit(c, inp)
                    old = inp.grad  # add this contribution to the input's gradient
                    inp.grad = c if old is None else old + c
                if gb is not None:
                    inp, c, gb = b, gb, None
                elif more:
                    inp, c = more.pop()
                else:
                    break
    except ZeroDivisionError:
        raise _zero_division(node) from None
    except _GradShapeError as exc:
        raise _bad_grad(node, exc) from None
    finally:
        for leaf, old in kept:  # leaves: the old gradient plus this backward's
            leaf.grad = old if leaf.grad is None else old + leaf.grad


# 1 as each NumPy scalar type, made once (NumPy scalars are immutable, so one can be shared):
# making np.float32(1) costs more than the rest of `_seed` (a float32 loss seeds every step)
_SCALAR_ONES: dict[type, Any] = {}


def _seed(root: Node, grad: Any, create_graph: bool) -> Any:
    """The starting gradient ∂root/∂root: 1, or `grad` checked against the root's shape."""
    if not root.requires_grad:
        raise RuntimeError(
            "backward: this output does not require a gradient, so nothing was recorded: it "
            "was computed under no_grad(), or only from inputs with requires_grad=False "
            "(constants, detached nodes); make an input with Node(value) and compute again")
    value = root.value
    if grad is None:
        # NumPy float64 scalars (a loss from .sum()) are floats too; others keep their dtype
        if isinstance(value, float):
            return as_node(1.0) if create_graph else 1.0
        if value.__class__ is not np.ndarray:  # a NumPy float32/float16 scalar
            seed: Any = _SCALAR_ONES.get(value.__class__)
            if seed is None:
                seed = _SCALAR_ONES[value.__class__] = value.dtype.type(1)
        elif value.size == 1:
            seed = np.ones_like(value)
        else:
            raise ValueError(
                f"backward: the output has shape {value.shape}, so the starting gradient is "
                f"ambiguous; pass grad= an array of shape {value.shape} (e.g. "
                f"np.ones({value.shape})) or reduce the output to a scalar first, e.g. "
                f"y.sum().backward()")
        return as_node(seed) if create_graph else seed
    shape = np.shape(value)
    if grad.__class__ is Node and create_graph:
        seed = grad  # a recorded seed: its own graph is differentiated too
    else:
        seed = _as_value(_data(grad), "backward grad")
        if np.shape(seed) != shape:
            raise ValueError(f"backward: grad has shape {np.shape(seed)} but the output has "
                             f"shape {shape}; they must match")
    if seed.__class__ is not Node and not isinstance(root.value, float):
        seed = _fit(seed, root)  # the root's dtype: a float32 output gets a float32 seed
    return as_node(seed) if create_graph else seed


class _GradShapeError(ValueError):
    """A backward function returned a gradient that does not fit its input (see `_bad_grad`)."""


def _fit(g: Any, inp: Node) -> Any:
    """Make a gradient fit the input it belongs to: its shape (undo broadcasting), its dtype.

    Also makes sure a leaf owns its gradient array: never a read-only broadcast view.
    """
    value = inp.value
    if g.__class__ is np.ndarray and value.__class__ is np.ndarray and g.shape == value.shape \
            and g.dtype == value.dtype:  # the usual case: it fits already
        return g.copy() if inp.op is None and g.base is not None else g
    if value.__class__ is float:
        if g.__class__ is float:  # a scalar's gradient: fits already (just an optimization)
            return g
        if g.__class__ is Node:
            return g if g.shape == () else _ops.sum_to(g, ())
        return float(np.sum(g))  # a broadcast scalar's gradient sums over the copies
    shape, dtype = np.shape(value), value.dtype
    if g.__class__ is Node:
        return g if g.shape == shape else _ops.sum_to(g, shape)
    if g.__class__ is not np.ndarray:
        g = np.asarray(g)  # a Python or NumPy scalar
    if g.shape != shape:
        try:
            g = _ops.sum_to_array(g, shape)
        except ValueError:
            raise _GradShapeError(f"backward returned a gradient of shape {g.shape} for an "
                                  f"input of shape {shape}") from None
    if g.dtype != dtype:
        g = g.astype(dtype)
    elif inp.op is None and g.base is not None:
        g = g.copy()
    return g if value.__class__ is np.ndarray else g[()]  # a NumPy scalar input: a scalar


def _bad_grad(node: Node, exc: Exception) -> ValueError:
    return ValueError(f"{node.op.name}: {exc}")


def _zero_division(node: Node) -> ZeroDivisionError:
    # Python floats raise where NumPy would give inf: say which op it was
    return ZeroDivisionError(f"{node.op.name}: division by zero in backward, computing the "
                             f"local derivative (inputs: "
                             f"{[_short(i.value, 30) for i in node.inputs]})")


def _check_finite(op: type[Op], value: Any, phase: str) -> None:
    data = _data(value)
    if not np.all(np.isfinite(data)):
        raise FloatingPointError(
            f"detect_anomaly: {op.name} produced NaN or Inf in its {phase} pass "
            f"(shape {np.shape(data)})")

_ids = itertools.count()

def _data(x: Any) -> Any:
    """The plain value of a Node, or x itself."""
    return x.value if x.__class__ is Node else x


_new = object.__new__
_node_id = operator.attrgetter("id")

# --------------------------------------------------------------------- making nodes
def record(op: type[Op] | None, value: Any, a: Node | None = None, b: Node | None = None,
           more: tuple = (), ctx: Any = (), node: Node | None = None,
           scope: str | None = None) -> Node:
    """The one Node factory: make the output node of `op` from its inputs ``a, b, *more``.

    Every parameter is positional with a default (no ``*args``, no keyword-only ones), because
    Python calls such a function on its fastest path, and every scalar op comes through here;
    `record_inputs` takes the inputs as one sequence.

    The op and its inputs are remembered only when gradients are wanted: with recording on and
    some input requiring a gradient. Otherwise, and always when `op` is None, the result is a
    plain leaf that requires no gradient, so the graph behind it can be freed. `value` must
    already be checked (``Node(...)`` checks user values). `node` is for ``Node.__init__``,
    which fills itself in. `scope` tags the node as made inside ``scope(name)``, joined to any
    enclosing scope: what a layer does for its one op, without entering a scope block.
    """
    if node is None:
        node = _new(Node)
    node.value = value
    node.grad = None
    node.id = next(_ids)
    node._mark = 0
    mode = _get_mode()
    if mode is not _PLAIN:
        if mode.scope is not None:  # inside ``scope(...)`` blocks: their names come first
            scope = mode.scope if scope is None else f"{mode.scope}/{scope}"
        if mode.anomaly and op is not None:
            _check_finite(op, value, "forward")
    if scope is not None:
        node._scope = scope
    if op is not None and (mode is _PLAIN or mode.grad_enabled) and (
            a.requires_grad or b is not None and (
                b.requires_grad or any(m.requires_grad for m in more))):
        node.op = op  # record: remember the op and its inputs, in order
        node._a = a
        node._b = b
        node._more = more
        node.ctx = ctx
        node.requires_grad = True
        return node
    node.op = node._a = node._b = node.ctx = None
    node._more = ()
    node.requires_grad = False
    return node


def record_inputs(op: type[Op], value: Any, inputs: Any, ctx: Any = (),
                  scope: str | None = None) -> Node:
    """`record` with the inputs given as one sequence (of any length, at least one)."""
    return record(op, value, inputs[0], inputs[1] if len(inputs) > 1 else None,
                  tuple(inputs[2:]), ctx, None, scope)


def as_node(x: Any, what: str = "constant") -> Node:
    """`x` if it is a Node, else a constant leaf holding it (no gradient is computed for it).

    `what` names the value in the error for something that is not a number or numeric array.
    """
    if x.__class__ is Node:
        return x
    return record(None, _as_value(x, what))


def _binary(op: type[Op], name: str) -> tuple[Any, Any]:
    """The operator methods that record the two-input op `op` (+ − × ÷): ``Node.__mul__`` and
    ``Node.__rmul__`` (for ``2 * node``) are ``_binary(Mul, "mul")``. The inner loop of every
    scalar graph goes through the first one, so it does the work itself rather than calling a
    helper.
    """

    def method(a: Any, b: Any) -> Node:
        if a.__class__ is not Node:
            a = as_node(a)
        if b.__class__ is not Node:
            b = as_node(b)
        try:
            value = op.forward(a.value, b.value)
        except ValueError:
            raise ValueError(f"{op.name}: shapes {a.shape} and {b.shape} cannot be broadcast "
                             f"together") from None
        except ZeroDivisionError:
            raise ZeroDivisionError(f"{op.name}: division by zero ({_short(a.value, 30)} and "
                                    f"{_short(b.value, 30)}); Python floats raise where NumPy "
                                    f"arrays give inf") from None
        return record(op, value, a, b)

    def reflected(self: Node, other: Any) -> Node:
        return method(other, self)

    for function, dunder in ((method, f"__{name}__"), (reflected, f"__r{name}__")):
        # named as if written in the class body, also in tracebacks
        function.__name__, function.__qualname__ = dunder, f"Node.{dunder}"
        function.__code__ = function.__code__.replace(co_name=dunder,
                                                      co_qualname=f"Node.{dunder}")
        function.__doc__ = f"Record ``{op.formula}`` ({op.name})."
    return method, reflected


# --------------------------------------------------------------------- graph walks
_marks = itertools.count(1)


def _reachable(root: Node, reset: bool = False) -> Any:
    """Every node that leads to `root` and needs a gradient, highest id (newest) first.

    Nodes are numbered as they are made, and an op's output is always made after its inputs, so
    going from the highest id down visits every node after all of its consumers: a reverse
    topological order, for the price of one sort. A loop over an explicit stack finds the nodes
    (no recursion). A node is marked with this walk's number when it is first seen, as an input
    of a node taken off the stack, and only then pushed: each node enters the stack once. (A
    leaf shared by a hundred ops, or a hidden unit feeding a whole layer, is seen a hundred
    times but pushed once.)

    With `reset` (backward), intermediate gradients are cleared on the way and leaves' gradients
    are set aside; returns ``(order, [(leaf, old grad), ...])`` then, and the order leaves out
    the leaves other than `root` (backward has nothing to do at a leaf).
    """
    mark = next(_marks)
    root._mark = mark
    kept: list[tuple[Node, Any]] = []
    if root.op is None:
        return ([root], kept) if reset else [root]
    found: list[Node] = []
    stack = [root]  # nodes seen whose inputs are still to be looked at
    pop, push, append = stack.pop, stack.append, found.append
    with _backward_lock:  # marks are shared: one walk at a time
        while stack:
            node = pop()
            if node.op is None:  # a leaf
                if not reset:
                    append(node)
                elif node.grad is not None:
                    kept.append((node, node.grad))
                    node.grad = None
                continue
            append(node)
            if reset:
                node.grad = None
            a, b = node._a, node._b  # each input not seen yet and needing a gradient: push it
            if a._mark != mark and a.requires_grad:
                a._mark = mark
                push(a)
            if b is not None:
                if b._mark != mark and b.requires_grad:
                    b._mark = mark
                    push(b)
                if node._more:  # a third input and beyond (rare)
                    for m in node._more:
                        if m._mark != mark and m.requires_grad:
                            m._mark = mark
                            push(m)
    # depth-first discovery is already close to newest-first, which makes this sort cheap
    found.sort(key=_node_id, reverse=True)
    return (found, kept) if reset else found


def backward_order(root: Node) -> list[Node]:
    """The order in which backward visits nodes: each node after all of its consumers.

    In ``b = a + a; c = b * b`` the node ``b`` is processed once, after ``c`` has sent it both
    contributions. `backward`, `backward_trace` and `viz` all use this order.
    """
    return _reachable(root)


def topological_order(root: Node) -> list[Node]:
    """Every node that leads to `root` (constants included), inputs before outputs.

    Deterministic: an iterative depth-first walk that visits inputs in order.
    """
    order: list[Node] = []
    seen = {root}
    stack: list[tuple[Node, int]] = [(root, 0)]
    while stack:
        node, i = stack[-1]
        if i < len(node.inputs):
            stack[-1] = (node, i + 1)
            inp = node.inputs[i]
            if inp not in seen:
                seen.add(inp)
                stack.append((inp, 0))
        else:
            stack.pop()
            order.append(node)
    return order


class Step(NamedTuple):
    """One step of the backward pass, as `backward_trace` reports it."""

    node: Node
    upstream: Any
    contributions: tuple
    local: tuple | None


def _one_number(value: Any) -> bool:
    return value.__class__ is float or np.size(value) == 1  # the first test is a shortcut


def backward_trace(root: Node, grad: Any = None) -> list[Step]:
    """Replay the backward pass step by step without touching any ``.grad``.

    Runs the reference backward's own `_chain_rule` (same order, same op backward functions),
    so a picture or page built from it cannot disagree with ``root.backward()``. For scalar
    nodes ``local`` holds the local derivatives ∂y/∂x_i (the backward of an upstream 1).
    """
    steps: list[Step] = []
    if not root.requires_grad:  # nothing was recorded: nothing to replay
        return steps
    with no_grad():
        for node, g, contributions in _chain_rule(root, _seed(root, grad, False)):
            if node.op is None:
                continue
            local = None
            if _one_number(node.value) and all(_one_number(i.value) for i in node.inputs):
                local = tuple(None if c is None else c if c.__class__ is float  # shortcut
                              else float(np.asarray(c).sum()) for c in _contributions(node, 1.0))
            steps.append(Step(node, g, tuple(contributions), local))
    return steps


# ops imports Node from this module; imported last so the operators above can call it.

# --------------------------------------------------------------------- modes (per thread)
class _Mode(NamedTuple):
    """What recording does right now; one immutable value per thread/context."""

    grad_enabled: bool = True
    anomaly: bool = False
    scope: str | None = None


#: The common case (recording, no anomaly checks, no scope). Every equal mode is this very object,
#: so the hot path tests it with one ``is``.
_PLAIN = _Mode()
_mode = contextvars.ContextVar("graphgrad_mode", default=_PLAIN)
_get_mode = _mode.get


_next_modes: dict[tuple, _Mode] = {}


def _set_mode(field: str, value: Any) -> contextvars.Token:
    """Set one field of this thread's mode; returns the token that restores the old mode."""
    mode = _get_mode()
    key = (mode, field, value)
    new = _next_modes.get(key)
    if new is None:  # work it out once (NamedTuple._replace is slow); scopes are few
        new = mode._replace(**{field: value})
        new = _PLAIN if new == _PLAIN else new
        if len(_next_modes) > 10_000:
            _next_modes.clear()
        _next_modes[key] = new
    return _mode.set(new)


#: The switches open in this thread/context, innermost last, each with the token that restores
#: the mode it replaced. Kept per context, not on the switch: one ``no_grad()`` object may be
#: open in two threads at once (as PyTorch allows), and each must restore its own thread's mode.
_open: contextvars.ContextVar[tuple] = contextvars.ContextVar("graphgrad_open", default=())


class _Switch(contextlib.ContextDecorator):
    """Change one field of the current thread's mode for a ``with`` block, then restore it.

    A small class rather than a generator: this costs a fraction of
    ``contextlib.contextmanager``'s overhead. As a decorator each call gets a fresh switch
    (``_recreate_cm``), so recursion never shares one; threads may share one (see `_open`).
    """

    __slots__ = ("field", "value")

    def __init__(self, field: str, value: Any) -> None:
        self.field, self.value = field, value

    def _recreate_cm(self) -> _Switch:
        return type(self)(self.field, self.value)

    def _new_value(self) -> Any:
        return self.value

    def __enter__(self) -> None:
        token = _set_mode(self.field, self._new_value())
        _open.set((*_open.get(), (self, token)))

    def __exit__(self, *exc: object) -> None:
        stack = _open.get()
        # the innermost block of this switch in this context (with-blocks nest: the last one)
        for i in range(len(stack) - 1, -1, -1):
            if stack[i][0] is self:
                _open.set(stack[:i] + stack[i + 1:])
                _mode.reset(stack[i][1])
                return
        name = {"grad_enabled": "no_grad/enable_grad", "anomaly": "detect_anomaly"}.get(
            self.field, self.field)
        raise RuntimeError(f"{name}: leaving a block that was not entered in this thread")


class _Scope(_Switch):
    """A scope joins the enclosing one when it is entered: ``Net/Affine1``."""

    __slots__ = ()

    def _new_value(self) -> str:
        outer = _get_mode().scope
        return self.value if outer is None else f"{outer}/{self.value}"


def no_grad() -> _Switch:
    """Inside this block nothing is recorded: results are plain leaves (as ``torch.no_grad``).

    Works as ``with no_grad():`` and as a decorator ``@no_grad()``. It is per thread: other
    threads keep recording.
    """
    return _Switch("grad_enabled", False)


def enable_grad() -> _Switch:
    """Turn recording back on inside a ``no_grad()`` block."""
    return _Switch("grad_enabled", True)


def is_grad_enabled() -> bool:
    """Whether operations are being recorded right now (in this thread)."""
    return _get_mode().grad_enabled


def is_anomaly_enabled() -> bool:
    """Whether ``detect_anomaly()`` is active in this thread."""
    return _get_mode().anomaly


@contextlib.contextmanager
def detect_anomaly() -> Iterator[None]:
    """Check every forward value and backward gradient; name the first op that makes NaN/Inf.

    Raises ``FloatingPointError("detect_anomaly: log produced NaN or Inf in its forward pass")``.
    Slower, so only for debugging, as ``torch.autograd.detect_anomaly``.
    """
    with _Switch("anomaly", True), np.errstate(all="ignore"):
        yield


def scope(name: str) -> _Switch:
    """Tag every node made inside with ``node.scope`` (e.g. "Affine1"), so viz can group a layer.

    Nested scopes are joined with "/".
    """
    return _Scope("scope", str(name))

from autograd import ops as _ops  # noqa: E402

# + − × ÷ on Nodes (each records one op of autograd.ops)
Node.__add__, Node.__radd__ = _binary(_ops.Add, "add")
Node.__sub__, Node.__rsub__ = _binary(_ops.Sub, "sub")
Node.__mul__, Node.__rmul__ = _binary(_ops.Mul, "mul")
Node.__truediv__, Node.__rtruediv__ = _binary(_ops.Div, "truediv")
from autograd.ops import _short  # noqa: E402
