"""The `graphgrad` command: ``graphgrad demo``, ``train``, ``explore``, ``worksheet``, ``watch``.

Every subcommand is one self-contained block below: a :class:`Command` with

- ``arguments(parser)``: its options, each with help text (typed with the checkers here, so a
  bad number is refused while parsing);
- ``check(args)``: everything that can be checked before any work starts (paths writable,
  optional packages importable, options that contradict each other); it raises
  :class:`UsageError` with a one-line message saying what is accepted;
- ``run(args)``: the work; returns the exit status. Errors listed in ``errors`` (a missing
  data set, a bad file) are printed as one line, without a traceback.

To add a subcommand, write its three functions and ``register(Command(...))`` them. A
subcommand whose module builds its own parser passes ``parser=`` (a function taking the
subparsers object and returning its parser) instead of ``arguments``.
"""

from __future__ import annotations

import argparse
import math
import sys
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

# ---------------------------------------------------------------- the framework


class UsageError(Exception):
    """A command-line value that is not accepted; the message says what is."""


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (plus where to get help), exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _number_checker(kind: type, what: str, accept: Callable[[Any], bool], example: str):
    def check(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {what}, e.g. {example}") from None
        if not accept(value):
            raise argparse.ArgumentTypeError(f"{text!r}: must be {what}, e.g. {example}")
        return value

    check.__name__ = what  # argparse names the type in some messages
    return check


#: ``type=`` checkers for options (argparse reports their message with the option's name).
positive_int = _number_checker(int, "a whole number >= 1", lambda v: v >= 1, "100")
nonnegative_int = _number_checker(int, "a whole number >= 0", lambda v: v >= 0, "0")
positive_float = _number_checker(
    float, "a positive number", lambda v: math.isfinite(v) and v > 0, "0.1")
seed_int = _number_checker(int, "a whole number from 0 to 4294967295",
                           lambda v: 0 <= v < 2**32, "0")
precision_int = _number_checker(int, "a whole number from 1 to 17", lambda v: 1 <= v <= 17, "4")


def check_output(path: Path, option: str, suffixes: tuple[str, ...] = ()) -> None:
    """Refuse an output file with the wrong suffix or in a place that cannot be written."""
    from autograd.files import check_writable

    if suffixes and path.suffix.lower() not in suffixes:
        raise UsageError(f"{option} {path}: cannot tell what to write from the suffix; "
                         f"use {', '.join(suffixes)}")
    problem = check_writable(path)
    if problem:
        raise UsageError(f"{option} {path}: {problem}")


def check_output_folder(path: Path, option: str) -> None:
    """Refuse an output folder that is a file or cannot be created or written."""
    if path.exists() and not path.is_dir():
        raise UsageError(f"{option} {path}: this is a file; give a folder")
    check_output(path / "x", option)


def check_importable(module: str, option: str, extra: str) -> None:
    """Refuse an option whose optional package is not installed, naming the extra to install."""
    try:
        __import__(module)
    except ImportError:
        raise UsageError(f"{option} needs {module}: pip install 'graphgrad[{extra}]' "
                         f"(or pip install {module})") from None


@dataclass(frozen=True)
class Command:
    """One subcommand: its parser, its up-front checks and its work (see the module docstring)."""

    name: str
    help: str
    description: str
    arguments: Callable[[argparse.ArgumentParser], None] | None
    run: Callable[[argparse.Namespace], int]
    check: Callable[[argparse.Namespace], None] = lambda args: None
    epilog: str = ""
    #: The errors printed as one line instead of a traceback (a function, so that the
    #: modules defining them are imported only when the command runs).
    errors: Callable[[], tuple[type[Exception], ...]] = tuple
    #: Instead of ``arguments``: builds the whole subparser (``sub.add_parser(name, ...)``).
    parser: Callable[[Any], argparse.ArgumentParser] | None = None


#: The subcommands, in the order ``graphgrad --help`` lists them.
COMMANDS: dict[str, Command] = {}


def register(command: Command) -> Command:
    """Add a subcommand (the name must be new)."""
    if command.name in COMMANDS:
        raise ValueError(f"graphgrad: subcommand {command.name!r} is registered twice")
    COMMANDS[command.name] = command
    return command


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for all subcommands."""
    from viz.text import plain_doc  # the docstring's ``markup`` is for Sphinx, not for --help

    parser = _Parser(
        prog="graphgrad",
        description=plain_doc((__doc__ or "").split("\n\n")[0]),
        epilog="Run 'graphgrad COMMAND --help' for a command's options and examples.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS.values():
        if command.parser is not None:
            p = command.parser(sub)
        else:
            # Raw formatting keeps the examples' lines; the description is wrapped here instead.
            p = sub.add_parser(command.name, help=command.help,
                               description=textwrap.fill(command.description, 79),
                               epilog=command.epilog,
                               formatter_class=argparse.RawDescriptionHelpFormatter)
            command.arguments(p)
        p.set_defaults(_command=command, _parser=p)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `graphgrad` console script; returns the exit status."""
    # A value argparse refuses (and --help) exits with SystemExit(2) (or 0), as argparse does.
    args = build_parser().parse_args(argv)
    command: Command = args._command
    prog = args._parser.prog
    try:
        command.check(args)
    except UsageError as err:
        print(f"{prog}: error: {err}", file=sys.stderr)
        return 2
    try:
        return command.run(args)
    except command.errors() as err:
        print(f"{prog}: error: {err}", file=sys.stderr)
        return 1


# ---------------------------------------------------------------- graphgrad demo


def _demo_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", type=Path, default=Path("out"), metavar="FOLDER",
                   help="folder for the pictures and the page (default: out)")
    p.add_argument("--no-train", action="store_true",
                   help="skip the MNIST part (no download, no training; takes seconds)")
    from viz.messages import LANGS

    p.add_argument("--lang", choices=LANGS, default=None,
                   help="language of the explanations and of the page: en or zh (中文) "
                   "(default: English, the page in the browser's language)")


