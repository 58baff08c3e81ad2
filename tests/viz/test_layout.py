"""viz/layout.py: the drawing plan every picture starts from (nodes, edges, names, folding)."""

from __future__ import annotations

import json

import viz
from autograd import Node


def test_params_dict_names_nodes():
    a, b = Node(1.0), Node(2.0)
    y = a * b
    labels = [n.label for n in viz.build_layout(y, params={"W": a, "bias": b}).nodes]
    assert "W" in labels and "bias" in labels


def test_named_root_names_the_output_marker(apple):
    apple.price.name = "price"
    out = next(n for n in viz.build_layout(apple.root).nodes if n.kind == "output")
    assert out.label == "price"


def test_leaf_root():
    x = Node(5.0, name="x")
    layout = viz.build_layout(x)
    assert [n.kind for n in layout.nodes] == ["param", "output"]
    assert [e.value for e in layout.edges] == ["5"]


def test_layout_to_dict_is_json_ready(apple_orange):
    apple_orange.root.backward()
    data = viz.build_layout(apple_orange.root).to_dict()
    text = json.dumps(data)
    assert (
        '"715"' in text and data["units"][str(apple_orange.tax.id)] == f"node{apple_orange.tax.id}"
    )
