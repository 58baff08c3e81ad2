"""The textbook's layers (误差反向传播法, chapters 5-7), each usable two ways.

1. **As in the book**, on plain NumPy arrays: ``out = layer.forward(x)``, later
   ``dx = layer.backward(dout)``; the parameter gradients are then in ``layer.dW`` /
   ``layer.db`` (``dgamma`` / ``dbeta`` for BatchNormalization). Chaining layers by hand gives
   the book's numbers.
2. **As a graph op**, on `autograd.Node` inputs: ``y = layer(x_node)`` (or
   ``layer.forward(x_node)``) records one node in the computational graph, and
   ``loss.backward()`` fills the ``.grad`` of the parameter Nodes (``layer.parameters()``).

Both ways run the *same* derivative code. Each layer names one `autograd.Op` class, ``op``,
whose ``forward`` and ``backward`` are the layer's math (``AffineOp``, ``ConvolutionOp``, ...;
for MulLayer/AddLayer/Relu/Sigmoid/SoftmaxWithLoss the engine's own ``Mul``/``Add``/``Relu``/
``Sigmoid``/``CrossEntropy``). The `Layer` base class holds the plumbing once: its ``apply_op``
runs the op forward (and records it when an input is a Node) and its ``backward(dout)`` runs
the op's backward and stores ``dW``/``db``. A layer itself only says which op, with which
inputs, and offers the book's attribute names (``self.mask``, ``self.out``, ``self.x``, ...)
for what the last forward saved.

A parameter (``W = Parameter()``) is stored in one place. ``layer.W`` is an array: the book's
in-place update ``params[key] -= lr * grads[key]`` changes it (the model's ``params`` dict holds
the same array object). ``layer.parameter("W")`` is the leaf Node that the engine and the
PyTorch-style optimizers use: it is made on first use around that same array and from then on
*is* where the array lives, so ``layer.W`` reads ``node.value`` and assigning ``layer.W = new``
sets it. There is nothing to keep in sync.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

import autograd
from autograd import ops
from autograd.node import Node, Op, as_node, record_inputs
from nn import kernels
from nn.utils import conv_output_size

__all__ = [
    "Layer", "Parameter", "MulLayer", "AddLayer", "Relu", "Sigmoid", "Affine",
    "SoftmaxWithLoss", "Dropout", "BatchNormalization", "Convolution", "Pooling",
    "AffineOp", "DropoutOp", "BatchNormOp", "ConvolutionOp", "PoolingOp",
]


def _float_array(value: Any, what: str) -> np.ndarray:
    """A parameter as a float ndarray, without copying when it already is one.

    No copy matters: the layer must hold the caller's own array so in-place updates are shared.
    """
    if isinstance(value, np.ndarray) and value.dtype.kind == "f":
        return value
    arr = np.asarray(value)
    if arr.dtype.kind not in "fiub":
        raise TypeError(f"{what}: parameter must be a numeric array, got dtype {arr.dtype}")
    return arr.astype(np.float64)


def _shape(x: Any) -> tuple[int, ...]:
    """The shape of an array, a Node or a number."""
    if x.__class__ is Node:
        x = x.value
    return x.shape if x.__class__ is np.ndarray else np.shape(x)


class Parameter:
    """Declares a layer parameter (``W = Parameter()`` in the class body), as PyTorch's does.

    ``layer.W`` reads and assigns a float array; the layer stores it in exactly one place: as
    the array itself until the engine first asks for ``layer.parameter("W")``, then as the value
    of that leaf Node. A Node passed in (``Affine(W_node, b_node)``) becomes the parameter.
    """

    def __set_name__(self, owner: type, name: str) -> None:
        self.attr = name

    def __get__(self, layer: Layer | None, owner: type | None = None) -> Any:
        if layer is None:
            return self
        stored = layer._params[self.attr]
        return stored.value if stored.__class__ is Node else stored

    def __set__(self, layer: Layer, value: Any) -> None:
        what = f"{layer.name}.{self.attr}"
        if value.__class__ is Node:
            value.value = _float_array(value.value, what)
            layer._params[self.attr] = value
            layer._leaves = None  # a new leaf Node: the layer's tuple of them is out of date
            Layer._leaf_changes += 1
            return
        stored = layer._params.get(self.attr)
        if stored.__class__ is Node:  # replaced (as load_params or astype do): the Node follows
            stored.value = _float_array(value, what)
        else:
            layer._params[self.attr] = _float_array(value, what)


class Layer:
    """What every layer shares: a name, its op, its parameters, and the two-interface plumbing.

    A subclass sets ``op`` (the `autograd.Op` holding its math), declares its parameters
    (``W = Parameter()``; they become ``param_attrs`` in declaration order) and writes
    ``forward`` as a call to ``self.apply_op(inputs...)``. ``backward(dout)`` is inherited: it runs
    ``op.backward`` on what the last array forward saved and sets ``d<param>`` (``dW``, ``db``).
    """

    #: the op whose forward and backward are this layer's math
    op: type[Op]
    #: the parameter attributes, in the op's input order after the data inputs (e.g. ("W", "b"))
    param_attrs: tuple[str, ...] = ()
    _grad_attrs: tuple[str, ...] = ()
    #: True for layers that behave differently in training: ``forward(x, train_flg)``
    #: (Dropout, BatchNormalization)
    takes_train_flg: bool = False
    #: A layer whose inputs can fail to fit together defines ``check_inputs(self, x, W, b)``
    #: (one argument per op input: the data, then the parameters, as arrays) raising a clear
    #: error; ``apply_op`` calls it just before the op runs. None: nothing to check.
    check_inputs: Callable[..., None] | None = None
    #: How many times some layer's parameter leaf Nodes have changed (one made, or another
    #: assigned): a model keeps its list of them (`Model.named_parameters`) while this stays.
    _leaf_changes = 0

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        declared = [name for name, v in vars(cls).items() if isinstance(v, Parameter)]
        if declared:
            cls.param_attrs = cls.param_attrs + tuple(declared)
        cls._grad_attrs = tuple("d" + attr for attr in cls.param_attrs)  # ("dW", "db")

    def __init__(self, name: str | None = None) -> None:
        #: The scope the layer's graph nodes are tagged with (viz groups a layer by it).
        self.name: str = name or type(self).__name__
        # each parameter's one storage place, in param_attrs order: an array, or its leaf Node
        self._params: dict[str, Any] = dict.fromkeys(self.param_attrs)
        # the same parameters as leaf Nodes, in param_attrs order, once the engine has asked for
        # them (None until then): kept so that recording a step need not look them up again
        self._leaves: tuple[Node, ...] | None = None
        # what the last forward on arrays saved for backward: the op's inputs (data, then
        # parameters), how many of them are data, its output and its ctx
        self._inputs: tuple | None = None
        self._n_data = 0
        self._out: Any = None
        self._ctx: Any = None

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Same as ``forward``: ``layer(x)``, as PyTorch modules are called."""
        return self.forward(*args, **kwargs)

    def forward(self, *args: Any, **kwargs: Any) -> Any:  # pragma: no cover - overridden
        """Forward propagation; on Nodes the computation is also recorded in the graph."""
        raise NotImplementedError

    # ----------------------------------------------------------------- the two interfaces
    def apply_op(self, *inputs: Any, params: tuple = ()) -> Any:
        """Run ``op`` forward on `inputs` followed by the layer's parameters.

        If an input is a Node, the op is recorded in the graph (inside ``autograd.scope(name)``,
        so viz draws the layer as one group) and a Node is returned. Otherwise the result is an
        array and the op's inputs, output and ctx are saved for ``backward``. Either way
        ``check_inputs`` sees the op's input values first.
        """
        for v in inputs:
            if v.__class__ is Node:
                return self._record(inputs, params)
        args = inputs
        for p in self._params.values():  # the parameters follow the data inputs
            args += (p.value if p.__class__ is Node else p,)
        out, self._ctx = self._forward(args, params)
        self._inputs, self._n_data, self._out = args, len(inputs), out
        return out

    def _forward(self, values: tuple | list, params: tuple) -> tuple[Any, Any]:
        """``check_inputs`` on the op's input values, then the op's forward: ``(out, ctx)``."""
        check = self.check_inputs
        if check is not None:
            check(*values)
        op = self.op
        if op.saves:
            return op.forward(*values, *params)
        return op.forward(*values, *params), params

    def _record(self, inputs: tuple, params: tuple) -> Node:
        """``apply_op`` on Nodes: the same forward, recorded as one node of the graph."""
        leaves = self._leaves
        if leaves is None:
            leaves = self._leaves = tuple(self.parameters())
        if len(inputs) > 1:  # MulLayer, AddLayer: an input may be a plain number
            inputs = tuple([v if v.__class__ is Node else as_node(v) for v in inputs])
        nodes = inputs + leaves  # the data inputs (Nodes), then the parameters' leaf Nodes
        out, ctx = self._forward([node.value for node in nodes], params)
        self._ctx = ctx  # BatchNormalization reads the batch statistics from it
        self._inputs = self._out = None  # backward(dout) belongs to the array interface
        # tagged with the layer's scope, as inside ``autograd.scope(self.name)``
        return record_inputs(self.op, out, nodes, ctx, self.name)

    def backward(self, dout: Any = 1, need_dx: bool = True) -> Any:
        """Backward propagation of the last array forward: the op's backward, as in the book.

        Returns the gradient of the data input (a tuple for two inputs, as MulLayer's
        ``(dx, dy)``) and stores each parameter's gradient as ``d<name>`` (``dW``, ``db``).
        ``need_dx=False`` skips the data gradient (returns None) where the op can: for a first
        layer, whose input is the data batch.
        """
        saved = self._inputs
        if saved is None:
            raise RuntimeError(f"{self.name}.backward: no forward on arrays to go back through; "
                               f"call forward(x) with NumPy arrays first (on Nodes, use "
                               f"loss.backward())")
        op, n_data = self.op, self._n_data
        if need_dx or not op.partial:
            grads = op.backward(dout, self._out, self._ctx, *saved)
        else:
            needs = (False,) * n_data + (True,) * (len(saved) - n_data)
            grads = op.backward(dout, self._out, self._ctx, *saved, needs=needs)
        for attr, grad in zip(self._grad_attrs, grads[n_data:]):
            setattr(self, attr, grad)
        return grads[0] if n_data == 1 else grads[:n_data]

    def _input(self, i: int) -> Any:
        """Input `i` of the last array forward (None before one)."""
        return None if self._inputs is None else self._inputs[i]

    def _saved(self, i: int) -> Any:
        """Item `i` of what the op saved in the last array forward (None before one)."""
        return None if self._inputs is None else self._ctx[i]

    @property
    def x(self) -> Any:
        """The book's ``self.x``: the (first) input of the last forward on arrays."""
        return self._input(0)

    # ----------------------------------------------------------------- parameters
    def parameter(self, attr: str) -> Node:
        """The leaf Node of parameter `attr` (e.g. "W"); its value *is* ``getattr(self, attr)``."""
        stored = self._params[attr]
        if stored.__class__ is not Node:
            with autograd.scope(self.name):  # viz draws a parameter inside its layer's box
                stored = self._params[attr] = Node(stored, name=attr)
            Layer._leaf_changes += 1
        return stored

    def parameters(self) -> list[Node]:
        """This layer's parameters as leaf Nodes, in ``param_attrs`` order (empty if none)."""
        return [self.parameter(attr) for attr in self.param_attrs]

    def zero_grad(self) -> None:
        """Forget the gradients held by the parameter Nodes (set them to None)."""
        for node in self.parameters():
            node.grad = None

    def __repr__(self) -> str:
        shapes = ", ".join(f"{a}={np.shape(getattr(self, a))}" for a in self.param_attrs)
        return f"{type(self).__name__}({shapes})" if shapes else f"{type(self).__name__}()"


