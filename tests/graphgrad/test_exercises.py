"""graphgrad.exercises.check: the verdicts and the hints of the notebooks' exercises."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

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


# ---------------------------------------------------------------- the notebooks' exercises
ROOT = Path(__file__).resolve().parents[2] / "notebooks"
#: The worked answers of each notebook's "predict, then check" cells (its Solutions section).
ANSWERS: dict[str, dict[str, Any]] = {
    "01_computational_graphs": {"my_tax": 650},
    "02_backward_chain_rule": {"my_apple": 3.15, "my_tax": 360, "my_s": 9},
    "03_activation_layers": {"my_relu": [0.1, 0, 0.3, 0], "my_sigmoid": 1},
    "04_affine_softmax": {"my_dB": [1, 1, 3], "my_dW02": 3, "my_ds": [0.3, -0.8, 0.5]},
}
PREDICTION = re.compile(r"^(my_\w+) = None  # ✎", re.MULTILINE)
EXERCISE_NOTEBOOKS = sorted(p for stem in ANSWERS for p in ROOT.glob(f"**/{stem}.ipynb"))


def _run_cell(source: str, namespace: dict[str, Any]) -> Any:
    """Run a code cell as Jupyter does: the value of a final expression is returned."""
    tree = ast.parse(source)
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    exec(compile(tree, "<cell>", "exec"), namespace)  # noqa: S102 - our own notebooks
    if last is None:
        return None
    return eval(compile(ast.Expression(last.value), "<cell>", "eval"), namespace)  # noqa: S307


@pytest.mark.parametrize("path", EXERCISE_NOTEBOOKS,
                         ids=[str(p.relative_to(ROOT)) for p in EXERCISE_NOTEBOOKS])
def test_notebook_exercises_with_the_answers_filled_in(path, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    monkeypatch.chdir(ROOT)
    answers = ANSWERS[path.stem]
    hint = "提示" if "zh" in path.parts else "Hint"
    namespace: dict[str, Any] = {"display": lambda *args, **kwargs: None}
    asked: list[str] = []
    solutions = 0
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type != "code":
            continue
        found = PREDICTION.search(cell.source)
        if found is None:
            result = _run_cell(cell.source, namespace)
            verdicts = result if isinstance(result, tuple) else (result,)
            if verdicts and all(isinstance(v, exercises.Checked) for v in verdicts):
                assert all(verdicts), f"{path.name}: a solution is not right: {verdicts}"
                solutions += 1
            continue
        name = found.group(1)
        asked.append(name)
        right = answers[name]
        # as the learner meets it: still None, then wrong twice, then right
        assert not _run_cell(cell.source, namespace)
        wrong = (np.asarray(right, dtype=float) * 2 + 1).tolist()
        for tries in (1, 2):
            verdict = _run_cell(cell.source.replace(f"{name} = None", f"{name} = {wrong}"),
                                namespace)
            assert not verdict and hint in verdict.message, (name, tries, verdict)
        verdict = _run_cell(cell.source.replace(f"{name} = None", f"{name} = {right!r}"),
                            namespace)
        assert verdict.right, f"{path.name}: {name} = {right} was not accepted: {verdict}"
    assert asked == list(answers), f"{path.name} asks {asked}"
    assert solutions >= 1, f"{path.name} has no solution cell"
