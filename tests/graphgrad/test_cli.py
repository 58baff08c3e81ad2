"""The `graphgrad` command line (graphgrad/cli.py): subcommands, `explore` page and pictures."""

from __future__ import annotations

import json
import re
import sys

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
    assert "cannot tell what to write from the suffix" in capsys.readouterr().err
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


# ---------------------------------------------------------------- every value checked up front
def _refused(capsys, argv, *needles):
    """Run the CLI, expect exit status 2 and a one-line error containing every needle."""
    try:
        status = main(argv)
    except SystemExit as exc:  # refused by argparse while parsing
        status = exc.code
    assert status == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    for needle in needles:
        assert needle in lines[0], lines[0]
    assert "Traceback" not in captured.err and captured.out == ""
    return lines[0]


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (["--lr", "-1"], ["--lr", "'-1'", "a positive number"]),
        (["--lr", "0"], ["--lr", "a positive number"]),
        (["--lr", "nan"], ["--lr", "a positive number"]),
        (["--lr", "fast"], ["--lr", "'fast' is not a positive number"]),
        (["--train-limit", "0"], ["--train-limit", ">= 1"]),
        (["--train-limit", "-5"], ["--train-limit", ">= 1"]),
        (["--iters", "0"], ["--iters", ">= 1"]),
        (["--iters", "1.5"], ["--iters", "not a whole number"]),
        (["--hidden", "-3"], ["--hidden", ">= 1"]),
        (["--hidden", "0"], ["--hidden", ">= 1"]),
        (["--batch-size", "0"], ["--batch-size", ">= 1"]),
        (["--seed", "-1"], ["--seed", "0 to 4294967295"]),
        (["--seed", str(2**32)], ["--seed", "0 to 4294967295"]),
        (["--model", "big"], ["--model", "invalid choice"]),
        (["--optimizer", "lbfgs"], ["--optimizer", "adam"]),
        (["--hidden", "50", "50"], ["--hidden", "two_layer has one hidden layer"]),
        (["--model", "simple_conv", "--hidden", "50"], ["simple_conv has fixed layer sizes"]),
        (["--train-limit", "50"], ["--train-limit 50 is smaller than --batch-size 100"]),
        (["--plot", "curves.jpg"], ["--plot", "cannot tell what to write", ".png"]),
    ],
)
def test_train_refuses_bad_values_before_any_work(args, needles, capsys, monkeypatch):
    from graphgrad import train

    monkeypatch.setattr(train, "run", lambda *a, **k: pytest.fail("training started"))
    _refused(capsys, ["train", *args], *needles)


def test_train_refuses_bad_paths_and_missing_matplotlib(tmp_path, capsys, monkeypatch):
    from graphgrad import train

    monkeypatch.setattr(train, "run", lambda *a, **k: pytest.fail("training started"))
    blocker = tmp_path / "some-file"
    blocker.write_text("x")
    _refused(capsys, ["train", "--plot", str(blocker / "curves.png")], "is a file")
    _refused(capsys, ["train", "--plot", str(tmp_path)], "cannot tell what to write")
    _refused(capsys, ["train", "--data", str(tmp_path / "nope")], "--data", "does not exist")
    _refused(capsys, ["train", "--data", str(blocker)], "--data", "is not a folder")
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib -> ImportError
    _refused(capsys, ["train", "--plot", str(tmp_path / "c.png")],
             "--plot needs matplotlib", "graphgrad[train]")


def test_each_optimizer_gets_its_usual_learning_rate(monkeypatch):
    from graphgrad import train

    seen = []
    monkeypatch.setattr(train, "run", lambda *a, **k: seen.append((a[4], a[3])))
    for name in ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"):
        assert main(["train", "--optimizer", name]) == 0
    assert main(["train", "--optimizer", "adam", "--lr", "0.05"]) == 0
    assert seen == [("sgd", 0.1), ("momentum", 0.01), ("nesterov", 0.01), ("adagrad", 0.01),
                    ("rmsprop", 0.01), ("adam", 0.001), ("adam", 0.05)]