# ===================================================================== chapter 5.4: simple layers
class MulLayer(Layer):
    """Multiplication layer (乘法层) of the book's apple example: ``out = x * y``.

    The derivative is the engine's own ``Mul`` op: ``dx = dout * y``, ``dy = dout * x``
    ("swap the inputs").

        >>> mul_apple, mul_tax = MulLayer(), MulLayer()
        >>> price = mul_tax.forward(mul_apple.forward(100, 2), 1.1)
        >>> dapple_price, dtax = mul_tax.backward(1)
        >>> dapple, dapple_num = mul_apple.backward(dapple_price)
        >>> round(price, 6), round(dapple, 6), round(dapple_num, 6), dtax
        (220.0, 2.2, 110.0, 200)
    """

    op = ops.Mul

    def forward(self, x: Any, y: Any) -> Any:
        """``x * y``; records a ``mul`` node when either input is a Node."""
        return self.apply_op(x, y)

    @property
    def y(self) -> Any:
        """The book's ``self.y``: the second factor of the last forward."""
        return self._input(1)


class AddLayer(Layer):
    """Addition layer (加法层): ``out = x + y``; backward passes ``dout`` to both inputs.

    The derivative is the engine's own ``Add`` op: ``(dout, dout)``.
    """

    op = ops.Add

    def forward(self, x: Any, y: Any) -> Any:
        """``x + y``; records an ``add`` node when either input is a Node."""
        return self.apply_op(x, y)


