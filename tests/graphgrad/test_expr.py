"""graphgrad/expr.py: the safe expression parser behind `graphgrad explore`, and the command."""

from __future__ import annotations

import math
import re

import pytest

import viz
from graphgrad import expr
from graphgrad.expr import ExpressionError, build_graph, parse_assignments, parse_expression

APPLE_ORANGE = "(apple*apple_num + orange*orange_num)*tax"
APPLE_VALUES = ["apple=100", "apple_num=2", "orange=150", "orange_num=3", "tax=1.1"]


def test_textbook_expression_builds_the_textbook_graph():
    out, leaves = build_graph(APPLE_ORANGE, parse_assignments(APPLE_VALUES), name="price")
    assert list(leaves) == ["apple", "apple_num", "orange", "orange_num", "tax"]
    assert out.name == "price" and out.value == pytest.approx(715)
    out.backward()
    grads = {name: leaf.grad for name, leaf in leaves.items()}
    assert grads == pytest.approx(
        {"apple": 2.2, "apple_num": 110, "orange": 3.3, "orange_num": 165, "tax": 650}
    )


def test_a_name_used_twice_is_one_node():
    out, leaves = build_graph("x*x + x", {"x": 3})
    out.backward()
    assert out.value == 12 and leaves["x"].grad == 7  # 2x + 1


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("-(a - b) / c ** 2", -(3 - 2) / 4**2),
        ("+a - -b", 5.0),
        ("2 ** a + a ** 2 + a ** b", 2**3 + 3**2 + 3**2),
        ("exp(a) * log(b) + sqrt(c)", math.exp(3) * math.log(2) + 2),
        ("tanh(a) + sigmoid(b) + relu(-c) + relu(c)", math.tanh(3) + 1 / (1 + math.exp(-2)) + 4),
        ("(a + 1.5e1) * (2 * 3)", (3 + 15) * 6),
        ("exp(2 * 0) * a", 3.0),  # constant parts are folded into numbers
    ],
)
def test_parser_accepts_arithmetic_and_known_ops(text, value):
    values = {"a": 3, "b": 2, "c": 4}
    expression = parse_expression(text)
    out, leaves = expression.build({n: values[n] for n in expression.names})
    assert out.value == pytest.approx(value)
    out.backward()
    assert all(leaf.grad is not None for leaf in leaves.values())


@pytest.mark.parametrize(
    ("text", "construct"),
    [
        ("__import__('os').system('touch pwned')", "unsupported call of \"__import__('os')"),
        ("os.system", "attribute access 'os.system'"),
        ("a[0]", "indexing 'a[0]'"),
        ("a < b", "comparison"),
        ("a and b", "'and' / 'or'"),
        ("not a", "operator 'not'"),
        ("~a", "operator ~"),
        ("a if b else c", "conditional expression"),
        ("lambda: 1", "lambda"),
        ("a @ b", "operator @"),
        ("a // b", "operator //"),
        ("a % b", "operator %"),
        ("'text' * a", "constant of type str"),
        ("True * a", "constant of type True/False"),
        ("1j * a", "constant of type complex"),
        ("[a, b]", "list"),
        ("(a, b)", "tuple"),
        ("f'{a}'", "f-string"),
        ("(a := 2)", "assignment expression"),
        ("[x for x in a]", "list comprehension"),
        ("foo(a)", "unknown function 'foo'"),
        ("eval('1')", "unknown function 'eval'"),
        ("exp(a, b)", "exp() takes exactly one argument"),
        ("exp(x=a)", "exp() takes exactly one argument"),
    ],
)
def test_parser_refuses_everything_else_and_names_it(text, construct, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ExpressionError) as err:
        parse_expression(text)
    assert construct in str(err.value)
    assert not (tmp_path / "pwned").exists()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty expression"),
        ("a +", "cannot parse"),
        ("a = 1", "cannot parse"),
        ("(" * 300 + "a" + ")" * 300, "cannot parse"),
    ],
)
def test_parser_reports_syntax_errors(text, message):
    with pytest.raises(ExpressionError, match=re.escape(message)):
        parse_expression(text)


def test_names_and_values_must_match():
    expression = parse_expression(APPLE_ORANGE)
    with pytest.raises(ExpressionError, match=r"no value for orange, orange_num, tax: .*--set"):
        expression.build({"apple": 1, "apple_num": 2})
    with pytest.raises(ExpressionError, match=r"--set oranges: not in the expression"):
        expression.build({**parse_assignments(APPLE_VALUES), "oranges": 1})
    with pytest.raises(ExpressionError, match="no variables"):
        parse_expression("2 * 3").build({})
    with pytest.raises(ExpressionError, match="division by zero"):
        parse_expression("x / (1 - 1)").build({"x": 1})


@pytest.mark.parametrize("item", ["apple", "=3", "apple=", "apple=abc", "1x=2", "x=nan"])
def test_bad_assignments(item):
    with pytest.raises(ExpressionError, match="--set"):
        parse_assignments([item])


def test_assignments():
    assert parse_assignments(["a=1", " b = -2.5e-1", "a=3"]) == {"a": 3.0, "b": -0.25}


def test_max_nodes_zero_draws_everything(tmp_path, monkeypatch):
    seen = {}
    monkeypatch.setattr(viz, "render", lambda root, path, **options: seen.update(options))
    expr.explore_command("x*x", tmp_path / "g.png", ["x=1"], max_nodes=0)
    assert seen == {"precision": 4, "max_nodes": None}
