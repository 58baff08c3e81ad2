"""graphgrad's neural-network package: the textbook's layers, models and optimizers.

Every layer works both as in the book (NumPy arrays, ``forward``/``backward`` by hand) and as an
op of the `autograd` graph (call it on Nodes, then ``loss.backward()``); see `nn.layers`.
Models (`nn.models`) keep the book's ``params``/``layers``/``gradient`` interface and add
``parameters()``/``zero_grad()``; optimizers (`nn.optimizers`) take either the book's
``update(params, grads)`` or PyTorch's ``SGD(model.parameters(), lr=...).step()``.

``nn.load_mnist`` (from `nn.datasets`) is imported on first use, so ``import nn`` stays light.
"""

from __future__ import annotations

import importlib
from typing import Any

from nn.layers import (
    AddLayer,
    Affine,
    AffineOp,
    BatchNormalization,
    BatchNormOp,
    Convolution,
    ConvolutionOp,
    Dropout,
    DropoutOp,
    Layer,
    MulLayer,
    Parameter,
    Pooling,
    PoolingOp,
    Relu,
    Sigmoid,
    SoftmaxWithLoss,
)
from nn.models import Model, MultiLayerNet, MultiLayerNetExtend, SimpleConvNet, TwoLayerNet
from nn.optimizers import SGD, AdaGrad, Adam, Momentum, Nesterov, Optimizer, RMSprop
from nn.utils import col2im, conv_output_size, im2col, shuffle_dataset, smooth_curve

__all__ = [
    "SGD", "AdaGrad", "Adam", "AddLayer", "Affine", "AffineOp", "BatchNormOp",
    "BatchNormalization", "Convolution", "ConvolutionOp", "Dropout", "DropoutOp", "Layer",
    "Model", "Momentum", "MulLayer", "MultiLayerNet", "MultiLayerNetExtend", "Nesterov",
    "Optimizer", "Parameter", "Pooling", "PoolingOp", "RMSprop", "Relu", "Sigmoid",
    "SimpleConvNet", "SoftmaxWithLoss", "TwoLayerNet",
    "col2im", "conv_output_size", "im2col", "load_mnist", "shuffle_dataset", "smooth_curve",
]

_LAZY = {"load_mnist": "nn.datasets", "datasets": "nn.datasets"}


def __getattr__(name: str) -> Any:
    # PEP 562: load the dataset module only when someone asks for it.
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'nn' has no attribute {name!r}")
    mod = importlib.import_module(module)
    return mod if name == "datasets" else getattr(mod, name)