# ===================================================================== chapter 5.5: activations
class Relu(Layer):
    """ReLU layer: ``out = max(x, 0)``; backward lets ``dout`` through only where ``x > 0``.

    The derivative is the engine's ``Relu`` op (``∂y/∂x = 1 if x > 0 else 0``); ``dout`` is not
    modified.
    """

    op = ops.Relu

    def forward(self, x: Any) -> Any:
        """``max(x, 0)``, elementwise."""
        return self.apply_op(x)

    @property
    def mask(self) -> Any:
        """The book's ``self.mask``: True where the forward input was ≤ 0 (blocked in backward)."""
        x = self.x
        return None if x is None else x <= 0


class Sigmoid(Layer):
    """Sigmoid layer: ``out = 1 / (1 + exp(−x))``; backward is ``dout · (1 − out) · out``.

    The derivative is the engine's ``Sigmoid`` op, written with the output as in the book.
    """

    op = ops.Sigmoid

    def forward(self, x: Any) -> Any:
        """``1 / (1 + exp(−x))``, elementwise (no overflow warning for large |x|)."""
        return self.apply_op(x)

    @property
    def out(self) -> Any:
        """The book's ``self.out``: the output of the last forward."""
        return self._out


# ===================================================================== chapter 5.6: Affine
class AffineOp(Op):
    """The Affine layer as a graph op: a fully connected layer, ``Y = X · W + b``.

    X may have any number of axes after the batch axis (an image batch (N, C, H, W)); it is
    flattened to (N, −1) for the product and the gradient is reshaped back to X's shape.
    """

    name, symbol = "affine", "Affine"
    formula = "Y = X · W + b"
    derivative = "∂L/∂X = G · Wᵀ,  ∂L/∂W = Xᵀ · G,  ∂L/∂b = Σₙ G"
    # The data batch X needs no gradient: skipping G · Wᵀ saves a third of the backward work.
    partial = True

    @staticmethod
    def forward(x, W, b):
        return np.dot(_flat(x), W) + b

    @staticmethod
    def backward(g, y, ctx, x, W, b, needs=(True, True, True)):
        # Also correct on Nodes (create_graph=True): reshape, .T, @ and .sum are all recorded.
        dx = None
        if needs[0]:
            dx = g @ W.T
            dx = dx if x.ndim == 2 else dx.reshape(x.shape)
        dW = _flat(x).T @ g if needs[1] else None
        db = g.sum(axis=0) if needs[2] else None
        return dx, dW, db


