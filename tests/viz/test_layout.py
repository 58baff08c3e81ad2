"""viz/layout.py: the drawing plan every picture starts from (nodes, edges, names, folding)."""

from __future__ import annotations

import json

import numpy as np

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


def test_the_words_of_the_picture_follow_lang():
    """lang="zh": the output marker, the folded box, the note, the scope boxes and the
    tooltips in Chinese; names stay the user's; English is the catalogue's words too."""
    import autograd

    with autograd.scope("Affine1"):
        w = Node(np.ones((3, 2)), name="W")
        h = Node(np.arange(6.0).reshape(2, 3), name="x", requires_grad=False) @ w
    y = h.tanh()
    for _ in range(6):
        y = y * Node(0.5, name="k")
    loss = y.sum()
    zh = viz.build_layout(loss, lang="zh", collapse_scopes=True, max_nodes=8)
    en = viz.build_layout(loss, collapse_scopes=True, max_nodes=8)
    by_kind = {n.kind: n for n in zh.nodes}
    assert by_kind["output"].label == "输出" and by_kind["output"].tooltip == "计算图的输出"
    assert by_kind["folded"].label == f"… 折叠了 {zh.folded_nodes} 个节点"
    assert zh.note.startswith(f"注意：共 {zh.total_nodes} 个节点")
    assert en.note.startswith(f"Note: {en.total_nodes} nodes; showing the ")
    k = next(n for n in zh.nodes if n.kind == "param")
    assert k.label == "k" and k.tooltip == "k：参数（requires_grad），标量"
    assert [n.label for n in en.nodes] == [
        n.label if n.kind not in ("output", "folded") else
        {"output": "output", "folded": f"… {en.folded_nodes} nodes folded"}[n.kind]
        for n in zh.nodes]
    scope = next(n for n in viz.build_layout(h.sum(), lang="zh", collapse_scopes=True).nodes
                 if n.kind == "scope")
    assert scope.label == "Affine1" and scope.detail == "1 个运算 · W (3, 2)"
    assert scope.tooltip == "作用域 Affine1：合并了 3 个节点"


def test_words_in_gives_the_words_a_layout_in_that_language_has():
    """The explorer's second language: words_in rewords the output marker, the folded box,
    the scope boxes and the note as layout_of in that language would, without a new layout."""
    import dataclasses

    import autograd
    from viz.layout import graph_order, layout_of, words_in

    y = Node(0.5, name="x", requires_grad=False)
    for _ in range(8):
        y = (y * Node(0.9)).tanh()
    with autograd.scope("Loss"):
        root = (y * Node(2.0, name="c")).sum()
    order = graph_order(root)

    def words(layout):
        return [(n.id, n.kind, n.label, n.detail, n.tooltip) for n in layout.nodes
                if n.kind in ("output", "folded", "scope")], layout.note

    for lang, other in (("en", "zh"), ("zh", "en")):
        opts = viz.Options(collapse_scopes=True, max_nodes=6, lang=lang)
        there = dataclasses.replace(opts, lang=other)
        here = layout_of(root, opts, order)
        moved = words_in(here, root, order, there)
        assert words(moved) == words(layout_of(root, there))
        assert {kind for _, kind, *_ in words(moved)[0]} == {"output", "folded", "scope"}
        assert words(moved) != words(here) and moved.edges == here.edges
