"""The computational graph (计算图): `Node`, how operations are recorded, and the backward pass.

Every arithmetic operation on a `Node` makes a new `Node` that remembers the operation (`op`) and
its inputs, in order. `backward()` then visits the nodes in reverse topological order — each node
only after every node that consumed it — and applies each op's local derivative (局部导数) to the
gradient arriving from downstream: the chain rule (链式法则), one local computation at a time.

Design notes (why it looks like this):
- A node points to its inputs, never to its outputs, and an op's backward is a plain function
  stored on the op class, not a closure. So a graph has no reference cycles and is freed by
  reference counting the moment it is no longer used (micrograd's closures make a cycle per op).
- Graph walks are loops over explicit stacks, never recursion, so million-node chains work.
- Ids come from a counter, inputs are kept in order: everything derived from a graph (backward
  order, DOT text) is the same from run to run.
"""

from __future__ import annotations

import contextlib
import itertools
import numbers
import operator
from collections.abc import Iterator
from typing import Any, NamedTuple

import numpy as np

__all__ = [
    "Node",
    "Op",
    "Step",
    "as_node",
    "backward_order",
    "backward_trace",
    "detect_anomaly",
    "enable_grad",
    "is_anomaly_enabled",
    "is_grad_enabled",
    "no_grad",
    "scope",
    "topological_order",
]

_ids = itertools.count()


class _State:
    """Switches read while recording; one instance, module-global (like torch's grad mode)."""

    grad_enabled = True
    anomaly = False
    scope: str | None = None
    #: recording, no anomaly checks, no scope: the common case, tested with one read
    plain = True

    def refresh(self) -> None:
        """Recompute `plain` after a switch changed."""
        self.plain = self.grad_enabled and not self.anomaly and self.scope is None


class _Switch(contextlib.ContextDecorator):
    """Set one switch of `_state` for a ``with`` block and restore it afterwards.

    A small class rather than a generator: layers enter a scope on every call, and this costs a
    fraction of ``contextlib.contextmanager``'s overhead. Usable as a decorator too.
    """

    __slots__ = ("name", "value", "previous")

    def __init__(self, name: str, value: Any) -> None:
        self.name, self.value = name, value

    def __enter__(self) -> None:
        self.previous = getattr(_state, self.name)
        setattr(_state, self.name, self.value)
        _state.refresh()

    def __exit__(self, *exc: object) -> None:
        setattr(_state, self.name, self.previous)
        _state.refresh()


_state = _State()


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
      broadcast shape: the engine sums them back to each input's shape (see ``_fit``).
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