def _flat(x: Any) -> Any:
    """A batch as rows, (N, features): (N, C, H, W) images are flattened; (N, D) stays as it is."""
    return x if x.ndim == 2 else x.reshape(x.shape[0], -1)


class Affine(Layer):
    """Affine (fully connected) layer: ``out = x · W + b``.

    Accepts (N, D) or (N, C, H, W) input (flattened per sample; ``dx`` comes back in the input's
    shape). After ``backward``, ``dW`` and ``db`` hold the parameter gradients.
    """

    op = AffineOp
    W = Parameter()
    b = Parameter()

    def __init__(self, W: Any, b: Any, name: str | None = None) -> None:
        super().__init__(name)
        self.W, self.b = W, b
        self.dW: np.ndarray | None = None
        self.db: np.ndarray | None = None

    def forward(self, x: Any) -> Any:
        """``x.reshape(N, -1) · W + b``."""
        return self.apply_op(x)

    def check_inputs(self, x: Any, W: np.ndarray, b: np.ndarray) -> None:
        """x of shape (N, D) (or (N, C, H, W) with C·H·W = D), W (D, M), b (M,)."""
        if x.__class__ is np.ndarray and x.ndim == 2 and W.ndim == 2 and b.ndim == 1 and \
                x.shape[1] == W.shape[0] and W.shape[1] == b.shape[0]:
            return  # the usual case, (N, D) · (D, M) + (M,): nothing to explain
        x_shape = _shape(x)
        if len(x_shape) < 2:
            raise ValueError(f"{self.name}: input must be a batch with shape (N, features...), "
                             f"got shape {x_shape}; for one sample use x.reshape(1, -1)")
        features = math.prod(x_shape[1:])
        if W.ndim != 2 or features != W.shape[0]:
            raise ValueError(f"{self.name}: input has {features} features per sample but W has "
                             f"shape {W.shape}")
        if b.shape != (W.shape[1],):
            raise ValueError(f"{self.name}: b has shape {b.shape} but W has shape {W.shape}; b "
                             f"must have shape ({W.shape[1]},)")


# ===================================================================== chapter 5.6.3: loss
class SoftmaxWithLoss(Layer):
    """Softmax followed by the cross-entropy error, as one layer (the engine's CrossEntropy op).

    ``forward(x, t)`` takes scores x of shape (N, C) and labels t, either class indices (N,) or
    one-hot rows (N, C), and returns the mean loss. ``backward(dout=1)`` returns
    ``(softmax(x) − t) / N · dout``: the famous "clean" gradient.
    """

    op = ops.CrossEntropy

    def forward(self, x: Any, t: Any) -> Any:
        """Mean cross-entropy of softmax(x) against t; a Node when x is a Node."""
        shape = _shape(x)
        if len(shape) != 2:
            raise ValueError(f"{self.name}: scores must have shape (N, classes), got {shape}")
        return self.apply_op(x, params=(ops.check_labels(shape, t, self.name),))

    @property
    def loss(self) -> Any:
        """The book's ``self.loss``: the loss of the last forward."""
        return self._out

    @property
    def y(self) -> np.ndarray | None:
        """The book's ``self.y``: softmax of the last forward's scores, shape (N, C)."""
        return self._saved(0)

    @property
    def t(self) -> np.ndarray | None:
        """The book's ``self.t``: the labels of the last forward."""
        return self._saved(1)


