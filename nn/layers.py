"""The textbook's layers (误差反向传播法, chapters 5-7), each usable two ways.

1. **As in the book**, on plain NumPy arrays: ``out = layer.forward(x)``, later
   ``dx = layer.backward(dout)``; the parameter gradients are then in ``layer.dW`` /
   ``layer.db`` (``dgamma`` / ``dbeta`` for BatchNormalization). Chaining layers by hand gives
   the book's numbers.
2. **As a graph op**, on `autograd.Node` inputs: ``y = layer(x_node)`` (or
   ``layer.forward(x_node)``) records one node in the computational graph, and
   ``loss.backward()`` fills the ``.grad`` of the parameter Nodes (``layer.parameters()``).

Both ways run the *same* derivative code. Each layer's math lives in one `autograd.Op` class
(``AffineOp``, ``ConvolutionOp``, ...; for MulLayer/AddLayer/Relu/Sigmoid/SoftmaxWithLoss the
engine's own ``Mul``/``Add``/``Relu``/``Sigmoid``/``CrossEntropy``), whose static ``forward`` and
``backward`` the textbook class calls directly and the engine calls while recording/backpropagating.

Parameters are the arrays the layer was built with (``layer.W is net.params['W1']``), so the
book's in-place update ``params[key] -= lr * grads[key]`` is seen by the layer. The leaf Node of
a parameter wraps that same array object, so optimizers working on Nodes update it too.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import autograd
from autograd import ops
from autograd.node import Node, Op
from nn import kernels
from nn.utils import conv_output_size

__all__ = [
    "Layer", "MulLayer", "AddLayer", "Relu", "Sigmoid", "Affine", "SoftmaxWithLoss", "Dropout",
    "BatchNormalization", "Convolution", "Pooling",
    "AffineOp", "DropoutOp", "BatchNormOp", "ConvolutionOp", "PoolingOp",
]

def _is_node(*values: Any) -> bool:
    """True when any argument is a Node: the layer then records itself in the graph."""
    return any(v.__class__ is Node for v in values)


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


class Layer:
    """What every layer shares: a name, parameters as arrays and as leaf Nodes, ``layer(x)``.

    Subclasses list their parameter attributes in ``param_attrs`` (``("W", "b")``). The array
    ``layer.W`` is the source of truth; ``layer.parameter("W")`` returns a leaf Node holding the
    very same array object (made on first use; if ``layer.W`` is replaced, the same Node takes
    the new array).
    """

    param_attrs: tuple[str, ...] = ()

    def __init__(self, name: str | None = None) -> None:
        #: The scope the layer's graph nodes are tagged with (viz groups a layer by it).
        self.name: str = name or type(self).__name__
        self._nodes: dict[str, Node] = {}

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Same as ``forward``: ``layer(x)``, as PyTorch modules are called."""
        return self.forward(*args, **kwargs)

    def forward(self, *args: Any, **kwargs: Any) -> Any:  # pragma: no cover - overridden
        """Forward propagation; on Nodes the computation is also recorded in the graph."""
        raise NotImplementedError

    # ----------------------------------------------------------------- parameters
    def _adopt(self, attr: str, value: Any) -> np.ndarray:
        """Store a constructor argument: arrays are kept as they are, Nodes become that node."""
        if value.__class__ is Node:
            node = value
            if not (isinstance(node.value, np.ndarray) and node.value.dtype.kind == "f"):
                node.value = _float_array(node.value, f"{self.name}.{attr}")
            self._nodes[attr] = node
            return node.value
        return _float_array(value, f"{self.name}.{attr}")

    def parameter(self, attr: str) -> Node:
        """The leaf Node of parameter `attr` (e.g. "W"); its value *is* ``getattr(self, attr)``."""
        value = getattr(self, attr)
        node = self._nodes.get(attr)
        if node is None:
            with autograd.scope(self.name):  # viz draws a parameter inside its layer's box
                node = Node(_float_array(value, f"{self.name}.{attr}"), name=attr)
            self._nodes[attr] = node
        elif node.value is not value:
            # The array was replaced (as the book's load_params does): the same Node now holds
            # the new array, so an optimizer built with the old parameters() keeps working.
            node.value = _float_array(value, f"{self.name}.{attr}")
        if node.value is not value:  # converted to float: the layer must hold the same array
            setattr(self, attr, node.value)
        return node

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


