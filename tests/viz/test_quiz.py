"""The quiz's questions and hints (viz.quiz), on the textbook's graphs and on arrays."""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re

import numpy as np
import pytest

import autograd
import viz
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
    assert apple.hint == ("Hint: × node: the gradient sent to apple = upstream gradient × "
                          "local derivative, and here the local derivative is apple_num.")
    assert apple.hint_numbers == "Hint with the numbers: 1.1 × 2"
    zh = next(q for q in quiz.questions(price, lang="zh") if q.who == "apple")
    assert zh.hint == ("提示：× 节点：传给 apple 的梯度 = 上游传来的导数 × 局部导数，"
                       "这里的局部导数是 apple_num。")
    assert zh.hint_numbers == "带数字的提示：1.1 × 2"
    with pytest.raises(ValueError, match="lang='fr': choose one of 'en', 'zh'"):
        quiz.questions(price, lang="fr")


def test_elementwise_and_constant_exponent_hints():
    x, y = Node(1.5, name="x"), Node(0.5, name="y")
    z = (x + y) ** 2
    square, = (q for q in quiz.questions(z) if q.step == 1)
    assert square.expected == 4.0
    assert square.hint.startswith("Hint: **2 node: the gradient sent to output of + = ")
    assert square.hint.endswith("the local derivative is 2·(output of +)^(2−1).")
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


# ---------------------------------------------------------------- the quiz page
HOSTILE = "</script><img src=x onerror=alert(1)>"
_DATA = re.compile(r'<script type="application/json" id="gg-data">(.*?)</script>', re.S)
_SCRIPT = re.compile(r"<script>(.*?)</script>", re.S)
needs_renderer = pytest.mark.skipif(viz.backend() is None, reason="no Graphviz renderer")
#: The apple/orange graph's questions, step by step: the name the page shows for each input
#: of the active node, and the gradient it receives (the book's fig. 5-17).
APPLE_ORANGE_STEPS = [
    [("(apple × apple_num) + (orange × orange_num)", "1.1"), ("tax", "650")],
    [("apple × apple_num", "1.1"), ("orange × orange_num", "1.1")],
    [("orange", "3.3"), ("orange_num", "165")],
    [("apple", "2.2"), ("apple_num", "110")],
]


def _data(page: str) -> dict:
    return json.loads(_DATA.search(page).group(1))


@needs_renderer
def test_quiz_page_carries_questions_hints_and_one_script():
    price, _ = _apple_orange_graph()
    page = viz.to_html(price, quiz=True)
    data = _data(page)["quiz"]
    asked = [[(q["node"], q["grad"]) for q in step] for step in data["steps"]]
    assert asked == APPLE_ORANGE_STEPS
    tax = data["steps"][0][1]
    assert tax["expected"] == [650.0] and tax["label"] == "∂price/∂tax"
    assert tax["numbers"] == {"en": "Hint with the numbers: 1 × 650",
                              "zh": "带数字的提示：1 × 650"}
    # quiz.js rides in the page's one script, so the CSP hash covers it
    (script,) = _SCRIPT.findall(page)
    assert "graphgradQuiz" in script and "graphgradExplorer" in script
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert f"'sha256-{digest}'" in html.unescape(page)
    plain = viz.to_html(price)
    assert "quiz" not in _data(plain) and "graphgradQuiz" not in plain


@needs_renderer
def test_quiz_page_asks_arrays_whole_or_one_marked_element():
    X = Node(np.ones((1, 4)), name="X", requires_grad=False)
    W = Node(np.arange(12.0).reshape(4, 3) / 10, name="W")
    b = Node(np.zeros(3), name="b")
    loss = SoftmaxWithLoss()(Affine(W, b)(X), np.array([1]))
    steps = _data(viz.to_html(loss, quiz=True))["quiz"]["steps"]
    by_node = {q["node"]: q for step in steps for q in step}
    assert set(by_node) == {"Affine", "W", "b"}  # X needs no gradient: not asked
    assert by_node["b"]["detail"]["en"] == "(3,): all 3 numbers, row by row"
    assert by_node["W"]["detail"]["en"].startswith("element [")  # 12 numbers: one is asked
    assert len(by_node["W"]["expected"]) == 1


# ---------------------------------------------------------------- in the browser
def _open(page, path):
    page.goto(path.as_uri())
    page.wait_for_function("window.graphgradQuiz !== undefined")


def _answer(page, i: int, text: str) -> None:
    field = page.locator("input.gg-answer").nth(i)
    field.fill(text)
    field.press("Enter")


def _red_texts(page) -> list[str]:
    """The gradients a reader sees in the drawing right now."""
    return page.evaluate(
        """() => [...document.querySelectorAll('#gg-graph g.edge text[fill="#d00000"]')]
            .filter(t => getComputedStyle(t).visibility !== 'hidden').map(t => t.textContent)"""
    )