# ===================================================================== chapter 6.4: Dropout
#: Dropout as a graph op: the engine's ``x ⊙ mask`` (one op for this layer and
#: ``autograd.dropout``); this layer's mask is 0/1 in training, the constant 1 − ratio in test.
DropoutOp = ops.Dropout


class Dropout(Layer):
    """Dropout layer (the book's version): each forward in training drops units at random.

    ``forward(x, train_flg=True)`` keeps each unit with probability ``1 − dropout_ratio`` (the
    mask is drawn with ``np.random.rand``, so ``np.random.seed`` makes it reproducible) and
    backward uses the same mask. ``train_flg=False`` scales by ``1 − dropout_ratio`` instead, so
    the expected activation matches training (the book's convention, not inverted dropout).
    """

    op = DropoutOp
    takes_train_flg = True

    def __init__(self, dropout_ratio: float = 0.5, name: str | None = None) -> None:
        super().__init__(name)
        if not 0.0 <= dropout_ratio < 1.0:
            raise ValueError(f"{self.name}: dropout_ratio must be in [0, 1), got {dropout_ratio}")
        self.dropout_ratio = dropout_ratio
        #: the book's ``self.mask``: True for the units kept by the last training forward
        self.mask: Any = None

    def forward(self, x: Any, train_flg: bool = True) -> Any:
        """``x * mask`` with a fresh random mask in training, ``x * (1 − ratio)`` at test time."""
        shape = _shape(x)
        if train_flg:
            self.mask = np.random.rand(*shape) > self.dropout_ratio
        else:
            self.mask = 1.0 - self.dropout_ratio
        return self.apply_op(x, params=(self.mask,))


# ===================================================================== chapter 6.3: BatchNorm
_BN_EPS = 10e-7  # the book's value (1e-6)


def _bn_rows(shape: tuple[int, ...], features: int, who: str) -> str:
    """How a batch is viewed as rows × features: "flat" (the book's) or "channel" (per channel).

    2-D input (N, D) is already rows × features. For 4-D input (N, C, H, W) the book flattens
    each sample (N, C·H·W): one γ per activation. If γ has C entries instead, each channel is
    normalised over N·H·W values (spatial batch norm, as PyTorch's BatchNorm2d).
    """
    if len(shape) == 2 and shape[1] == features:
        return "flat"
    if len(shape) == 4:
        if math.prod(shape[1:]) == features:
            return "flat"
        if shape[1] == features:
            return "channel"
    want = "D" if len(shape) == 2 else "C·H·W (per activation) or C (per channel)"
    raise ValueError(f"{who}: input of shape {shape} does not match gamma with {features} "
                     f"entries; gamma must have {want} entries")


def _to_rows(a: np.ndarray, layout: str) -> np.ndarray:
    if layout == "flat":
        return a.reshape(a.shape[0], -1)
    return a.transpose(0, 2, 3, 1).reshape(-1, a.shape[1])


def _from_rows(a: np.ndarray, shape: tuple[int, ...], layout: str) -> np.ndarray:
    if layout == "flat":
        return a.reshape(shape)
    n, c, h, w = shape
    return a.reshape(n, h, w, c).transpose(0, 3, 1, 2)


class _BatchNormCtx(NamedTuple):
    """What BatchNormOp's forward saves: for backward, and the batch statistics for the layer."""

    train: bool
    layout: str  # "flat" or "channel": see _bn_rows
    xc: np.ndarray  # x − μ, as rows × features
    xn: np.ndarray  # x̂ = (x − μ) / σ
    std: np.ndarray  # σ = √(var + ε)
    mu: np.ndarray | None  # the batch mean (training only)
    var: np.ndarray | None  # the batch variance (training only)


