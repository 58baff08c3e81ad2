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

from typing import Any

import numpy as np

import autograd
from autograd import ops
from autograd.node import Node, Op

__all__ = ["Layer", "MulLayer", "AddLayer"]

Array = np.ndarray


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
    very same array object (made on first use, and again if ``layer.W`` is replaced).
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
        if node is None or node.value is not value:
            # First use, or the array was replaced (as the book's load_params does):
            # wrap the current array, keeping the name the old node had.
            label = attr if node is None else node.name
            node = Node(_float_array(value, f"{self.name}.{attr}"), name=label)
            setattr(self, attr, node.value)
            node.scope = self.name
            self._nodes[attr] = node
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