@needs_renderer
def test_browser_quiz_on_the_apple_orange_graph(tmp_path, browser_page):
    price, _ = _apple_orange_graph()
    path = viz.to_html(price, tmp_path / "quiz.html", quiz=True)
    tax = _data(path.read_text(encoding="utf-8"))["quiz"]["steps"][0][1]
    page = browser_page
    _open(page, path)
    assert page.inner_text("#gg-score") == "0/0"
    assert _red_texts(page) == []  # every gradient starts hidden
    page.keyboard.press("ArrowRight")
    assert page.evaluate("window.graphgradExplorer.state().step") == 1
    assert page.locator("g.node.gg-active").count() == 1
    assert "650" not in page.inner_text("#gg-caption")  # the caption keeps the answers back
    for k, step in enumerate(APPLE_ORANGE_STEPS, start=1):
        if k > 1:
            page.keyboard.press("ArrowRight")
        fields = page.locator("input.gg-answer")
        assert [fields.nth(i).get_attribute("data-node") for i in range(fields.count())] == \
            [who for who, _ in step]
        for i, (who, grad) in enumerate(step):
            if (k, who) == (1, "tax"):
                _answer(page, i, "600")
                assert page.inner_text("#gg-hint") == tax["hint"]["en"] == (
                    "Hint: × node: the gradient sent to tax = upstream gradient × local "
                    "derivative, and here the local derivative is (apple × apple_num) + "
                    "(orange × orange_num).")
                _answer(page, i, "0.65")
                assert page.inner_text("#gg-hint") == "Hint with the numbers: 1 × 650"
                assert grad not in _red_texts(page)
            _answer(page, i, grad)
            assert grad in _red_texts(page), (who, grad)  # revealed on its arrow
            assert page.inner_text("#gg-hint") == ""
        assert "→ " + step[0][0] in page.inner_text("#gg-caption")  # the full caption now
    assert page.inner_text("#gg-score") == "7/8"
    assert page.inner_text("#gg-final") == ("Done: 7 of 8 right at the first try. "
                                             "Steps that needed hints: 1.")
    assert sorted(_red_texts(page)) == sorted(["1", "1.1", "650", "1.1", "1.1", "3.3", "165",
                                               "2.2", "110"])
    # the explorer's stepping still works, and the panel shows the solved gradients
    page.keyboard.press("Home")
    assert page.evaluate("window.graphgradExplorer.state().step") == 0
    page.keyboard.press("End")
    page.click(f"#node{price.inputs[1].id}")
    assert "650" in page.inner_text("#gg-panel")
    page.wait_for_timeout(50)
    assert page.errors == [] and page.dialogs == []
    assert page.requests == [path.as_uri()]  # no request leaves the page


@needs_renderer
def test_browser_quiz_in_chinese_and_show_answers(tmp_path, browser_page):
    x = Node(np.array([1.0, -2.0, 3.0]), name="x")
    y = autograd.relu(x) * Node(np.array([0.5, 0.5, 0.5]), name="w")
    loss = y.sum()
    loss.name = "L"
    asked = {q.who: q for q in quiz.questions(loss, lang="zh")}
    path = viz.to_html(loss, tmp_path / "quiz_zh.html", quiz=True)
    page = browser_page
    _open(page, path)
    page.evaluate("document.documentElement.lang = 'zh'")
    page.keyboard.press("End")
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowRight")  # the ReLU step
    assert page.inner_text("#gg-quiz .gg-quiz-ask").startswith("轮到你了")
    _answer(page, 0, "[1 1 1]")
    assert page.inner_text("#gg-hint") == asked["x"].hint
    _answer(page, 0, "[1 1 1]")
    assert page.inner_text("#gg-hint") == asked["x"].hint_numbers
    _answer(page, 0, "[0.5, 0, 0.5]")
    assert page.inner_text("#gg-score") == "0/1"
    page.click("#gg-show-answers")
    assert page.inner_text("#gg-score") == "0/4"
    assert page.inner_text("#gg-final").startswith("完成：首次即答对 0/4")
    assert "[0.5, 0, 0.5]" in _red_texts(page)
    assert page.errors == [] and page.requests == [path.as_uri()]


@needs_renderer
def test_browser_quiz_hostile_name_stays_text(tmp_path, browser_page):
    bad = Node(3.0, name=HOSTILE)
    y = bad * Node(2.0, name="two")
    path = viz.to_html(y, tmp_path / "hostile.html", quiz=True)
    page = browser_page
    _open(page, path)
    page.keyboard.press("ArrowRight")
    field = page.locator(f'input.gg-answer[data-node="{HOSTILE}"]')
    assert field.count() == 1
    assert HOSTILE in page.inner_text("#gg-quiz")
    field.fill("1")
    field.press("Enter")
    assert HOSTILE in page.inner_text("#gg-hint")
    assert page.evaluate("document.querySelectorAll('img').length") == 0
    page.wait_for_timeout(50)
    assert page.dialogs == [] and page.errors == []
    assert page.requests == [path.as_uri()]
