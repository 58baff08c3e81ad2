"""Shared graphs and DOT helpers for the viz tests (fixtures, since tests import no siblings)."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest

import autograd
from autograd import Node


def _apple() -> SimpleNamespace:
    """Textbook fig. 5-3: 2 apples at 100, 10% tax -> 220."""
    apple, apple_num = Node(100, name="apple"), Node(2, name="apple_num")
    tax = Node(1.1, name="tax")
    cost = apple * apple_num
    price = cost * tax
    return SimpleNamespace(
        root=price, apple=apple, apple_num=apple_num, tax=tax, cost=cost, price=price
    )


def _apple_orange() -> SimpleNamespace:
    """Textbook fig. 5-17: 2 apples at 100, 3 oranges at 150, 10% tax -> 715."""
    apple, apple_num = Node(100, name="apple"), Node(2, name="apple_num")
    orange, orange_num = Node(150, name="orange"), Node(3, name="orange_num")
    tax = Node(1.1, name="tax")
    apple_cost = apple * apple_num
    orange_cost = orange * orange_num
    total = apple_cost + orange_cost
    price = total * tax
    return SimpleNamespace(
        root=price,
        apple=apple,
        apple_num=apple_num,
        orange=orange,
        orange_num=orange_num,
        tax=tax,
        apple_cost=apple_cost,
        orange_cost=orange_cost,
        total=total,
        price=price,
    )


def _two_scopes() -> SimpleNamespace:
    """Two layers (scopes) sharing the weight w: collapsed, their arrows merge."""
    x = Node(2.0, name="x", requires_grad=False)
    w = Node(3.0, name="w")
    with autograd.scope("Layer1"):
        h = (x * w).tanh()
    with autograd.scope("Layer2"):
        y = h * w + h
    return SimpleNamespace(root=y, x=x, w=w, h=h)


def _two_layer() -> SimpleNamespace:
    """Section 5.7's TwoLayerNet (4 inputs, 3 hidden, 2 classes) on a batch of 2, seed 0."""
    import numpy as np

    from nn.models import TwoLayerNet

    np.random.seed(0)
    net = TwoLayerNet(input_size=4, hidden_size=3, output_size=2)
    x = Node(np.random.rand(2, 4), name="x", requires_grad=False)
    loss = net.loss(x, np.array([0, 1]))
    return SimpleNamespace(root=loss, net=net, x=x)


@pytest.fixture
def apple() -> SimpleNamespace:
    return _apple()


@pytest.fixture
def apple_orange() -> SimpleNamespace:
    return _apple_orange()


@pytest.fixture
def make_graph():
    """Factory: ``make_graph("apple")`` builds a fresh graph (for goldens and determinism)."""
    builders = {"apple": _apple, "apple_orange": _apple_orange, "two_scopes": _two_scopes,
                "two_layer": _two_layer}
    return lambda name: builders[name]()


_ID = re.compile(r"\b(node|edge)(\d+)(?:_(\d+))?")


def _normalize(dot: str) -> str:
    """Renumber node ids 0, 1, 2, ... in order of size.

    ``Node.id`` is a process-wide counter, so the same graph gets different ids depending on
    which tests ran before; relative order is what the DOT writer guarantees.
    """
    ids = set()
    for m in _ID.finditer(dot):
        ids.add(int(m.group(2)))
        if m.group(3):
            ids.add(int(m.group(3)))
    rank = {old: new for new, old in enumerate(sorted(ids))}

    def sub(m: re.Match) -> str:
        out = f"{m.group(1)}{rank[int(m.group(2))]}"
        if m.group(3):
            out += f"_{rank[int(m.group(3))]}"
        return out

    return _ID.sub(sub, dot)


@pytest.fixture
def normalize():
    return _normalize


_EDGE = re.compile(r'\[id="(edge[^"]+)"(?: label=<(<table.*?</table>)>)?')
_ROW = re.compile(r'<font color="([^"]+)"[^>]*>(.*?)</font>')


def _edge_rows(dot: str) -> dict[str, list[tuple[str, str]]]:
    """``{edge id: [(color, text), ...]}`` for every edge statement of a DOT text."""
    out = {}
    for line in dot.splitlines():
        if "->" not in line:
            continue
        m = _EDGE.search(line)
        assert m, line
        out[m.group(1)] = _ROW.findall(m.group(2) or "")
    return out


@pytest.fixture
def edge_rows():
    return _edge_rows