def _demo_check(args: argparse.Namespace) -> None:
    check_output_folder(args.out, "--out")


def _demo_run(args: argparse.Namespace) -> int:
    from graphgrad import demo

    return demo.run(args.out, train=not args.no_train, lang=args.lang)


register(Command(
    name="demo",
    help="backprop the apple/orange graph, draw it, train on MNIST",
    description="Backpropagate the textbook's apple/orange purchase (5.4), print the values "
    "and gradients, draw the graph (PNG, SVG, GIF) and write a page to step through it. "
    "Then train the textbook's TwoLayerNet on MNIST (5.7.4: 10,000 iterations, about 3 "
    "minutes; MNIST is downloaded first if it is not found).",
    epilog="examples:\n  graphgrad demo\n  graphgrad demo --no-train --out pictures\n"
    "  graphgrad demo --lang zh",
    arguments=_demo_arguments, check=_demo_check, run=_demo_run,
))


# ---------------------------------------------------------------- graphgrad train

MODELS = ("two_layer", "multi_layer", "simple_conv")
OPTIMIZERS = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam")
#: The CLI's SGD default is the book's chapter-5 script (lr 0.1); the others use their
#: class default (the book's and PyTorch's usual values, e.g. Adam 0.001).
_SGD_LR = 0.1


def default_lr(optimizer: str) -> float:
    """The learning rate ``graphgrad train`` uses for `optimizer` when ``--lr`` is not given."""
    if optimizer == "sgd":
        return _SGD_LR
    from nn import trainer

    return trainer.OPTIMIZERS[optimizer].default_lr


def _train_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", default="two_layer", choices=MODELS,
                   help="two_layer: the ch. 5 TwoLayerNet; multi_layer: ch. 6 MultiLayerNet "
                   "(ReLU, He init); simple_conv: ch. 7 SimpleConvNet (default: two_layer)")
    p.add_argument("--iters", type=positive_int, default=10000, metavar="N",
                   help="training iterations, >= 1 (default 10000, the book's 5.7.4)")
    p.add_argument("--batch-size", type=positive_int, default=100, metavar="N",
                   help="images per mini-batch, >= 1 (default 100)")
    p.add_argument("--optimizer", default="sgd", choices=OPTIMIZERS,
                   help="update rule (default sgd)")
    p.add_argument("--lr", type=positive_float, default=None, metavar="LR",
                   help="learning rate, > 0 (default: 0.1 for sgd, 0.001 for adam, 0.01 for "
                   "the others)")
    p.add_argument("--hidden", type=positive_int, nargs="+", default=None, metavar="N",
                   help="hidden layer sizes: one for two_layer (default 50), one or more for "
                   "multi_layer; simple_conv has fixed sizes")
    p.add_argument("--data", type=Path, default=None, metavar="FOLDER",
                   help="folder with the four MNIST files (default: $MNIST_DIR, else the "
                   "download cache)")
    p.add_argument("--plot", type=Path, default=None, metavar="FILE.png",
                   help="save the loss and accuracy curves as a PNG (needs matplotlib)")
    p.add_argument("--train-limit", type=positive_int, default=None, metavar="N",
                   help="train on the first N training images only (default: all 60000)")
    p.add_argument("--seed", type=seed_int, default=0,
                   help="seed for the initial weights and the batches (default 0)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")