def _as_value(value: Any, what: str = "Node") -> float | np.ndarray:
    """Check and normalise what a Node may hold: a float or a float ndarray."""
    if value.__class__ is float:
        return value
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


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


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
        self.value = _as_value(value)
        self.grad: Any = None
        if name is not None:
            self._name = str(name)
        self.op: type[Op] | None = None
        self._a = self._b = None
        self._more = ()
        self.ctx: Any = None
        self.id = next(_ids)
        self.requires_grad = bool(requires_grad)
        if _state.scope is not None:
            self._scope = _state.scope
        self._mark = 0

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
        return np.shape(self.value)

    @property
    def ndim(self) -> int:
        """Number of dimensions of the value."""
        return np.ndim(self.value)

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
        - Leaves accumulate (``+=``) like PyTorch, so call ``zero_grad()`` between steps;
          intermediate nodes get fresh gradients each call.
        - ``retain_grad=False`` drops each intermediate gradient as soon as it has been used
          (training does this; viz needs the default True to draw every edge).
        - ``create_graph=True`` records the backward computation itself, so the gradients are
          Nodes that can be differentiated again.
        """
        seed = _seed(self, grad, create_graph)
        order = _reachable(self, reset_grads=True)  # intermediates fresh; leaves accumulate
        self.grad = seed
        if create_graph or _state.anomaly:
            _backward_general(self, order, create_graph, retain_grad)
            return
        # The plain case written out, with one- and two-input ops unrolled: this loop is the
        # hot path of every training step. Each input gets upstream × local derivative.
        try:
            for node in order:
                op = node.op
                g = node.grad
                if op is None or g is None:
                    continue
                if not retain_grad and node is not self:
                    node.grad = None
                a, b = node._a, node._b
                if b is not None and not node._more:
                    if (a.requires_grad and b.requires_grad) or not op.partial:
                        ga, gb = op.backward(g, node.value, node.ctx, a.value, b.value)
                    else:
                        ga, gb = op.backward(g, node.value, node.ctx, a.value, b.value,
                                             needs=(a.requires_grad, b.requires_grad))
                    if a.requires_grad and ga is not None:
                        if ga.__class__ is not float:
                            ga = _fit(ga, a)
                        old = a.grad
                        a.grad = ga if old is None else old + ga
                    if b.requires_grad and gb is not None:
                        if gb.__class__ is not float:
                            gb = _fit(gb, b)
                        old = b.grad
                        b.grad = gb if old is None else old + gb
                    continue
                if b is None:  # one input: only reached when that input needs a gradient
                    (ga,) = op.backward(g, node.value, node.ctx, a.value)
                    if ga is not None:
                        if ga.__class__ is not float:
                            ga = _fit(ga, a)
                        old = a.grad
                        a.grad = ga if old is None else old + ga
                    continue
                inputs = node.inputs
                grads = _input_grads(node, g, False)
                for inp, gi in zip(inputs, grads):
                    if inp.requires_grad and gi is not None:
                        if gi.__class__ is not float:
                            gi = _fit(gi, inp)
                        old = inp.grad
                        inp.grad = gi if old is None else old + gi
        except ZeroDivisionError:
            raise _zero_division(node) from None

    def zero_grad(self) -> None:
        """Forget this node's gradient (sets ``grad`` to None, as PyTorch's default does)."""
        self.grad = None

    cleargrad = zero_grad  # DeZero's name for the same thing

    def detach(self) -> Node:
        """A new leaf with the same value that is cut off from the graph (no gradient flows)."""
        out = _leaf(self.value, False)
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
    # Each records one op of autograd.ops; `_binary` is that module's fast path for two inputs.
    def __add__(self, other: Any) -> Node:
        return _binary(_ops.Add, self, other)

    def __radd__(self, other: Any) -> Node:
        return _binary(_ops.Add, other, self)

    def __sub__(self, other: Any) -> Node:
        return _binary(_ops.Sub, self, other)

    def __rsub__(self, other: Any) -> Node:
        return _binary(_ops.Sub, other, self)

    def __mul__(self, other: Any) -> Node:
        return _binary(_ops.Mul, self, other)

    def __rmul__(self, other: Any) -> Node:
        return _binary(_ops.Mul, other, self)

    def __truediv__(self, other: Any) -> Node:
        return _binary(_ops.Div, self, other)

    def __rtruediv__(self, other: Any) -> Node:
        return _binary(_ops.Div, other, self)

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

    def sum(self, axis: Any = None, keepdims: bool = False) -> Node:
        """Sum over `axis` (all by default), see `autograd.sum`."""
        return _ops.sum(self, axis, keepdims)

    def mean(self, axis: Any = None, keepdims: bool = False) -> Node:
        """Mean over `axis` (all by default), see `autograd.mean`."""
        return _ops.mean(self, axis, keepdims)

    def max(self, axis: Any = None, keepdims: bool = False) -> Node:
        """Maximum over `axis` (all by default), see `autograd.max`."""
        return _ops.max(self, axis, keepdims)

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


def _data(x: Any) -> Any:
    """The plain value of a Node, or x itself."""
    return x.value if x.__class__ is Node else x


_new = object.__new__
_value = operator.attrgetter("value")
_node_id = operator.attrgetter("id")


def _leaf(value: Any, requires_grad: bool) -> Node:
    """A leaf made by the engine itself (a constant, a detached copy); `value` is checked."""
    node = _new(Node)
    node.value = value
    node.grad = None
    _unrecorded(node)
    node.requires_grad = requires_grad
    node.id = next(_ids)
    if _state.scope is not None:
        node._scope = _state.scope
    node._mark = 0
    return node


def as_node(x: Any) -> Node:
    """`x` if it is a Node, else a constant leaf holding it (no gradient is computed for it)."""
    if x.__class__ is Node:
        return x
    return _leaf(_as_value(x, "constant"), False)


def record(op: type[Op], value: Any, inputs: tuple[Node, ...], ctx: Any = ()) -> Node:
    """Make the output node of `op` and, when gradients are wanted, remember how it was made.

    Nothing is recorded under ``no_grad()`` or when no input requires a gradient: the result is
    then a plain leaf, and the graph behind it can be freed.
    """
    # the node is built right here, not by a helper: this runs once per op of every graph
    state = _state
    node = _new(Node)
    node.value = value
    node.grad = None
    node.id = next(_ids)
    node._mark = 0
    if state.scope is not None:
        node._scope = state.scope
    if state.grad_enabled:
        for inp in inputs:
            if inp.requires_grad:
                node.op = op
                node._a = inputs[0]
                if len(inputs) == 1:
                    node._b = None
                    node._more = ()
                else:
                    node._b = inputs[1]
                    node._more = inputs[2:]
                node.ctx = ctx
                node.requires_grad = True
                break
        else:
            _unrecorded(node)
    else:
        _unrecorded(node)
    if state.anomaly:
        _check_finite(op, value, "forward")
    return node


def _binary(op: type[Op], a: Any, b: Any) -> Node:
    """Record a two-input op (+ − × ÷ **): the inner loop of every scalar graph.

    In the common case (recording on, no anomaly mode, no scope, an input needing a gradient)
    it builds the node itself, as `record` would, saving a call per operation.
    """
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
    if not (_state.plain and (a.requires_grad or b.requires_grad)):
        return record(op, value, (a, b))
    node = _new(Node)
    node.value = value
    node.grad = None
    node.op = op
    node._a = a
    node._b = b
    node._more = ()
    node.ctx = ()
    node.id = next(_ids)
    node.requires_grad = True
    node._mark = 0
    return node


def _backward_general(root: Node, order: list[Node], create_graph: bool,
                      retain_grad: bool) -> None:
    """The backward loop for create_graph=True and anomaly mode (the plain loop is inlined)."""
    with contextlib.ExitStack() as stack:
        if not create_graph:
            stack.enter_context(no_grad())
        for node in order:
            if node.op is None or node.grad is None:
                continue
            grads = _input_grads(node, node.grad, create_graph)
            if not retain_grad and node is not root:
                node.grad = None
            for inp, g in zip(node.inputs, grads):
                if g is None or not inp.requires_grad:
                    continue
                if g.__class__ is not float:
                    g = _fit(g, inp)
                if _state.anomaly:
                    _check_finite(node.op, g, "backward")
                old = inp.grad
                inp.grad = g if old is None else old + g


def _unrecorded(node: Node) -> None:
    node.op = None
    node._a = node._b = None
    node._more = ()
    node.ctx = None
    node.requires_grad = False


def _seed(root: Node, grad: Any, create_graph: bool) -> Any:
    if grad is None:
        if np.size(root.value) != 1:
            raise ValueError(
                f"backward: the output has shape {np.shape(root.value)}, so the starting "
                f"gradient is ambiguous; pass grad= an array of shape {np.shape(root.value)} "
                f"(e.g. np.ones({np.shape(root.value)})) or reduce the output to a scalar "
                f"first, e.g. y.sum().backward()")
        # NumPy scalars (a loss from .sum()) are floats too; only arrays need an array seed
        seed: Any = 1.0 if isinstance(root.value, float) else np.ones_like(root.value)
    else:
        seed = _data(grad)
        seed = seed if seed.__class__ is float else _as_value(seed, "backward grad")
        if np.shape(seed) != np.shape(root.value):
            raise ValueError(f"backward: grad has shape {np.shape(seed)} but the output has "
                             f"shape {np.shape(root.value)}; they must match")
    if create_graph:
        return as_node(seed)
    return seed


def _input_grads(node: Node, g: Any, create_graph: bool) -> tuple:
    """Upstream gradient × local derivative for each input of `node` (not yet shape-fitted)."""
    op = node.op
    inputs = node.inputs
    if create_graph:
        if not op.twice_differentiable:
            raise NotImplementedError(
                f"backward(create_graph=True): the op '{op.name}' has no recordable backward; "
                f"higher-order gradients through it are not supported")
        args = (as_node(g), node, node.ctx, *inputs)
    else:
        args = (g, node.value, node.ctx, *map(_value, inputs))
    if op.partial:
        needs = tuple([inp.requires_grad for inp in inputs])
        if False in needs:
            return op.backward(*args, needs=needs)
    return op.backward(*args)


def _fit(g: Any, inp: Node) -> Any:
    """Undo broadcasting: sum a gradient back to the shape of the input it belongs to.

    Also makes sure a leaf owns its gradient array: never a read-only broadcast view.
    """
    value = inp.value
    shape = value.shape if value.__class__ is np.ndarray else np.shape(value)
    if g.__class__ is Node:
        return g if g.shape == shape else _ops.sum_to(g, shape)
    if (g.shape if g.__class__ is np.ndarray else np.shape(g)) != shape:
        return _ops.sum_to_array(g, shape)
    if inp.op is None and g.__class__ is np.ndarray and g.base is not None:
        return g.copy()
    return g


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


# --------------------------------------------------------------------- graph walks
_marks = itertools.count(1)


def _reachable(root: Node, reset_grads: bool = False) -> list[Node]:
    """Every node that leads to `root` and needs a gradient, highest id (newest) first.

    Nodes are numbered as they are made, and an op's output is always made after its inputs, so
    going from the highest id down visits every node after all of its consumers: a reverse
    topological order, for the price of one sort. A loop over an explicit stack finds the nodes
    (no recursion); each is marked with this walk's number so it is collected once.
    With `reset_grads`, intermediate gradients are cleared on the way (backward needs that).
    """
    mark = next(_marks)
    root._mark = mark
    found = [root]
    stack = [root]
    while stack:
        node = stack.pop()
        a, b = node._a, node._b
        if a is None:
            continue
        for inp in (a,) if b is None else (a, b) if not node._more else node.inputs:
            if inp.requires_grad and inp._mark != mark:
                inp._mark = mark
                found.append(inp)
                stack.append(inp)
                if reset_grads and inp.op is not None:
                    inp.grad = None
    # depth-first discovery is already close to newest-first, which makes this sort cheap
    found.sort(key=_node_id, reverse=True)
    return found


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


def backward_trace(root: Node, grad: Any = None) -> list[Step]:
    """Replay the backward pass step by step without touching any ``.grad``.

    Uses the engine's own order (`backward_order`) and each op's own backward, so a picture or
    page built from it cannot disagree with ``root.backward()``. For scalar nodes ``local`` holds
    the local derivatives ∂y/∂x_i (the backward of an upstream gradient of 1).
    """
    grads: dict[Node, Any] = {root: _seed(root, grad, False)}
    steps = []
    with no_grad():
        for node in backward_order(root):
            g = grads.get(node)
            if node.op is None or g is None:
                continue
            try:
                raw = _input_grads(node, g, False)
            except ZeroDivisionError:
                raise _zero_division(node) from None
            contributions = tuple(None if (c is None or not inp.requires_grad) else _fit(c, inp)
                                  for inp, c in zip(node.inputs, raw))
            local = None
            if np.size(node.value) == 1 and all(np.size(i.value) == 1 for i in node.inputs):
                local = tuple(None if c is None else float(np.asarray(c).sum())
                              for c in _input_grads(node, 1.0, False))
            steps.append(Step(node, g, contributions, local))
            for inp, c in zip(node.inputs, contributions):
                if c is not None:
                    grads[inp] = c if inp not in grads else grads[inp] + c
    return steps


# --------------------------------------------------------------------- modes
def no_grad() -> _Switch:
    """Inside this block nothing is recorded: results are plain leaves (as ``torch.no_grad``).

    Works as ``with no_grad():`` and as a decorator ``@no_grad()``.
    """
    return _Switch("grad_enabled", False)


def enable_grad() -> _Switch:
    """Turn recording back on inside a ``no_grad()`` block."""
    return _Switch("grad_enabled", True)


def is_anomaly_enabled() -> bool:
    """Whether ``detect_anomaly()`` is active (code outside the graph can check it too)."""
    return _state.anomaly


def is_grad_enabled() -> bool:
    """Whether operations are being recorded right now."""
    return _state.grad_enabled


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
    outer = _state.scope
    return _Switch("scope", str(name) if outer is None else f"{outer}/{name}")


# ops imports Node from this module; imported last so the operators above can call it.
from autograd import ops as _ops  # noqa: E402