class BatchNormOp(Op):
    """Batch normalization as a graph op (the book's computation, step by step).

    Training: normalise with the batch's mean and variance (returned in ctx as ``mu``/``var``:
    the layer folds them into its running averages). Test: normalise with the running averages
    (then the op is an elementwise affine map of x).
    """

    name, symbol = "batch_norm", "BatchNorm"
    formula = "y = γ · (x − μ) / √(σ² + ε) + β"
    # one part per input, in the order of the inputs (x, γ, β): viz fills in each one
    derivative = ("∂L/∂x = back through x̂ = (x − μ)/σ with μ, σ of the batch (training) or "
                  "constants (test),  ∂L/∂γ = Σ g·x̂,  ∂L/∂β = Σ g")
    saves = True
    # backward treats the saved x̂ and σ as arrays, so it cannot be recorded for a second derivative
    twice_differentiable = False

    @staticmethod
    def forward(x, gamma, beta, running_mean, running_var, train):
        layout = _bn_rows(x.shape, gamma.size, "BatchNormalization")
        xr = _to_rows(x, layout)
        if train:
            mu = xr.mean(axis=0)
            xc = xr - mu
            var = np.mean(xc ** 2, axis=0)
            std = np.sqrt(var + _BN_EPS)
        else:
            mu = var = None
            xc = xr - running_mean
            std = np.sqrt(running_var + _BN_EPS)
        xn = xc / std
        out = gamma.reshape(-1) * xn + beta.reshape(-1)
        return _from_rows(out, x.shape, layout), _BatchNormCtx(train, layout, xc, xn, std, mu, var)

    @staticmethod
    def backward(g, y, ctx, x, gamma, beta):
        train, layout, xc, xn, std = ctx[:5]
        dout = _to_rows(g, layout)
        dbeta = dout.sum(axis=0)
        dgamma = np.sum(xn * dout, axis=0)
        dxn = gamma.reshape(-1) * dout
        dxc = dxn / std
        if train:
            # μ and σ depend on every sample of the batch: the book's graph, node by node
            n = dout.shape[0]
            dstd = -np.sum((dxn * xc) / (std * std), axis=0)
            dvar = 0.5 * dstd / std
            dxc = dxc + (2.0 / n) * xc * dvar
            dmu = np.sum(dxc, axis=0)
            dx = dxc - dmu / n
        else:
            dx = dxc
        return (_from_rows(dx, x.shape, layout), dgamma.reshape(gamma.shape),
                dbeta.reshape(beta.shape))


class BatchNormalization(Layer):
    """Batch Normalization layer (the book's), for (N, D) and (N, C, H, W) input.

    ``forward(x, train_flg=True)`` normalises with the batch statistics and then updates
    ``running_mean`` / ``running_var`` (made as zeros on the first forward if not given):
    ``running = momentum · running + (1 − momentum) · batch``. ``train_flg=False`` uses the
    running statistics. For 4-D input, gamma with C·H·W entries normalises each activation (the
    book), gamma with C entries each channel. After ``backward``, ``dgamma`` and ``dbeta`` hold
    the parameter gradients.
    """

    op = BatchNormOp
    takes_train_flg = True
    gamma = Parameter()
    beta = Parameter()

    def __init__(self, gamma: Any, beta: Any, momentum: float = 0.9,
                 running_mean: Any = None, running_var: Any = None,
                 name: str | None = None) -> None:
        super().__init__(name)
        self.gamma, self.beta = gamma, beta
        if self.gamma.shape != self.beta.shape:
            raise ValueError(f"{self.name}: gamma has shape {self.gamma.shape} but beta has "
                             f"shape {self.beta.shape}; they must match")
        self.momentum = momentum
        # updated in place by every training forward, so they must be float arrays we own
        self.running_mean = None if running_mean is None else np.array(running_mean, float)
        self.running_var = None if running_var is None else np.array(running_var, float)
        self.dgamma: np.ndarray | None = None
        self.dbeta: np.ndarray | None = None

    def forward(self, x: Any, train_flg: bool = True) -> Any:
        """Normalise x (batch statistics if `train_flg`, else running ones), then scale/shift."""
        value = x.value if x.__class__ is Node else x
        _bn_rows(np.shape(value), self.gamma.size, self.name)
        if self.running_mean is None:
            dtype = value.dtype if value.dtype.kind == "f" else np.float64
            self.running_mean = np.zeros(self.gamma.size, dtype=dtype)
            self.running_var = np.zeros(self.gamma.size, dtype=dtype)
        out = self.apply_op(x, params=(self.running_mean, self.running_var, bool(train_flg)))
        if train_flg:  # in place: the arrays stay the ones the caller may hold
            ctx, m = self._ctx, self.momentum
            self.running_mean *= m
            self.running_mean += (1 - m) * ctx.mu
            self.running_var *= m
            self.running_var += (1 - m) * ctx.var
            if x.__class__ is not Node:
                self._train_ctx = ctx
        return out

    # The book's intermediate values, kept by its training forward for backward. As in the
    # book they come from the last training forward on arrays, as rows × features: (N, D), or
    # (N, C·H·W) for images (with per-channel gamma, (N·H·W, C)). None before the first one.
    def _book_value(self, name: str) -> np.ndarray | None:
        ctx = getattr(self, "_train_ctx", None)
        return None if ctx is None else getattr(ctx, name)

    @property
    def xc(self) -> np.ndarray | None:
        """The book's ``xc``: the batch minus its mean, ``x − μ``."""
        return self._book_value("xc")

    @property
    def xn(self) -> np.ndarray | None:
        """The book's ``xn``: the normalised batch, ``(x − μ) / std``."""
        return self._book_value("xn")

    @property
    def std(self) -> np.ndarray | None:
        """The book's ``std``: ``√(σ² + ε)`` of the batch, per feature."""
        return self._book_value("std")

    @property
    def batch_size(self) -> int | None:
        """The book's ``batch_size``: the number of rows normalised together (N for (N, D))."""
        xc = self.xc
        return None if xc is None else xc.shape[0]


