"""The `graphgrad` command line (graphgrad/cli.py): subcommands, `explore` page and pictures."""

from __future__ import annotations

import json
import re

import pytest

import viz
from graphgrad.cli import build_parser, main

APPLE_ORANGE = "(apple*apple_num + orange*orange_num)*tax"
APPLE_VALUES = ["apple=100", "apple_num=2", "orange=150", "orange_num=3", "tax=1.1"]
needs_renderer = pytest.mark.skipif(viz.backend() is None, reason="no Graphviz renderer")


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


def test_help_shows_no_docstring_markup(capsys):
    from graphgrad.cli import build_parser

    text = build_parser().format_help()
    assert "``" not in text and "`graphgrad`" not in text
    assert "The graphgrad command: graphgrad demo, train" in " ".join(text.split())