def test_explore_and_demo_refuse_bad_paths_and_values(tmp_path, capsys, monkeypatch):
    from graphgrad import demo

    monkeypatch.setattr(demo, "run", lambda *a, **k: pytest.fail("demo started"))
    blocker = tmp_path / "some-file"
    blocker.write_text("x")
    _refused(capsys, ["explore", "x", "-o", str(blocker / "page.html"), "--set", "x=1"],
             "graphgrad explore: error: -o", "is a file")
    _refused(capsys, ["explore", "x", "--precision", "0"], "--precision", "1 to 17")
    _refused(capsys, ["explore", "x", "--max-nodes", "-1"], "--max-nodes", ">= 0")
    _refused(capsys, ["demo", "--out", str(blocker)], "--out", "this is a file")
    _refused(capsys, ["demo", "--out", str(blocker / "sub")], "--out", "is a file")
    _refused(capsys, ["bogus"], "invalid choice")


def test_every_subcommand_and_option_has_help_and_examples(capsys):
    import argparse

    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert set(sub.choices) >= {"demo", "train", "explore"}
    helps = {a.dest: a.help for a in sub._choices_actions}
    for name, command in sub.choices.items():
        assert helps.get(name), f"{name} has no help line"
        assert command.description, f"{name} has no description"
        assert "example" in (command.epilog or ""), f"{name} --help shows no example"
        for action in command._actions:
            if action.dest in ("help", "_command", "_parser"):
                continue
            assert action.help and action.help != argparse.SUPPRESS, f"{name} {action.dest}"
    with pytest.raises(SystemExit) as exit_info:
        main(["demo", "--help"])
    assert exit_info.value.code == 0
    assert "(default: out)" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "Train one of the textbook's networks" in text and "0.001 for adam" in text


def test_train_without_mnist_is_one_error_not_a_traceback(tmp_path, capsys):
    assert main(["train", "--data", str(tmp_path), "--no-progress"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("graphgrad train: error: MNIST files not found")
    assert str(tmp_path) in err and "Traceback" not in err


@needs_renderer
def test_explore_lang_sets_the_language_the_page_opens_in(tmp_path, capsys, from_catalogue):
    page = tmp_path / "page.html"
    assert main(["explore", APPLE_ORANGE, "-o", str(page), "--name", "price", "--lang", "zh",
                 "--set", *APPLE_VALUES]) == 0
    out = capsys.readouterr().out  # the terminal speaks Chinese too, from the catalogue
    assert "  ∂price/∂apple = 2.2" in out and f"已写入 {page}" in out
    assert from_catalogue(out, "zh") == [] and from_catalogue(out, "en") != []
    text = page.read_text(encoding="utf-8")
    data = json.loads(re.search(r'id="gg-data">(.*?)</script>', text, re.S).group(1))
    assert data["lang"] == "zh" and data["title"] == "graphgrad 计算图浏览器：price"
    assert "→ tax：上游梯度 1 × 局部导数 650 = 650   （∂y/∂b = a = 650）" in \
        data["backward"]["steps"][0]["lines"]
    assert main(["explore", APPLE_ORANGE, "-o", str(page), "--set", *APPLE_VALUES]) == 0
    assert '"lang":null' in page.read_text(encoding="utf-8")  # the browser's language
    # a picture's words: the unnamed output marker
    assert main(["explore", APPLE_ORANGE, "-o", str(tmp_path / "p.svg"), "--lang", "zh",
                 "--set", *APPLE_VALUES]) == 0
    assert ">输出</text>" in (tmp_path / "p.svg").read_text(encoding="utf-8")
    with pytest.raises(SystemExit):
        main(["explore", APPLE_ORANGE, "--lang", "fr"])