def _record(layer: Layer, op: type[Op], *inputs: Any, params: tuple = ()) -> Node:
    """Record `op` on `inputs` inside the layer's scope, so viz can draw the layer as a group."""
    with autograd.scope(layer.name):
        return ops.apply(op, *inputs, params=params)


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

    def __init__(self, name: str | None = None) -> None:
        super().__init__(name)
        self.x: Any = None
        self.y: Any = None

    def forward(self, x: Any, y: Any) -> Any:
        """``x * y``; records a ``mul`` node when either input is a Node."""
        if _is_node(x, y):
            return _record(self, ops.Mul, x, y)
        self.x, self.y = x, y
        return ops.Mul.forward(x, y)

    def backward(self, dout: Any = 1) -> tuple[Any, Any]:
        """``(dout * y, dout * x)``."""
        return ops.Mul.backward(dout, None, None, self.x, self.y)


class AddLayer(Layer):
    """Addition layer (加法层): ``out = x + y``; backward passes ``dout`` to both inputs.

    The derivative is the engine's own ``Add`` op.
    """

    def forward(self, x: Any, y: Any) -> Any:
        """``x + y``; records an ``add`` node when either input is a Node."""
        if _is_node(x, y):
            return _record(self, ops.Add, x, y)
        return ops.Add.forward(x, y)

    def backward(self, dout: Any = 1) -> tuple[Any, Any]:
        """``(dout, dout)``: ∂(x + y)/∂x = ∂(x + y)/∂y = 1."""
        return ops.Add.backward(dout, None, None, None, None)


# ===================================================================== chapter 5.5: activations
class Relu(Layer):
    """ReLU layer: ``out = max(x, 0)``; backward lets ``dout`` through only where ``x > 0``.

    The derivative is the engine's ``Relu`` op (``∂y/∂x = 1 if x > 0 else 0``).
    """

    def __init__(self, name: str | None = None) -> None:
        super().__init__(name)
        self.x: Any = None

    def forward(self, x: Any) -> Any:
        """``max(x, 0)``, elementwise."""
        if x.__class__ is Node:
            return _record(self, ops.Relu, x)
        self.x = x
        return ops.Relu.forward(x)

    def backward(self, dout: Any) -> Any:
        """``dout`` where the forward input was positive, 0 elsewhere (``dout`` is not modified)."""
        return ops.Relu.backward(dout, None, None, self.x)[0]

    @property
    def mask(self) -> Any:
        """The book's attribute: True where the forward input was ≤ 0 (blocked in backward)."""
        return None if self.x is None else self.x <= 0


class Sigmoid(Layer):
    """Sigmoid layer: ``out = 1 / (1 + exp(−x))``; backward is ``dout · out · (1 − out)``.

    The derivative is the engine's ``Sigmoid`` op, written with the output as in the book.
    """

    def __init__(self, name: str | None = None) -> None:
        super().__init__(name)
        self.out: Any = None

    def forward(self, x: Any) -> Any:
        """``1 / (1 + exp(−x))``, elementwise (no overflow warning for large |x|)."""
        if x.__class__ is Node:
            return _record(self, ops.Sigmoid, x)
        self.out = ops.Sigmoid.forward(x)
        return self.out

    def backward(self, dout: Any) -> Any:
        """``dout · y · (1 − y)`` with y the forward output."""
        return ops.Sigmoid.backward(dout, self.out, None, None)[0]


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
        return np.dot(x.reshape(x.shape[0], -1), W) + b

    @staticmethod
    def backward(g, y, ctx, x, W, b, needs=(True, True, True)):
        # Also correct on Nodes (create_graph=True): reshape, .T, @ and .sum are all recorded.
        dx = (g @ W.T).reshape(x.shape) if needs[0] else None
        dW = x.reshape(x.shape[0], -1).T @ g if needs[1] else None
        db = g.sum(axis=0) if needs[2] else None
        return dx, dW, db