# ===================================================================== chapter 7: CNN layers
class ConvolutionOp(Op):
    """Convolution as a graph op, via im2col: one matrix product per sample (`nn.kernels`)."""

    name, symbol = "convolution", "Conv"
    formula = "Y = im2col(X) · W_colᵀ + b,  W_col = W.reshape(FN, −1)"
    derivative = "∂L/∂X = col2im(G_col · W_col),  ∂L/∂W = G_colᵀ · col,  ∂L/∂b = Σ G"
    saves = True
    partial = True  # no col2im for the data batch
    twice_differentiable = False  # im2col/col2im are NumPy code, not recorded ops

    # The columns are kept in image order (N, C·FH·FW, OH·OW) rather than the book's rows
    # (N·OH·OW, C·FH·FW): the same numbers, but the output comes out in NCHW order with no
    # transpose (see nn/kernels.py; `Convolution.col` gives the book's layout).
    @staticmethod
    def forward(x, W, b, stride, pad):
        out, col = kernels.conv2d_forward(x, W, b, stride, pad)
        return out, (col, stride, pad)

    @staticmethod
    def backward(g, y, ctx, x, W, b, needs=(True, True, True)):
        col, stride, pad = ctx
        return kernels.conv2d_backward(g, col, x.shape, W, stride, pad, needs)


