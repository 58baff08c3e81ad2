"""graphgrad.exercises.check: the verdicts and the hints of the notebooks' exercises."""

from __future__ import annotations

import numpy as np
import pytest

from autograd import Node
from graphgrad import exercises
from graphgrad.demo import _apple_orange_graph
from graphgrad.exercises import check
from viz import quiz


@pytest.fixture(autouse=True)
def _fresh_attempts():
    exercises.reset()
    yield
    exercises.reset()


def test_the_books_numbers_are_right():
    price, _ = _apple_orange_graph()
    for name, value in {"apple": 2.2, "apple_num": 110, "orange": 3.3, "orange_num": 165,
                        "tax": 650}.items():
        verdict = check(value, price, name)
        assert verdict and verdict.right, (name, verdict)
    assert repr(check(2.2, price, "apple")) == "Right: ∂price/∂apple = 2.2."
    assert price.grad is None  # checking never runs backward on the learner's graph


def test_hints_get_more_concrete_with_each_wrong_answer_as_in_the_quiz():
    price, _ = _apple_orange_graph()
    asked = next(q for q in quiz.questions(price) if q.who == "orange")
    first, second, third = (check(3, price, "orange") for _ in range(3))
    assert not first.right
    assert first.message == "Not quite (3).\n" + asked.hint
    assert second.message == "Not quite (3).\n" + asked.hint_numbers
    assert third.message.endswith("The solution is in the cell further down.")
    exercises.reset()
    assert check(3, price, "orange").message.endswith(asked.hint)


def test_a_node_on_two_paths_collects_both_gradients():
    x = Node(3.0, name="x")
    y = x * x + x
    y.name = "y"
    assert check(7, y, "x")
    wrong = check(6, y, "x", lang="zh")
    assert "x 用在 3 条路径上" in wrong.message  # x × x uses x twice, + once


def test_arrays_whole_or_one_element():
    W = Node(np.array([[1.0, 2.0], [3.0, 4.0]]), name="W")
    loss = (W * W).sum()
    loss.name = "loss"
    assert check([[2, 4], [6, 8]], loss, "W")
    assert check(6, loss, W, element=(1, 0))
    counted = check([1, 2, 3], loss, "W")
    assert not counted and "Expected 4 numbers for W (shape (2, 2)), got 3" in counted.message


def test_unanswered_and_bad_requests():
    price, _ = _apple_orange_graph()
    assert check(None, price, "apple").message.startswith("Write your prediction for "
                                                         "∂price/∂apple first")
    with pytest.raises(ValueError, match="no node named 'pear'.*apple, apple_num"):
        check(1, price, "pear")
    constant = Node(2.0, name="c", requires_grad=False)
    out = constant * Node(3.0, name="a")
    with pytest.raises(ValueError, match="no gradient flows from output back to c"):
        check(1, out, "c")
