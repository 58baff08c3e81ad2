"""viz.text: names, step captions with the numbers filled in, docstrings as plain text."""

from __future__ import annotations

import numpy as np

import autograd
from autograd import Node
from autograd.ops import Add, Mul
from nn.layers import AffineOp, BatchNormOp, ConvolutionOp
from viz.text import Names, backward_lines, derivative_parts, local_derivatives, plain_doc


def names_of(root, params=None):
    order = sorted(autograd.topological_order(root), key=lambda n: n.id)
    return order, Names(order, params or {}, 4)


def test_derivative_parts_follow_the_inputs():
    assert derivative_parts(Mul, 2) == ["∂y/∂a = b", "∂y/∂b = a"]
    assert derivative_parts(Mul, 3) is None  # does not fit: not split
    for op, first in ((AffineOp, "∂L/∂X"), (ConvolutionOp, "∂L/∂X"), (BatchNormOp, "∂L/∂x")):
        parts = derivative_parts(op, 3)
        assert parts is not None and parts[0].startswith(first), op


def test_local_derivatives_with_numbers(apple):
    step = autograd.backward_trace(apple.root)[-1]  # apple × apple_num
    _, names = names_of(apple.root)
    assert local_derivatives(step, names) == ["∂y/∂a = b = 2", "∂y/∂b = a = 100"]
    add = autograd.backward_trace(Node(1.0) + Node(2.0))[0]
    assert local_derivatives(add, names_of(add.node)[1]) == ["∂y/∂a = 1", "∂y/∂b = 1"]
    assert derivative_parts(Add, 2) == ["∂y/∂a = 1", "∂y/∂b = 1"]


def test_array_derivatives_show_shapes_and_statistics():
    W = Node(np.ones((3, 2)), name="W")
    y = (Node(np.ones((4, 3)), requires_grad=False) @ W).sum()
    step = autograd.backward_trace(y)[-1]  # the matmul
    lines = local_derivatives(step, names_of(y)[1])
    assert lines[0] == "∂L/∂A = G @ Bᵀ"  # no gradient for the data
    assert lines[1] == "∂L/∂B = Aᵀ @ G: (3, 2) [4, 4, 4, 4, 4, 4]"


def test_plain_doc_strips_markup():
    assert plain_doc("times the *other* input") == "times the other input"
    assert plain_doc("a layer, ``Y = X · W + b``.") == "a layer, Y = X · W + b."
    assert plain_doc("see :func:`viz.render` and `x`, **bold**") == "see viz.render and x, bold"
    assert plain_doc("a * b * c and 2*3") == "a * b * c and 2*3"  # arithmetic stays


def test_layer_and_expression_names():
    with autograd.scope("Affine1"):
        h = Node(np.ones((2, 2)), name="x", requires_grad=False) @ Node(np.ones((2, 2)), name="W")
    y = h.sum()
    order, names = names_of(y)
    assert names[h] == "Affine1" and names[y] == "Σ(Affine1)"


def test_backward_lines_without_words_add_up_the_same(apple_orange):
    """Steps that are not shown (a big graph's folded part) only add up their gradients."""
    root = apple_orange.root
    shared = root * root  # the output used twice: contributions add up
    trace = autograd.backward_trace(shared)
    names = Names(autograd.topological_order(shared), {}, 4)
    with_words: dict[int, object] = {}
    without: dict[int, object] = {}
    for k, step in enumerate(trace, start=1):
        lines, sent = backward_lines(step, k, len(trace), names, with_words)
        bare, bare_sent = backward_lines(step, k, len(trace), names, without, words=False)
        assert lines and bare == []
        assert [(slot, x, before is None) for slot, x, _, before, _ in sent] == [
            (slot, x, before is None) for slot, x, _, before, _ in bare_sent]
    assert with_words.keys() == without.keys()
    assert all(np.allclose(with_words[i], without[i]) for i in with_words)
    assert np.isclose(without[apple_orange.apple.id], 2 * 715 * 2.2)  # d(price²)/d apple


def test_names_in_another_language_are_those_made_in_it():
    """Names.in_lang reuses the descriptions: the same names as Names made in that language,
    "output of tanh #2" and all."""
    y = Node(0.5, name="x", requires_grad=False)
    for i in range(3):
        y = (y * Node(0.9, name=f"w{i}") + Node(0.1, name=f"b{i}")).tanh()
    order, names = names_of(y)
    made = Names(order, {}, 4, "zh")
    moved = names.in_lang("zh")
    assert [moved[n] for n in order] == [made[n] for n in order]
    assert names.in_lang("en") is names and moved.lang == "zh"
    assert names[y] != moved[y] and names[y].endswith("#3")