def _check_affine(who: str, x_shape: tuple[int, ...], W: np.ndarray, b: np.ndarray) -> None:
    if len(x_shape) < 2:
        raise ValueError(f"{who}: input must be a batch with shape (N, features...), got shape "
                         f"{x_shape}; for one sample use x.reshape(1, -1)")
    features = math.prod(x_shape[1:])
    if W.ndim != 2 or features != W.shape[0]:
        raise ValueError(f"{who}: input has {features} features per sample but W has shape "
                         f"{W.shape}")
    if b.shape != (W.shape[1],):
        raise ValueError(f"{who}: b has shape {b.shape} but W has shape {W.shape}; b must have "
                         f"shape ({W.shape[1]},)")


class Affine(Layer):
    """Affine (fully connected) layer: ``out = x · W + b``.

    Accepts (N, D) or (N, C, H, W) input (flattened per sample; ``dx`` comes back in the input's
    shape). After ``backward``, ``dW`` and ``db`` hold the parameter gradients.
    """

    param_attrs = ("W", "b")

    def __init__(self, W: Any, b: Any, name: str | None = None) -> None:
        super().__init__(name)
        self.W: np.ndarray = self._adopt("W", W)
        self.b: np.ndarray = self._adopt("b", b)
        self.x: Any = None
        self.original_x_shape: tuple[int, ...] | None = None
        self.dW: np.ndarray | None = None
        self.db: np.ndarray | None = None

    def forward(self, x: Any) -> Any:
        """``x.reshape(N, -1) · W + b``."""
        _check_affine(self.name, np.shape(x.value if x.__class__ is Node else x), self.W, self.b)
        if x.__class__ is Node:
            return _record(self, AffineOp, x, self.parameter("W"), self.parameter("b"))
        self.x, self.original_x_shape = x, x.shape
        return AffineOp.forward(x, self.W, self.b)

    def backward(self, dout: np.ndarray, need_dx: bool = True) -> np.ndarray | None:
        """Return ``dx`` (shaped like the forward input); store ``dW``, ``db``.

        ``need_dx=False`` skips ``dx`` (returns None): for a first layer, whose input is the data.
        """
        dx, self.dW, self.db = AffineOp.backward(dout, None, (), self.x, self.W, self.b,
                                                 needs=(need_dx, True, True))
        return dx


# ===================================================================== chapter 5.6.3: loss
class SoftmaxWithLoss(Layer):
    """Softmax followed by the cross-entropy error, as one layer (the engine's CrossEntropy op).

    ``forward(x, t)`` takes scores x of shape (N, C) and labels t, either class indices (N,) or
    one-hot rows (N, C), and returns the mean loss. ``backward(dout=1)`` returns
    ``(softmax(x) − t) / N · dout``: the famous "clean" gradient.
    """

    def __init__(self, name: str | None = None) -> None:
        super().__init__(name)
        self.loss: Any = None
        self.y: np.ndarray | None = None  # softmax output
        self.t: np.ndarray | None = None  # labels
        self.x: np.ndarray | None = None
        self._ctx: Any = None

    def forward(self, x: Any, t: Any) -> Any:
        """Mean cross-entropy of softmax(x) against t; a Node when x is a Node."""
        shape = np.shape(x.value if x.__class__ is Node else x)
        if len(shape) != 2:
            raise ValueError(f"{self.name}: scores must have shape (N, classes), got {shape}")
        labels = ops.check_labels(shape, t, self.name)
        if x.__class__ is Node:
            return _record(self, ops.CrossEntropy, x, params=(labels,))
        self.x, self.t = x, labels
        self.loss, self._ctx = ops.CrossEntropy.forward(x, labels)
        self.y = self._ctx[0]
        return self.loss

    def backward(self, dout: Any = 1) -> np.ndarray:
        """``(y − t) / N · dout``, shape (N, C)."""
        return ops.CrossEntropy.backward(dout, self.loss, self._ctx, self.x)[0]


