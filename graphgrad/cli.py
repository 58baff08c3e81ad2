"""The `graphgrad` command: ``graphgrad demo``, ``train``, ``explore``, ``worksheet`` and
``watch``."""

from __future__ import annotations

import argparse
from pathlib import Path


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for all subcommands."""
    from viz.text import plain_doc  # the docstring's ``markup`` is for Sphinx, not for --help

    parser = argparse.ArgumentParser(prog="graphgrad", description=plain_doc(__doc__ or ""))
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="backprop the apple/orange graph, draw it, train on MNIST")
    demo.add_argument("--out", type=Path, default=Path("out"), help="folder for pictures")
    demo.add_argument("--no-train", action="store_true", help="skip the MNIST training")
    train = sub.add_parser("train", help="train a model on MNIST, print per-epoch accuracy")
    train.add_argument("--model", default="two_layer",
                       choices=["two_layer", "multi_layer", "simple_conv"])
    train.add_argument("--iters", type=int, default=10000, help="iterations (default 10000)")
    train.add_argument("--batch-size", type=int, default=100)
    train.add_argument("--lr", type=float, default=0.1, help="learning rate (default 0.1)")
    train.add_argument("--optimizer", default="sgd",
                       choices=["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"])
    train.add_argument("--hidden", type=int, nargs="+", default=[50],
                       help="hidden layer sizes (default 50)")
    train.add_argument("--data", type=Path, default=None,
                       help="folder with the four MNIST files (default: $MNIST_DIR or cache)")
    train.add_argument("--plot", type=Path, default=None, help="save loss/accuracy curves (PNG)")
    train.add_argument("--train-limit", type=int, default=None,
                       help="use only the first N training images")
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--no-progress", action="store_true", help="no progress bar")
    explore = sub.add_parser(
        "explore",
        help="build a graph from an expression, backpropagate, write an HTML page or picture",
        description="Build the graph of EXPR (names, numbers, + - * / **, parentheses, exp, "
        "log, sqrt, tanh, sigmoid, relu), run backward and write a page to step through it "
        "(.html) or a picture (.png/.svg/.pdf/.dot).",
        epilog='example: graphgrad explore "(apple*apple_num + orange*orange_num)*tax" '
        "-o page.html --set apple=100 apple_num=2 orange=150 orange_num=3 tax=1.1",
    )
    explore.add_argument("expression", metavar="EXPR", help="e.g. \"(a*b + c)*d\"")
    explore.add_argument("-o", "--output", type=Path, default=Path("graph.html"),
                         help="page.html (default graph.html), or .png/.svg/.pdf/.dot")
    explore.add_argument("--set", dest="values", metavar="NAME=VALUE", nargs="+",
                         action="extend", default=[], help="values of the names in EXPR")
    explore.add_argument("--name", help="name of the output node (default: output)")
    explore.add_argument("--precision", type=int, default=4, help="significant digits")
    explore.add_argument("--max-nodes", type=int, default=None,
                         help="fold graphs bigger than this (default 150; 0: draw everything)")
    _add_worksheet(sub)
    from graphgrad import watch as watch_command  # a self-contained block: parser and run

    watch_command.add_parser(sub)
    _add_quiz_option(sub)
    return parser


# ---------------------------------------------------------------- graphgrad explore --quiz
def _add_quiz_option(sub: argparse._SubParsersAction) -> None:
    sub.choices["explore"].add_argument(
        "--quiz", action="store_true",
        help="quiz mode (.html only): gradients start hidden, the learner types each one, "
        "with hints after a wrong answer and a score at the end")


# ---------------------------------------------------------------- graphgrad worksheet
def _add_worksheet(sub: argparse._SubParsersAction) -> None:
    from graphgrad.worksheet import KINDS
    from viz.messages import LANGS

    sheet = sub.add_parser(
        "worksheet",
        help="write printable backprop exercises (PDF) and their answer key",
        description="Write COUNT exercises, one per A4 page: a graph of chapter 5 with a blank "
        "box under every arrow for the gradient. The answer key goes beside the output "
        "(NAME-answer-key.pdf, or NAME-答案.pdf with --lang zh). Needs the worksheet extra: "
        "pip install 'graphgrad[worksheet]'.",
        epilog="example: graphgrad worksheet --kind apple_orange --count 30 --seed 7 --lang zh "
        "-o sheets.pdf",
    )
    sheet.add_argument("--kind", default="apple_orange", choices=KINDS,
                       help="which graph (default apple_orange; mixed: all kinds in turn)")
    sheet.add_argument("--count", type=int, default=10, help="exercises, one per page (10)")
    sheet.add_argument("--seed", type=int, default=0, help="same seed, same sheets (0)")
    sheet.add_argument("--lang", default="en", choices=LANGS, help="en or zh (default en)")
    sheet.add_argument("-o", "--output", type=Path, default=Path("worksheets.pdf"),
                       help="the sheets' PDF (default worksheets.pdf)")


def _run_worksheet(args: argparse.Namespace) -> int:
    import sys

    from graphgrad.worksheet import write_worksheets

    try:
        sheets, key = write_worksheets(args.output, args.kind, args.count, args.seed, args.lang)
    except (ImportError, ValueError) as err:
        print(f"graphgrad worksheet: {err}", file=sys.stderr)
        return 2
    print(f"wrote {sheets} ({args.count} pages) and the answer key {key}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `graphgrad` console script."""
    args = build_parser().parse_args(argv)
    if args.command == "demo":
        from graphgrad import demo

        return demo.run(args.out, train=not args.no_train)
    if args.command == "train":
        from graphgrad import train

        train.run(args.model, args.iters, args.batch_size, args.lr, args.optimizer, args.hidden,
                  args.data, args.plot, args.train_limit, args.seed,
                  progress=not args.no_progress)
        return 0
    if args.command == "explore":
        from graphgrad import expr

        return expr.explore_command(
            args.expression,
            args.output,
            args.values,
            name=args.name,
            precision=args.precision,
            max_nodes=args.max_nodes,
            quiz=args.quiz,
        )
    if args.command == "worksheet":
        return _run_worksheet(args)
    if args.command == "watch":
        from graphgrad import watch as watch_command

        return watch_command.run(args)
    raise AssertionError(args.command)  # argparse rejects unknown commands first