def _stride_or_pad(value: Any, what: str, who: str) -> int | tuple[int, int]:
    """An int, or a (vertical, horizontal) pair as DeZero and PyTorch write it."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"{who}: {what} must be an int or a (vertical, horizontal) pair, "
                             f"got {value!r}")
        return int(value[0]), int(value[1])
    return int(value)


def _check_conv(who: str, shape: tuple[int, ...], kernel: tuple[int, int], channels: int | None,
                stride: Any, pad: Any) -> tuple[int, int]:
    if len(shape) != 4:
        raise ValueError(f"{who}: input must have shape (N, C, H, W), got {shape}")
    if channels is not None and shape[1] != channels:
        raise ValueError(f"{who}: input has {shape[1]} channels but the filters expect "
                         f"{channels} (W has shape (FN, {channels}, FH, FW))")
    (sh, sw), (ph, pw) = kernels.pair(stride), kernels.pair(pad)
    if min(sh, sw) < 1 or min(ph, pw) < 0:
        raise ValueError(f"{who}: stride must be ≥ 1 and pad ≥ 0, got stride={stride}, pad={pad}")
    out_h = conv_output_size(shape[2], kernel[0], sh, ph)
    out_w = conv_output_size(shape[3], kernel[1], sw, pw)
    if out_h < 1 or out_w < 1:
        raise ValueError(f"{who}: a {kernel[0]}x{kernel[1]} window does not fit in a "
                         f"{shape[2]}x{shape[3]} input with pad={pad}")
    return out_h, out_w


class Convolution(Layer):
    """Convolution layer: filters W (FN, C, FH, FW) and biases b (FN,), with stride and padding.

    Input (N, C, H, W) → output (N, FN, OH, OW), ``OH = (H + 2·pad − FH) // stride + 1``.
    `stride` and `pad` are ints or (vertical, horizontal) pairs, as in DeZero and PyTorch. A
    number for `b` is the same bias for every filter (the book's apply_filter.py passes 0).
    After ``backward``, ``dW`` and ``db`` hold the parameter gradients.
    """

    op = ConvolutionOp
    W = Parameter()
    b = Parameter()

    def __init__(self, W: Any, b: Any, stride: int | tuple[int, int] = 1,
                 pad: int | tuple[int, int] = 0, name: str | None = None) -> None:
        super().__init__(name)
        self.W = W
        if b is None:
            raise TypeError(f"{self.name}: b is None; for a convolution without bias pass "
                            f"np.zeros({self.W.shape[0] if self.W.ndim == 4 else 'FN'})")
        if np.ndim(b) == 0 and b.__class__ is not Node and self.W.ndim == 4:
            # one number for every filter, as the book's apply_filter.py passes b = 0
            b = np.full(self.W.shape[0], float(b))
        self.b = b
        if self.W.ndim != 4 or self.b.shape != (self.W.shape[0],):
            raise ValueError(f"{self.name}: W must have shape (FN, C, FH, FW) and b (FN,), got "
                             f"{self.W.shape} and {self.b.shape}")
        self.stride = _stride_or_pad(stride, "stride", self.name)
        self.pad = _stride_or_pad(pad, "pad", self.name)
        self.dW: np.ndarray | None = None
        self.db: np.ndarray | None = None

    def forward(self, x: Any) -> Any:
        """Convolve the batch x (N, C, H, W) with the filters; add the bias per filter."""
        return self.apply_op(x, params=(self.stride, self.pad))

    def check_inputs(self, x: Any, W: np.ndarray, b: np.ndarray) -> None:
        """x of shape (N, C, H, W), C as the filters expect, and big enough for them."""
        _check_conv(self.name, _shape(x), W.shape[2:], W.shape[1], self.stride, self.pad)

    @property
    def col(self) -> np.ndarray | None:
        """The last forward's ``im2col(x)`` in the book's layout (N·OH·OW, C·FH·FW), made on use.

        (The layer keeps the same numbers in image order, which is faster; see nn/kernels.py.)
        """
        col = self._saved(0)
        if col is None:
            return None
        col = col[:, :-1]  # without the row of ones the bias multiplies
        return col.transpose(0, 2, 1).reshape(-1, col.shape[1])

    @property
    def col_W(self) -> np.ndarray:  # noqa: N802 - the book's name
        """The filters as a matrix (C·FH·FW, FN), the book's ``col_W``."""
        return self.W.reshape(self.W.shape[0], -1).T


class PoolingOp(Op):
    """Max pooling as a graph op: the maximum of each window; the gradient goes to the argmax."""

    name, symbol = "max_pool", "Pool"
    formula = "y = max over each pool_h × pool_w window of x"
    derivative = "∂y/∂xᵢ = 1 for the window's maximum, 0 for the others"
    saves = True
    twice_differentiable = False

    # The windows are read as strided views of x (no im2col copy); ctx keeps masks of each
    # window's first maximum, the element the book's argmax picks (nn/kernels.py).
    @staticmethod
    def forward(x, pool_h, pool_w, stride, pad):
        out, masks = kernels.max_pool_forward(x, (pool_h, pool_w), stride, pad)
        return out, (masks, pool_h, pool_w, stride, pad)

    @staticmethod
    def backward(g, y, ctx, x):
        masks, pool_h, pool_w, stride, pad = ctx
        return (kernels.max_pool_backward(g, masks, x.shape, (pool_h, pool_w), stride, pad),)


class Pooling(Layer):
    """Max pooling layer: ``pool_h × pool_w`` windows moved by `stride`, per channel.

    Padding (if any) is −inf, so it is never picked as a maximum; pad must be smaller than the
    window. `stride` and `pad` are ints or (vertical, horizontal) pairs. Pooling has no
    parameters; backward routes each ``dout`` element to the input position that was its
    window's maximum.
    """

    op = PoolingOp

    def __init__(self, pool_h: int, pool_w: int, stride: int | tuple[int, int] = 2,
                 pad: int | tuple[int, int] = 0, name: str | None = None) -> None:
        super().__init__(name)
        self.pool_h, self.pool_w = int(pool_h), int(pool_w)
        self.stride = _stride_or_pad(stride, "stride", self.name)
        self.pad = _stride_or_pad(pad, "pad", self.name)
        ph, pw = kernels.pair(self.pad)
        if ph >= self.pool_h or pw >= self.pool_w:
            raise ValueError(f"{self.name}: pad={pad} must be smaller than the {pool_h}x{pool_w} "
                             f"window, or some windows would hold only padding")

    def forward(self, x: Any) -> Any:
        """The maximum of each window, per channel: (N, C, H, W) → (N, C, OH, OW)."""
        return self.apply_op(x, params=(self.pool_h, self.pool_w, self.stride, self.pad))

    def check_inputs(self, x: Any) -> None:
        """x of shape (N, C, H, W), big enough for the window."""
        _check_conv(self.name, _shape(x), (self.pool_h, self.pool_w), None, self.stride, self.pad)

    @property
    def arg_max(self) -> np.ndarray | None:
        """The book's ``arg_max``: per window, the position of its maximum (0 … pool_h·pool_w − 1),
        one entry per row of the book's im2col, i.e. in (N, OH, OW, C) order. Made on use."""
        windows = self._saved(0)
        if windows is None:
            return None
        return kernels.pool_argmax(windows, self.stride).transpose(0, 2, 3, 1).reshape(-1)