# ===================================================================== chapter 6.4: Dropout
class DropoutOp(Op):
    """Dropout as a graph op: times a fixed mask (random 0/1 in training, constant in test)."""

    name, symbol = "dropout", "Dropout"
    formula = "y = x ⊙ mask   (mask: 1 = kept, 0 = dropped; at test time the constant 1 − ratio)"
    derivative = "∂y/∂x = mask  (the same mask: dropped units get no gradient)"

    @staticmethod
    def forward(x, mask):
        return x * mask

    @staticmethod
    def backward(g, y, ctx, x):
        (mask,) = ctx
        return (g * mask,)


class Dropout(Layer):
    """Dropout layer (the book's version): each forward in training drops units at random.

    ``forward(x, train_flg=True)`` keeps each unit with probability ``1 − dropout_ratio`` (the
    mask is drawn with ``np.random.rand``, so ``np.random.seed`` makes it reproducible) and
    backward uses the same mask. ``train_flg=False`` scales by ``1 − dropout_ratio`` instead, so
    the expected activation matches training (the book's convention, not inverted dropout).
    """

    def __init__(self, dropout_ratio: float = 0.5, name: str | None = None) -> None:
        super().__init__(name)
        if not 0.0 <= dropout_ratio < 1.0:
            raise ValueError(f"{self.name}: dropout_ratio must be in [0, 1), got {dropout_ratio}")
        self.dropout_ratio = dropout_ratio
        self.mask: Any = None

    def forward(self, x: Any, train_flg: bool = True) -> Any:
        """``x * mask`` with a fresh random mask in training, ``x * (1 − ratio)`` at test time."""
        shape = np.shape(x.value if x.__class__ is Node else x)
        if train_flg:
            self.mask = np.random.rand(*shape) > self.dropout_ratio
        else:
            self.mask = 1.0 - self.dropout_ratio
        if x.__class__ is Node:
            return _record(self, DropoutOp, x, params=(self.mask,))
        return DropoutOp.forward(x, self.mask)

    def backward(self, dout: Any) -> Any:
        """``dout * mask``, with the mask of the last forward."""
        return DropoutOp.backward(dout, None, (self.mask,), None)[0]


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


