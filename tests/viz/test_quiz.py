"""The quiz's questions and hints (viz.quiz), on the textbook's graphs and on arrays."""

from __future__ import annotations

import numpy as np
import pytest

import autograd
from autograd import Node
from graphgrad.demo import _apple_orange_graph
from nn.layers import Affine, SoftmaxWithLoss
from viz import quiz


def test_apple_orange_questions_are_the_books_gradients_in_step_order():
    price, _ = _apple_orange_graph()
    asked = [(q.step, q.who, round(q.expected, 9)) for q in quiz.questions(price)]
    assert asked == [
        (1, "output of +", 1.1), (1, "tax", 650.0),
        (2, "output of ×", 1.1), (2, "output of ×", 1.1),
        (3, "orange", 3.3), (3, "orange_num", 165.0),
        (4, "apple", 2.2), (4, "apple_num", 110.0),
    ]


def test_hints_give_the_formula_then_the_numbers_but_not_the_result():
    price, _ = _apple_orange_graph()
    apple = next(q for q in quiz.questions(price) if q.who == "apple")
    assert apple.hint == ("Hint: × node: the gradient to apple = upstream gradient × "
                          "∂y/∂apple, and ∂y/∂apple = apple_num.")
    assert apple.hint_numbers == "Hint with the numbers: 1.1 × 2"
    zh = next(q for q in quiz.questions(price, lang="zh") if q.who == "apple")
    assert zh.hint.startswith("提示：× 节点：传给 apple 的梯度 = 上游传来的导数 × 局部导数")
    assert zh.hint_numbers == "带数字的提示：1.1 × 2"
    with pytest.raises(ValueError, match="lang='fr': choose one of 'en', 'zh'"):
        quiz.questions(price, lang="fr")


def test_elementwise_and_constant_exponent_hints():
    x, y = Node(1.5, name="x"), Node(0.5, name="y")
    z = (x + y) ** 2
    square, = (q for q in quiz.questions(z) if q.step == 1)
    assert square.expected == 4.0
    assert square.hint.endswith("∂y/∂(output of +) = 2·(output of +)^(2−1).")
    assert square.hint_numbers == "Hint with the numbers: 1 × 2·2^(2−1)"
    s = Node(np.array([1.0, -2.0]), name="s")
    relu, = quiz.questions(autograd.relu(s), np.array([3.0, 4.0]))
    np.testing.assert_array_equal(relu.expected, [3.0, 0.0])
    assert "(1 if s > 0 else 0)" in relu.hint
    assert relu.hint_numbers.endswith("G ⊙ (1 if s > 0 else 0), where G = [3, 4], s = [1, -2]")


def test_array_layers_ask_a_small_matrix_or_one_marked_element():
    X = Node(np.array([[1.0, 2.0]]), name="X")
    W = Node(np.arange(6.0).reshape(2, 3) / 10, name="W")
    b = Node(np.zeros(3), name="b")
    loss = SoftmaxWithLoss()(Affine(W, b)(X), np.array([1]))
    by_who = {q.who: q for q in quiz.questions(loss)}
    w = by_who["W"]
    assert w.element is None and w.shape == (2, 3)
    assert w.hint.endswith("the gradient to W = Xᵀ · G (G: the gradient arriving from upstream).")
    scores = loss.inputs[0]
    y = np.exp(scores.value) / np.exp(scores.value).sum()
    np.testing.assert_allclose(by_who["output of Affine"].expected, y - [0, 1, 0])
    assert "t = (1, 3) [0, 1, 0], N = 1" in by_who["output of Affine"].hint_numbers
    # 2 x 4 = 8 numbers: too many to type, so the largest element is asked
    big = Node(np.ones((2, 4)), name="big")
    weights = np.arange(8.0).reshape(2, 4) - 3
    q = next(q for q in quiz.questions((big * weights).sum()) if q.who == "big")
    assert q.element == (1, 3) and q.expected == 4.0 and q.shape == ()
    np.testing.assert_array_equal(q.gradient, weights)


@pytest.mark.parametrize(("typed", "right"), [
    ("2.2", True), ("2.21", True), ("2.22", False), ("−2.2", False), ("", False),
    ("2.2 3", False), ("nan", False),
])
def test_typed_answers_are_checked_with_a_relative_tolerance(typed, right):
    assert quiz.is_right(typed, 2.2) is right


def test_arrays_are_typed_row_by_row_in_any_bracket_style():
    assert quiz.parse_answer("[[1, -2.5], [3e1 −4]]") == [1.0, -2.5, 30.0, -4.0]
    assert quiz.is_right("1 0; 0 1", np.eye(2))
    assert not quiz.is_right("1 0 0", np.eye(2))
    assert quiz.is_right([0.0, 1e-9], [0.0, 0.0])
