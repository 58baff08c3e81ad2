"""graphgrad's neural-network package: the textbook's layers, models and optimizers.

Every layer works both as in the book (NumPy arrays, ``forward``/``backward`` by hand) and as an
op of the `autograd` graph (call it on Nodes, then ``loss.backward()``). See `nn.layers`.

``nn.load_mnist`` (from `nn.datasets`) is imported on first use, so ``import nn`` stays light.
"""

from __future__ import annotations

import importlib
from typing import Any

from nn.layers import AddLayer, Layer, MulLayer

__all__ = ["AddLayer", "Layer", "MulLayer", "load_mnist"]

_LAZY = {"load_mnist": "nn.datasets", "datasets": "nn.datasets"}


def __getattr__(name: str) -> Any:
    # PEP 562: load the dataset module only when someone asks for it.
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'nn' has no attribute {name!r}")
    mod = importlib.import_module(module)
    return mod if name == "datasets" else getattr(mod, name)
