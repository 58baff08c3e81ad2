"""The textbook's networks: TwoLayerNet (ch. 5), MultiLayerNet (ch. 6), SimpleConvNet (ch. 7).

Each keeps the book's interface — ``params`` dict of arrays, ``layers`` OrderedDict,
``predict`` / ``loss`` / ``accuracy`` / ``numerical_gradient`` / ``gradient`` — so the book's
training scripts run unchanged except for their imports. On top of that they offer the
PyTorch-style path: ``model.parameters()`` (leaf Nodes sharing the ``params`` arrays),
``model.zero_grad()``, ``model(x)`` → logits Node, ``train()`` / ``eval()``.

``gradient(x, t)`` is the book's backpropagation through the layers (``layer.backward`` in
reverse order), minus the first layer's unused ``dx``; ``gradient_by_engine(x, t)`` records the
forward pass on Nodes and calls ``loss.backward()``. Both give the same numbers because both run
the same op backward functions; the layer chain is used by default because it is faster (see
`benchmarks/bench_nn.py`: it skips the graph bookkeeping, a few µs per op).
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

import autograd
from autograd.node import Node, as_node
from nn import serialization
from nn.layers import (
    Affine,
    BatchNormalization,
    Convolution,
    Dropout,
    Layer,
    Pooling,
    Relu,
    Sigmoid,
    SoftmaxWithLoss,
)
from nn.utils import conv_output_size

__all__ = ["Model", "TwoLayerNet", "MultiLayerNet", "MultiLayerNetExtend", "SimpleConvNet"]


class Model:
    """What the three networks share. Subclasses fill ``params``, ``layers``, ``last_layer``
    and call ``_bind`` with which layer attribute holds which parameter.
    """

    params: dict[str, np.ndarray]
    layers: OrderedDict[str, Layer]
    last_layer: SoftmaxWithLoss
    weight_decay_lambda: float = 0.0
    _named_at = -1  # Layer._leaf_changes when `_named_parameters` was last made

    def _bind(self, owners: dict[str, tuple[str, str]]) -> None:
        """Name every layer after its key, and every parameter Node after its ``params`` key."""
        for key, layer in self.layers.items():
            layer.name = key
        self.last_layer.name = "SoftmaxWithLoss"
        #: params key -> (layer key, attribute), e.g. "W1" -> ("Affine1", "W")
        self._owners = owners
        for key, (layer_key, attr) in owners.items():
            node = self.layers[layer_key].parameter(attr)
            node.name = key
        self._decayed = [k for k, (_, attr) in owners.items() if attr == "W"]
        self.training = True

    # ----------------------------------------------------------------- the book's interface
    @property
    def lastLayer(self) -> SoftmaxWithLoss:  # noqa: N802 - TwoLayerNet's name in the book
        """Alias of ``last_layer`` (the book's TwoLayerNet spells it this way)."""
        return self.last_layer

    def predict(self, x: Any, train_flg: bool = False) -> Any:
        """Scores (before softmax) for the batch x; a Node if x is a Node (the graph is recorded).

        `train_flg` switches Dropout and BatchNormalization to training behaviour.
        """
        for layer in self.layers.values():
            if layer.takes_train_flg:  # Dropout, BatchNormalization
                x = layer.forward(x, train_flg)
            else:
                x = layer.forward(x)
        return x

    def loss(self, x: Any, t: Any, train_flg: bool = False) -> Any:
        """Cross-entropy loss of the batch (plus weight decay ½·λ·ΣW², if λ > 0).

        A float for array input; a scalar Node for Node input (call ``.backward()`` on it).
        """
        y = self.predict(x, train_flg)
        loss = self.last_layer.forward(y, t)
        lam = self.weight_decay_lambda
        if lam:
            for key in self._decayed:
                if x.__class__ is Node:
                    W = self._node(key)
                    loss = loss + 0.5 * lam * autograd.sum(W * W)
                else:
                    loss = loss + 0.5 * lam * np.sum(self.params[key] ** 2)
        return loss

    def accuracy(self, x: np.ndarray, t: np.ndarray, batch_size: int | None = None) -> float:
        """Fraction of samples whose highest score is the label (t: indices or one-hot rows).

        With `batch_size`, predicts in chunks of that size (less memory for conv nets).
        """
        t = _class_indices(t)
        n = x.shape[0]
        step = n if not batch_size else batch_size
        correct = 0
        for i in range(0, n, max(step, 1)):
            y = self.predict(x[i:i + step], train_flg=False)
            correct += int(np.sum(np.argmax(y, axis=1) == t[i:i + step]))
        return correct / float(n)

    def numerical_gradient(self, x: np.ndarray, t: Any) -> dict[str, np.ndarray]:
        """Central-difference gradient of the loss for each entry of ``params`` (slow; for checks).

        Perturbs each array in place, as the book does, so the layers see each perturbation.
        """
        def loss_w(_: Any) -> float:
            return float(self.loss(x, t, train_flg=True))

        # the order of `gradient`, which is the book's (W1, b1, gamma1, beta1, W2, ...)
        return {key: autograd.numerical_gradient(loss_w, self.params[key]) for key in self._owners}

    def gradient(self, x: Any, t: Any) -> dict[str, np.ndarray]:
        """Gradient of the loss for every entry of ``params``, by backpropagation.

        The book's algorithm: forward through the layers (training mode), then ``backward``
        through them in reverse; afterwards each layer holds its ``dW``/``db`` (``dgamma``/
        ``dbeta``). One change: the first layer skips ``dx``, the gradient for the data batch,
        which nobody uses (a third of that layer's backward work).

        This is the fastest way here (see benchmarks/bench_nn.py); `gradient_by_engine` gives
        the same numbers through the graph, as ``loss.backward()`` in the PyTorch-style loop.
        A Node `x`, or ``autograd.detect_anomaly()`` being on, hands over to
        `gradient_by_engine`, so NaN/Inf are traced to the op that made them.
        """
        if x.__class__ is Node or autograd.is_anomaly_enabled():
            # anomaly mode watches recorded ops: run the same computation through the graph
            return self.gradient_by_engine(x, t)
        self.loss(x, t, train_flg=True)
        dout = self.last_layer.backward(1)
        layers = list(self.layers.values())
        for layer in reversed(layers[1:]):
            dout = layer.backward(dout)
        if isinstance(layers[0], (Affine, Convolution)):
            layers[0].backward(dout, need_dx=False)
        else:
            layers[0].backward(dout)
        grads = {}
        lam = self.weight_decay_lambda
        for key, (layer_key, attr) in self._owners.items():
            grads[key] = getattr(self.layers[layer_key], "d" + attr)
            if lam and attr == "W":
                grads[key] = grads[key] + lam * self.params[key]  # ∂(½·λ·ΣW²)/∂W = λ·W
        return grads

    def gradient_by_engine(self, x: Any, t: Any) -> dict[str, np.ndarray]:
        """The same gradients as `gradient`, computed by the autograd engine.

        The forward pass is recorded on Nodes (training mode), then
        ``loss.backward(retain_grad=False)`` fills each parameter Node's ``.grad``, which is
        returned by ``params`` key. (Any earlier ``.grad`` of the parameters is discarded.)
        """
        named = self._named_parameters()
        for _, node in named:
            node.grad = None
        loss = self.loss(x if x.__class__ is Node else as_node(x), t, train_flg=True)
        loss.backward(retain_grad=False)
        return {key: node.grad if node.grad is not None else np.zeros_like(node.value)
                for key, node in named}

    # ----------------------------------------------------------------- PyTorch-style interface
    def __call__(self, x: Any, train_flg: bool | None = None) -> Node:
        """Scores as a Node, recorded in the graph (arrays are wrapped as constant Nodes).

        `train_flg` defaults to the mode set by ``train()`` / ``eval()`` (training at first).
        """
        if x.__class__ is not Node:
            x = as_node(x)
        return self.predict(x, self.training if train_flg is None else train_flg)

    def train(self, mode: bool = True) -> Model:
        """Set training mode (Dropout drops, BatchNorm uses batch statistics); returns self."""
        self.training = bool(mode)
        return self

    def eval(self) -> Model:
        """Set evaluation mode (``train(False)``); returns self."""
        return self.train(False)

    def _node(self, key: str) -> Node:
        layer_key, attr = self._owners[key]
        return self.layers[layer_key].parameter(attr)

    def named_parameters(self) -> list[tuple[str, Node]]:
        """``[(params key, leaf Node), ...]``; each Node's value is the array ``params[key]``."""
        return list(self._named_parameters())

    def _named_parameters(self) -> tuple[tuple[str, Node], ...]:
        """`named_parameters`, kept between calls (every training step asks for it) and made
        again only after some layer's parameter Nodes have changed."""
        if self._named_at != Layer._leaf_changes:
            layers = self.layers
            self._named = tuple((key, layers[layer_key].parameter(attr))
                                for key, (layer_key, attr) in self._owners.items())
            self._named_at = Layer._leaf_changes  # after parameter(), which may make Nodes
        return self._named

    def parameters(self) -> list[Node]:
        """The parameters as leaf Nodes (give them to an optimizer: ``SGD(model.parameters())``)."""
        return [node for _, node in self._named_parameters()]

    def zero_grad(self) -> None:
        """Set every parameter Node's ``.grad`` to None before the next ``backward()``."""
        for _, node in self._named_parameters():
            node.grad = None

    def astype(self, dtype: Any) -> Model:
        """Convert every parameter (and BatchNorm's running statistics) to `dtype`; returns self.

        E.g. ``net.astype(np.float32)`` for float32 training. The new arrays replace the old ones
        in ``params`` and in the layers, and the parameter Nodes follow (same names).
        """
        for key, (layer_key, attr) in self._owners.items():
            self.params[key] = self.params[key].astype(dtype)
            setattr(self.layers[layer_key], attr, self.params[key])
        for layer in self.layers.values():
            if isinstance(layer, BatchNormalization) and layer.running_mean is not None:
                layer.running_mean = layer.running_mean.astype(dtype)
                layer.running_var = layer.running_var.astype(dtype)
        return self

    # ----------------------------------------------------------------- saving
    def save_params(self, file_name: str | os.PathLike = "params.npz") -> Path:
        """Save ``params`` as a NumPy ``.npz`` archive (never pickle); returns the path.

        The book pickles; a pickle runs code when loaded, so a file shared by someone else
        could do anything. An ``.npz`` holds only arrays. The file is written with
        :func:`autograd.files.atomic_write` (unique temporary file, fsync, rename), so an
        interrupted save never leaves half a file and concurrent saves leave one valid file.
        """
        return serialization.save_params(file_name, self.params)

    def load_params(self, file_name: str | os.PathLike = "params.npz") -> None:
        """Load parameters saved by `save_params` (or the book's ``params.pkl``) in place.

        The whole file is checked first (every array header: the same keys, shapes and a float
        dtype, before any data is read; the book's pickle through a restricted unpickler that
        runs no code); only then are the values copied, so a bad file leaves the model exactly
        as it was and raises :class:`nn.serialization.ParamsFileError` naming the file. Layers
        and parameter Nodes keep sharing the same arrays.
        """
        loaded = serialization.load_params(file_name, self.params)
        for key, val in loaded.items():
            self.params[key][...] = val


def _class_indices(t: Any) -> np.ndarray:
    """Labels as a vector of class indices: from indices (N,), one-hot rows or a column (N, 1)."""
    t = np.asarray(t)
    if t.ndim == 2 and t.shape[1] == 1:  # a column of indices, as ch07/gradient_check.py builds
        return t[:, 0]
    return t if t.ndim == 1 else np.argmax(t, axis=1)


def _init_scale(weight_init_std: float | str, fan_in: int) -> float:
    """The book's choice: 'relu'/'he' → √(2/n), 'sigmoid'/'xavier' → √(1/n), else the number."""
    name = str(weight_init_std).lower()
    if name in ("relu", "he"):
        return float(np.sqrt(2.0 / fan_in))
    if name in ("sigmoid", "xavier"):
        return float(np.sqrt(1.0 / fan_in))
    try:
        return float(weight_init_std)
    except ValueError:
        raise ValueError(f"weight_init_std must be a number, 'relu'/'he' or 'sigmoid'/'xavier', "
                         f"got {weight_init_std!r}") from None


class TwoLayerNet(Model):
    """Chapter 5's two-layer network: Affine1 → Relu1 → Affine2 → SoftmaxWithLoss.

    ``params``: 'W1' (input, hidden), 'b1', 'W2' (hidden, output), 'b2'; weights drawn with
    ``weight_init_std * np.random.randn`` in the book's order (seed ``np.random`` to reproduce).
    """

    def __init__(self, input_size: int, hidden_size: int, output_size: int,
                 weight_init_std: float = 0.01) -> None:
        self.params = {}
        self.params["W1"] = weight_init_std * np.random.randn(input_size, hidden_size)
        self.params["b1"] = np.zeros(hidden_size)
        self.params["W2"] = weight_init_std * np.random.randn(hidden_size, output_size)
        self.params["b2"] = np.zeros(output_size)

        self.layers = OrderedDict()
        self.layers["Affine1"] = Affine(self.params["W1"], self.params["b1"])
        self.layers["Relu1"] = Relu()
        self.layers["Affine2"] = Affine(self.params["W2"], self.params["b2"])
        self.last_layer = SoftmaxWithLoss()
        self._bind({"W1": ("Affine1", "W"), "b1": ("Affine1", "b"),
                    "W2": ("Affine2", "W"), "b2": ("Affine2", "b")})


class MultiLayerNet(Model):
    """Chapter 6's fully connected network of any depth (the book's MultiLayerNetExtend).

    Per hidden layer: Affine → [BatchNorm] → activation → [Dropout]; then a last Affine and
    SoftmaxWithLoss. `weight_init_std` is a number or 'relu'/'he' (√(2/n), He) or
    'sigmoid'/'xavier' (√(1/n), Xavier); `weight_decay_lambda` adds ½·λ·ΣW² to the loss.
    ``loss``/``predict`` take ``train_flg`` (default False, as in the book).
    """

    def __init__(self, input_size: int, hidden_size_list: Sequence[int], output_size: int,
                 activation: str = "relu", weight_init_std: float | str = "relu",
                 weight_decay_lambda: float = 0, use_dropout: bool = False,
                 dropout_ration: float = 0.5, use_batchnorm: bool = False) -> None:
        activations = {"sigmoid": Sigmoid, "relu": Relu}
        if activation not in activations:
            raise ValueError(f"MultiLayerNet: activation must be 'relu' or 'sigmoid', "
                             f"got {activation!r}")
        self.input_size = input_size
        self.output_size = output_size
        self.hidden_size_list = list(hidden_size_list)
        self.hidden_layer_num = len(self.hidden_size_list)
        self.use_dropout = use_dropout
        self.weight_decay_lambda = weight_decay_lambda
        self.use_batchnorm = use_batchnorm

        self.params = {}
        sizes = [input_size] + self.hidden_size_list + [output_size]
        for idx in range(1, len(sizes)):
            scale = _init_scale(weight_init_std, sizes[idx - 1])
            self.params[f"W{idx}"] = scale * np.random.randn(sizes[idx - 1], sizes[idx])
            self.params[f"b{idx}"] = np.zeros(sizes[idx])

        self.layers = OrderedDict()
        owners: dict[str, tuple[str, str]] = {}
        for idx in range(1, self.hidden_layer_num + 1):
            self.layers[f"Affine{idx}"] = Affine(self.params[f"W{idx}"], self.params[f"b{idx}"])
            owners[f"W{idx}"] = (f"Affine{idx}", "W")
            owners[f"b{idx}"] = (f"Affine{idx}", "b")
            if use_batchnorm:
                self.params[f"gamma{idx}"] = np.ones(self.hidden_size_list[idx - 1])
                self.params[f"beta{idx}"] = np.zeros(self.hidden_size_list[idx - 1])
                self.layers[f"BatchNorm{idx}"] = BatchNormalization(
                    self.params[f"gamma{idx}"], self.params[f"beta{idx}"])
                owners[f"gamma{idx}"] = (f"BatchNorm{idx}", "gamma")
                owners[f"beta{idx}"] = (f"BatchNorm{idx}", "beta")
            self.layers[f"Activation_function{idx}"] = activations[activation]()
            if use_dropout:
                self.layers[f"Dropout{idx}"] = Dropout(dropout_ration)
        idx = self.hidden_layer_num + 1
        self.layers[f"Affine{idx}"] = Affine(self.params[f"W{idx}"], self.params[f"b{idx}"])
        owners[f"W{idx}"] = (f"Affine{idx}", "W")
        owners[f"b{idx}"] = (f"Affine{idx}", "b")
        self.last_layer = SoftmaxWithLoss()
        self._bind(owners)


class MultiLayerNetExtend(MultiLayerNet):
    """The book's name for chapter 6's extended network (``common/multi_layer_net_extend.py``).

    The same class as `MultiLayerNet`, whose options already include the extension's weight
    decay, Dropout (`use_dropout`, `dropout_ration`) and Batch Normalization (`use_batchnorm`);
    the book's two classes give identical numbers for the same arguments, so one does both.
    """


class SimpleConvNet(Model):
    """Chapter 7's CNN: Conv1 → Relu1 → Pool1 (2×2) → Affine1 → Relu2 → Affine2 → SoftmaxWithLoss.

    ``params``: 'W1' (FN, C, FH, FW), 'b1' (filters); 'W2', 'b2' (pooled features → hidden);
    'W3', 'b3' (hidden → output). ``accuracy`` predicts in batches of 100 as the book does.
    """

    def __init__(self, input_dim: tuple[int, int, int] = (1, 28, 28),
                 conv_param: dict[str, int] | None = None, hidden_size: int = 100,
                 output_size: int = 10, weight_init_std: float = 0.01) -> None:
        conv_param = {"filter_num": 30, "filter_size": 5, "pad": 0, "stride": 1,
                      **(conv_param or {})}
        filter_num = conv_param["filter_num"]
        filter_size = conv_param["filter_size"]
        filter_pad = conv_param["pad"]
        filter_stride = conv_param["stride"]
        conv_h = conv_output_size(input_dim[1], filter_size, filter_stride, filter_pad)
        conv_w = conv_output_size(input_dim[2], filter_size, filter_stride, filter_pad)
        if conv_h < 2 or conv_w < 2:
            raise ValueError(f"SimpleConvNet: a {filter_size}x{filter_size} filter on a "
                             f"{input_dim[1]}x{input_dim[2]} input leaves {conv_h}x{conv_w}, "
                             f"too small for 2x2 pooling")
        pool_output_size = filter_num * (conv_h // 2) * (conv_w // 2)

        self.params = {}
        self.params["W1"] = weight_init_std * np.random.randn(filter_num, input_dim[0],
                                                              filter_size, filter_size)
        self.params["b1"] = np.zeros(filter_num)
        self.params["W2"] = weight_init_std * np.random.randn(pool_output_size, hidden_size)
        self.params["b2"] = np.zeros(hidden_size)
        self.params["W3"] = weight_init_std * np.random.randn(hidden_size, output_size)
        self.params["b3"] = np.zeros(output_size)

        self.layers = OrderedDict()
        self.layers["Conv1"] = Convolution(self.params["W1"], self.params["b1"],
                                           conv_param["stride"], conv_param["pad"])
        self.layers["Relu1"] = Relu()
        self.layers["Pool1"] = Pooling(pool_h=2, pool_w=2, stride=2)
        self.layers["Affine1"] = Affine(self.params["W2"], self.params["b2"])
        self.layers["Relu2"] = Relu()
        self.layers["Affine2"] = Affine(self.params["W3"], self.params["b3"])
        self.last_layer = SoftmaxWithLoss()
        self._bind({"W1": ("Conv1", "W"), "b1": ("Conv1", "b"),
                    "W2": ("Affine1", "W"), "b2": ("Affine1", "b"),
                    "W3": ("Affine2", "W"), "b3": ("Affine2", "b")})

    def accuracy(self, x: np.ndarray, t: np.ndarray, batch_size: int | None = 100) -> float:
        """As `Model.accuracy`, in batches of 100 by default (the book's SimpleConvNet)."""
        return super().accuracy(x, t, batch_size)