def _train_check(args: argparse.Namespace) -> None:
    if args.hidden is not None:
        if args.model == "simple_conv":
            raise UsageError("--hidden: simple_conv has fixed layer sizes; leave --hidden out")
        if args.model == "two_layer" and len(args.hidden) != 1:
            raise UsageError(f"--hidden: two_layer has one hidden layer, got {len(args.hidden)} "
                             "sizes; give one (e.g. --hidden 50) or use --model multi_layer")
    if args.train_limit is not None and args.train_limit < args.batch_size:
        raise UsageError(f"--train-limit {args.train_limit} is smaller than --batch-size "
                         f"{args.batch_size}; give at least one batch of images")
    if args.data is not None and not args.data.is_dir():
        what = "is not a folder" if args.data.exists() else "does not exist"
        raise UsageError(f"--data {args.data}: {what}; give the folder with the four MNIST files")
    if args.plot is not None:
        check_output(args.plot, "--plot", (".png",))
        check_importable("matplotlib", "--plot", "train")


def _train_run(args: argparse.Namespace) -> int:
    from graphgrad import train

    lr = default_lr(args.optimizer) if args.lr is None else args.lr
    train.run(args.model, args.iters, args.batch_size, lr, args.optimizer, args.hidden or [50],
              args.data, args.plot, args.train_limit, args.seed, progress=not args.no_progress)
    return 0


def _data_errors() -> tuple[type[Exception], ...]:
    from nn.datasets import MNISTError

    return (MNISTError,)


register(Command(
    name="train",
    help="train a model on MNIST, print per-epoch accuracy",
    description="Train one of the textbook's networks on MNIST with the book's loop and print "
    "the train and test accuracy after every epoch. MNIST is read from --data, $MNIST_DIR or "
    "the cache (downloaded there if missing).",
    epilog="examples:\n"
    "  graphgrad train                                 # the book's 5.7.4 run, about 3 minutes\n"
    "  graphgrad train --iters 2000 --plot curves.png\n"
    "  graphgrad train --optimizer adam                # lr 0.001\n"
    "  graphgrad train --model multi_layer --hidden 100 100 --iters 3000\n"
    "  graphgrad train --model simple_conv --iters 500 --train-limit 5000",
    arguments=_train_arguments, check=_train_check, run=_train_run, errors=_data_errors,
))


# ---------------------------------------------------------------- graphgrad explore

#: Output suffixes ``graphgrad explore`` writes: a page, or a picture (by Graphviz format).
EXPLORE_SUFFIXES = (".html", ".htm", ".png", ".svg", ".pdf", ".dot", ".gv")


def _explore_arguments(p: argparse.ArgumentParser) -> None:
    from viz.messages import LANGS

    p.add_argument("expression", metavar="EXPR", help="the expression, e.g. \"(a*b + c)*d\"")
    p.add_argument("-o", "--output", type=Path, default=Path("graph.html"), metavar="FILE",
                   help="page.html (default graph.html), or a picture: .png/.svg/.pdf/.dot")
    p.add_argument("--set", dest="values", metavar="NAME=VALUE", nargs="+", action="extend",
                   default=[], help="values of the names in EXPR, e.g. --set a=2 b=3")
    p.add_argument("--name", help="name of the output node (default: output)")
    p.add_argument("--precision", type=precision_int, default=4,
                   help="significant digits shown, 1-17 (default 4)")
    p.add_argument("--max-nodes", type=nonnegative_int, default=None, metavar="N",
                   help="fold graphs bigger than this (default 150; 0: draw everything)")
    p.add_argument("--quiz", action="store_true",
                   help="quiz mode (.html only): gradients start hidden, the learner types each "
                   "one, with hints after a wrong answer and a score at the end")
    p.add_argument("--lang", choices=LANGS, default=None,
                   help="en or zh (中文): the language a page opens in (its 中文 / English "
                   "switch changes it; default: the browser's), or of a picture's words "
                   "(default: en)")