class BatchNormOp(Op):
    """Batch normalization as a graph op (the book's computation, step by step).

    Training: normalise with the batch's mean and variance, and update the running averages in
    place (``running = momentum · running + (1 − momentum) · batch``). Test: normalise with the
    running averages (then the op is an elementwise affine map of x).
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
    def forward(x, gamma, beta, running_mean, running_var, momentum, train):
        layout = _bn_rows(x.shape, gamma.size, "BatchNormalization")
        xr = _to_rows(x, layout)
        if train:
            mu = xr.mean(axis=0)
            xc = xr - mu
            var = np.mean(xc ** 2, axis=0)
            std = np.sqrt(var + _BN_EPS)
            running_mean *= momentum
            running_mean += (1 - momentum) * mu
            running_var *= momentum
            running_var += (1 - momentum) * var
        else:
            xc = xr - running_mean
            std = np.sqrt(running_var + _BN_EPS)
        xn = xc / std
        out = gamma.reshape(-1) * xn + beta.reshape(-1)
        return _from_rows(out, x.shape, layout), (train, layout, xc, xn, std)

    @staticmethod
    def backward(g, y, ctx, x, gamma, beta):
        train, layout, xc, xn, std = ctx
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

    ``forward(x, train_flg=True)`` normalises with the batch statistics and updates
    ``running_mean`` / ``running_var`` (made as zeros on the first forward if not given);
    ``train_flg=False`` uses the running statistics. For 4-D input, gamma with C·H·W entries
    normalises each activation (the book), gamma with C entries each channel. After
    ``backward``, ``dgamma`` and ``dbeta`` hold the parameter gradients.
    """

    param_attrs = ("gamma", "beta")

    def __init__(self, gamma: Any, beta: Any, momentum: float = 0.9,
                 running_mean: Any = None, running_var: Any = None,
                 name: str | None = None) -> None:
        super().__init__(name)
        self.gamma: np.ndarray = self._adopt("gamma", gamma)
        self.beta: np.ndarray = self._adopt("beta", beta)
        if self.gamma.shape != self.beta.shape:
            raise ValueError(f"{self.name}: gamma has shape {self.gamma.shape} but beta has "
                             f"shape {self.beta.shape}; they must match")
        self.momentum = momentum
        # updated in place by every training forward, so they must be float arrays we own
        self.running_mean = None if running_mean is None else np.array(running_mean, float)
        self.running_var = None if running_var is None else np.array(running_var, float)
        self.input_shape: tuple[int, ...] | None = None
        self.dgamma: np.ndarray | None = None
        self.dbeta: np.ndarray | None = None
        self._x: Any = None
        self._ctx: Any = None

    def forward(self, x: Any, train_flg: bool = True) -> Any:
        """Normalise x (batch statistics if `train_flg`, else running ones), then scale/shift."""
        value = x.value if x.__class__ is Node else x
        _bn_rows(np.shape(value), self.gamma.size, self.name)
        if self.running_mean is None:
            dtype = value.dtype if value.dtype.kind == "f" else np.float64
            self.running_mean = np.zeros(self.gamma.size, dtype=dtype)
            self.running_var = np.zeros(self.gamma.size, dtype=dtype)
        params = (self.running_mean, self.running_var, self.momentum, bool(train_flg))
        if x.__class__ is Node:
            return _record(self, BatchNormOp, x, self.parameter("gamma"), self.parameter("beta"),
                           params=params)
        self._x, self.input_shape = x, x.shape
        out, self._ctx = BatchNormOp.forward(x, self.gamma, self.beta, *params)
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """Return ``dx`` (shaped like the input); store ``dgamma``, ``dbeta``."""
        dx, self.dgamma, self.dbeta = BatchNormOp.backward(dout, None, self._ctx, self._x,
                                                           self.gamma, self.beta)
        return dx


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


def _check_conv(who: str, shape: tuple[int, ...], kernel: tuple[int, int], channels: int | None,
                stride: int, pad: int) -> tuple[int, int]:
    if len(shape) != 4:
        raise ValueError(f"{who}: input must have shape (N, C, H, W), got {shape}")
    if channels is not None and shape[1] != channels:
        raise ValueError(f"{who}: input has {shape[1]} channels but the filters expect "
                         f"{channels} (W has shape (FN, {channels}, FH, FW))")
    if stride < 1 or pad < 0:
        raise ValueError(f"{who}: stride must be ≥ 1 and pad ≥ 0, got stride={stride}, pad={pad}")
    out_h = conv_output_size(shape[2], kernel[0], stride, pad)
    out_w = conv_output_size(shape[3], kernel[1], stride, pad)
    if out_h < 1 or out_w < 1:
        raise ValueError(f"{who}: a {kernel[0]}x{kernel[1]} window does not fit in a "
                         f"{shape[2]}x{shape[3]} input with pad={pad}")
    return out_h, out_w


