"""The `graphgrad` command: `explore` (expression parser, page and picture output)."""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys

import pytest

import viz
from graphgrad import expr
from graphgrad.cli import build_parser, main
from graphgrad.expr import ExpressionError, build_graph, parse_assignments, parse_expression

APPLE_ORANGE = "(apple*apple_num + orange*orange_num)*tax"
APPLE_VALUES = ["apple=100", "apple_num=2", "orange=150", "orange_num=3", "tax=1.1"]
needs_renderer = pytest.mark.skipif(viz.backend() is None, reason="no Graphviz renderer")


# ---------------------------------------------------------------- the parser
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


# ---------------------------------------------------------------- the command
def test_parser_keeps_the_subcommands():
    parser = build_parser()
    args = parser.parse_args(["explore", APPLE_ORANGE, "-o", "p.html", "--set", *APPLE_VALUES])
    assert (args.command, args.expression, args.values) == ("explore", APPLE_ORANGE, APPLE_VALUES)
    assert parser.parse_args(["demo"]).command == "demo"


@needs_renderer
def test_explore_writes_the_page(tmp_path, capsys):
    page = tmp_path / "out" / "page.html"
    rc = main(["explore", APPLE_ORANGE, "-o", str(page), "--name", "price",
               "--set", *APPLE_VALUES])
    out = capsys.readouterr().out
    assert rc == 0
    assert "price = " + APPLE_ORANGE + " = 715" in out
    assert "d price / d apple = 2.2" in out and "d price / d tax = 650" in out
    text = page.read_text(encoding="utf-8")
    assert "Content-Security-Policy" in text
    data = json.loads(re.search(r'id="gg-data">(.*?)</script>', text, re.S).group(1))
    assert data["title"] == "graphgrad explorer: price"
    titles = {n["title"] for n in data["nodes"].values()}
    assert {"apple", "apple_num", "orange", "orange_num", "tax", "price"} <= titles
    assert len(data["backward"]["steps"]) == 4


@needs_renderer
@pytest.mark.parametrize("suffix", [".png", ".svg", ".dot"])
def test_explore_writes_pictures(tmp_path, suffix):
    path = tmp_path / f"graph{suffix}"
    assert main(["explore", "x*w + b", "-o", str(path), "--set", "x=2", "w=3", "b=1"]) == 0
    data = path.read_bytes()
    if suffix == ".png":
        assert data.startswith(b"\x89PNG")
    elif suffix == ".svg":
        assert b"<svg" in data and b"node" in data
    else:
        assert data.startswith(b"digraph") and b"x" in data


def test_explore_errors_go_to_stderr(tmp_path, capsys):
    page = tmp_path / "page.html"
    assert main(["explore", APPLE_ORANGE, "-o", str(page), "--set", "apple=100"]) == 2
    err = capsys.readouterr().err
    assert "graphgrad explore: error: no value for apple_num, orange, orange_num, tax" in err
    assert main(["explore", "os.system('ls')", "-o", str(page)]) == 2
    assert "unsupported" in capsys.readouterr().err
    assert main(["explore", "x", "-o", str(tmp_path / "page.txt"), "--set", "x=1"]) == 2
    assert "cannot tell what to write" in capsys.readouterr().err
    assert not page.exists()


def test_explore_without_graphviz(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("viz.backends.backend", lambda: None)
    rc = main(["explore", "x*2", "-o", str(tmp_path / "p.png"), "--set", "x=1"])
    assert rc == 1 and "pygraphviz" in capsys.readouterr().err
    # DOT text needs no renderer
    assert main(["explore", "x*2", "-o", str(tmp_path / "p.dot"), "--set", "x=1"]) == 0


def test_max_nodes_zero_draws_everything(tmp_path, monkeypatch):
    seen = {}
    monkeypatch.setattr(viz, "render", lambda root, path, **options: seen.update(options))
    expr.explore_command("x*x", tmp_path / "g.png", ["x=1"], max_nodes=0)
    assert seen == {"precision": 4, "max_nodes": None}


@needs_renderer
def test_python_dash_m(tmp_path):
    page = tmp_path / "p.html"
    done = subprocess.run(
        [sys.executable, "-m", "graphgrad", "explore", "a*b", "-o", str(page), "--set", "a=2",
         "b=5"],
        capture_output=True, text=True, check=False,
    )
    assert done.returncode == 0, done.stderr
    assert page.exists() and "d output / d a = 5" in done.stdout


# ---------------------------------------------------------------- explore --quiz
@needs_renderer
def test_explore_quiz_writes_a_quiz_page_and_keeps_the_answers_off_the_terminal(
        tmp_path, capsys):
    out = tmp_path / "quiz.html"
    assert main(["explore", APPLE_ORANGE, "-o", str(out), "--set", *APPLE_VALUES,
                 "--name", "price", "--quiz"]) == 0
    printed = capsys.readouterr().out
    assert "price = " in printed and "715" in printed and "wrote the quiz page" in printed
    assert "d price / d" not in printed and "650" not in printed
    page = out.read_text(encoding="utf-8")
    assert "graphgradQuiz" in page and '"quiz":{' in page
    assert main(["explore", APPLE_ORANGE, "-o", str(tmp_path / "q.png"), "--set",
                 *APPLE_VALUES, "--quiz"]) == 2
    assert "--quiz writes a page" in capsys.readouterr().err