def _explore_check(args: argparse.Namespace) -> None:
    check_output(args.output, "-o", EXPLORE_SUFFIXES)
    if args.quiz and args.output.suffix.lower() not in (".html", ".htm"):
        raise UsageError(f"--quiz writes a page: use -o with .html or .htm, "
                         f"not {args.output.name}")


def _explore_run(args: argparse.Namespace) -> int:
    from graphgrad import expr

    return expr.explore_command(args.expression, args.output, args.values, name=args.name,
                                precision=args.precision, max_nodes=args.max_nodes,
                                quiz=args.quiz, lang=args.lang)


register(Command(
    name="explore",
    help="build a graph from an expression, backpropagate, write an HTML page or picture",
    description="Build the graph of EXPR (names, numbers, + - * / **, parentheses, exp, "
    "log, sqrt, tanh, sigmoid, relu), run backward and write a page to step through it "
    "(.html) or a picture (.png/.svg/.pdf/.dot).",
    epilog="examples:\n"
    '  graphgrad explore "(apple*apple_num + orange*orange_num)*tax" -o page.html \\\n'
    "      --set apple=100 apple_num=2 orange=150 orange_num=3 tax=1.1\n"
    '  graphgrad explore "tanh(x*w + b)" -o neuron.png --set x=0.5 w=-2 b=1\n'
    '  graphgrad explore "x*w + b" -o quiz.html --quiz --set x=2 w=3 b=1\n'
    '  graphgrad explore "apple*apple_num*tax" -o apple.html --lang zh \\\n'
    "      --set apple=100 apple_num=2 tax=1.1",
    arguments=_explore_arguments, check=_explore_check, run=_explore_run,
))


# ---------------------------------------------------------------- graphgrad worksheet


def _worksheet_arguments(p: argparse.ArgumentParser) -> None:
    from graphgrad.worksheet import KINDS
    from viz.messages import LANGS

    p.add_argument("--kind", default="apple_orange", choices=KINDS,
                   help="which graph (default apple_orange; mixed: all kinds in turn)")
    p.add_argument("--count", type=positive_int, default=10,
                   help="exercises, one per page, >= 1 (default 10)")
    p.add_argument("--seed", type=seed_int, default=0, help="same seed, same sheets (default 0)")
    p.add_argument("--lang", default="en", choices=LANGS, help="en or zh (default en)")
    p.add_argument("-o", "--output", type=Path, default=Path("worksheets.pdf"), metavar="FILE",
                   help="the sheets' PDF (default worksheets.pdf)")


def _worksheet_check(args: argparse.Namespace) -> None:
    from graphgrad.worksheet import answer_key_path

    check_output(args.output, "-o", (".pdf",))
    check_importable("pypdf", "worksheet", "worksheet")
    check_output(answer_key_path(args.output, args.lang), "-o (answer key)", (".pdf",))


def _worksheet_run(args: argparse.Namespace) -> int:
    from graphgrad.worksheet import write_worksheets

    sheets, key = write_worksheets(args.output, args.kind, args.count, args.seed, args.lang)
    print(f"wrote {sheets} ({args.count} pages) and the answer key {key}")
    return 0


register(Command(
    name="worksheet",
    help="write printable backprop exercises (PDF) and their answer key",
    description="Write COUNT exercises, one per A4 page: a graph of chapter 5 with a blank "
    "box under every arrow for the gradient. The answer key goes beside the output "
    "(NAME-answer-key.pdf, or NAME-答案.pdf with --lang zh). Needs the worksheet extra: "
    "pip install 'graphgrad[worksheet]'.",
    epilog="example:\n  graphgrad worksheet --kind apple_orange --count 30 --seed 7 --lang zh "
    "-o sheets.pdf",
    arguments=_worksheet_arguments, check=_worksheet_check, run=_worksheet_run,
    errors=lambda: (ImportError, ValueError),
))


# ---------------------------------------------------------------- graphgrad watch
# graphgrad/watch.py builds its own parser and checks; it is registered here.


def _watch_parser(sub: Any) -> argparse.ArgumentParser:
    from graphgrad import watch

    return watch.add_parser(sub)


def _watch_run(args: argparse.Namespace) -> int:
    from graphgrad import watch

    return watch.run(args)


register(Command(
    name="watch",
    help="train a small network on 2-D points and write a page that replays the training",
    description="(graphgrad/watch.py builds this parser)",
    arguments=None, run=_watch_run, parser=_watch_parser,
))