class Convolution(Layer):
    """Convolution layer: filters W (FN, C, FH, FW) and biases b (FN,), with stride and padding.

    Input (N, C, H, W) → output (N, FN, OH, OW), ``OH = (H + 2·pad − FH) // stride + 1``.
    After ``backward``, ``dW`` and ``db`` hold the parameter gradients.
    """

    param_attrs = ("W", "b")

    def __init__(self, W: Any, b: Any, stride: int = 1, pad: int = 0,
                 name: str | None = None) -> None:
        super().__init__(name)
        self.W: np.ndarray = self._adopt("W", W)
        self.b: np.ndarray = self._adopt("b", b)
        if self.W.ndim != 4 or self.b.shape != (self.W.shape[0],):
            raise ValueError(f"{self.name}: W must have shape (FN, C, FH, FW) and b (FN,), got "
                             f"{self.W.shape} and {self.b.shape}")
        self.stride, self.pad = int(stride), int(pad)
        self.x: Any = None
        self.dW: np.ndarray | None = None
        self.db: np.ndarray | None = None
        self._ctx: Any = None

    @property
    def col_W(self) -> np.ndarray:  # noqa: N802 - the book's name
        """The filters as a matrix (C·FH·FW, FN), the book's ``col_W``."""
        return self.W.reshape(self.W.shape[0], -1).T

    def forward(self, x: Any) -> Any:
        """Convolve the batch x (N, C, H, W) with the filters; add the bias per filter."""
        shape = np.shape(x.value if x.__class__ is Node else x)
        _check_conv(self.name, shape, self.W.shape[2:], self.W.shape[1], self.stride, self.pad)
        if x.__class__ is Node:
            return _record(self, ConvolutionOp, x, self.parameter("W"), self.parameter("b"),
                           params=(self.stride, self.pad))
        self.x = x
        out, self._ctx = ConvolutionOp.forward(x, self.W, self.b, self.stride, self.pad)
        return out

    @property
    def col(self) -> np.ndarray | None:
        """The last forward's ``im2col(x)`` in the book's layout (N·OH·OW, C·FH·FW), made on use.

        (The layer keeps the same numbers in image order, which is faster; see nn/kernels.py.)
        """
        if self._ctx is None:
            return None
        col = self._ctx[0][:, :-1]  # without the row of ones the bias multiplies
        return col.transpose(0, 2, 1).reshape(-1, col.shape[1])

    def backward(self, dout: np.ndarray, need_dx: bool = True) -> np.ndarray | None:
        """Return ``dx`` (N, C, H, W); store ``dW``, ``db``.

        ``need_dx=False`` skips ``dx`` (returns None): for a first layer, whose input is the data.
        """
        dx, self.dW, self.db = ConvolutionOp.backward(dout, None, self._ctx, self.x, self.W,
                                                      self.b, needs=(need_dx, True, True))
        return dx


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
    window. Pooling has no parameters.
    """

    def __init__(self, pool_h: int, pool_w: int, stride: int = 2, pad: int = 0,
                 name: str | None = None) -> None:
        super().__init__(name)
        self.pool_h, self.pool_w = int(pool_h), int(pool_w)
        self.stride, self.pad = int(stride), int(pad)
        if self.pad >= min(self.pool_h, self.pool_w):
            raise ValueError(f"{self.name}: pad={pad} must be smaller than the {pool_h}x{pool_w} "
                             f"window, or some windows would hold only padding")
        self.x: Any = None
        self._ctx: Any = None

    def forward(self, x: Any) -> Any:
        """The maximum of each window, per channel: (N, C, H, W) → (N, C, OH, OW)."""
        shape = np.shape(x.value if x.__class__ is Node else x)
        _check_conv(self.name, shape, (self.pool_h, self.pool_w), None, self.stride, self.pad)
        params = (self.pool_h, self.pool_w, self.stride, self.pad)
        if x.__class__ is Node:
            return _record(self, PoolingOp, x, params=params)
        self.x = x
        out, self._ctx = PoolingOp.forward(x, *params)
        return out

    @property
    def arg_max(self) -> np.ndarray | None:
        """The book's ``arg_max``: per window, the position of its maximum (0 … pool_h·pool_w − 1),
        one entry per row of the book's im2col, i.e. in (N, OH, OW, C) order. Made on use."""
        if self._ctx is None:
            return None
        return kernels.pool_argmax(self._ctx[0], self.stride).transpose(0, 2, 3, 1).reshape(-1)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """Route each ``dout`` element to the input position that was the window's maximum."""
        return PoolingOp.backward(dout, None, self._ctx, self.x)[0]
