"""``graphgrad watch``: train a small network on a 2-D data set and write a page that replays it.

    graphgrad watch --data spiral --steps 2000 -o watch.html
    graphgrad watch --data moons --hidden 10 10 10 10 --activation sigmoid --init 0.01

Every option is checked before training starts; a bad one is a one-line message saying what
is accepted.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from autograd.files import check_writable
from nn.playground import ACTIVATIONS, OPTIMIZERS
from nn.toy import DATASETS

EXAMPLES = """examples:
  graphgrad watch --data spiral -o watch.html
  graphgrad watch --data moons --hidden 10 10 10 10 --activation sigmoid --init xavier
  graphgrad watch --data circles --init 0.01 --steps 500 --lang zh
"""


def _init(text: str) -> str | float:
    if text in ("he", "xavier"):
        return text
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r}: use he, xavier or a positive number (the weights' std)") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text!r}: the std must be a positive number")
    return value


def _at_least(low: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"{value} is too small: use {low} or more")
        return value
    parse.__name__ = f"whole number ≥ {low}"
    return parse


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r}: the learning rate must be positive")
    return value


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``watch`` subcommand to the `graphgrad` parser."""
    p = sub.add_parser(
        "watch",
        help="train a small network on 2-D points and write a page that replays the training",
        description="Train a small fully connected network on a 2-D data set with graphgrad's "
        "engine, keep snapshots at log-spaced steps, and write one self-contained HTML page: "
        "decision regions, loss and accuracy curves, gradient norms, activation histograms "
        "and one example's computational graph at every snapshot.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--data", choices=list(DATASETS), default="spiral",
                   help="the 2-D data set (default spiral)")
    p.add_argument("--hidden", type=_at_least(1), nargs="+", default=[10, 10],
                   help="hidden layer sizes (default 10 10)")
    p.add_argument("--activation", choices=list(ACTIVATIONS), default="relu",
                   help="activation of the hidden layers (default relu)")
    p.add_argument("--init", type=_init, default="he",
                   help="weight init: he, xavier or a std such as 0.01 (default he)")
    p.add_argument("--optimizer", choices=list(OPTIMIZERS), default="sgd",
                   help="optimizer (default sgd)")
    p.add_argument("--lr", type=_positive, default=None,
                   help="learning rate (default: "
                   + ", ".join(f"{k} {v[1]:g}" for k, v in OPTIMIZERS.items()) + ")")
    p.add_argument("--steps", type=_at_least(1), default=2000,
                   help="training steps (default 2000)")
    p.add_argument("--batch-size", type=_at_least(1), default=None,
                   help="examples per step (default: the whole training set)")
    p.add_argument("--snapshots", type=_at_least(2), default=40,
                   help="snapshots kept, log-spaced over the steps (default 40)")
    p.add_argument("--examples", type=_at_least(1), default=15,
                   help="training points whose graph the page can show (default 15)")
    p.add_argument("--seed", type=int, default=0, help="seed of data, weights, batches")
    p.add_argument("--lang", choices=["en", "zh"], default=None,
                   help="language of the page (default: the browser's)")
    p.add_argument("-o", "--output", type=Path, default=Path("watch.html"),
                   help="where to write the page (default watch.html)")
    return p


def _fail(message: str) -> int:
    print(f"graphgrad watch: error: {message}", file=sys.stderr)
    return 2


def run(args: argparse.Namespace) -> int:
    """Run ``graphgrad watch`` with parsed arguments; returns the exit status."""
    problem = check_writable(args.output)
    if problem:
        return _fail(f"-o {args.output}: {problem}")
    from viz.messages import message
    from viz.watch import summary_line, watch

    page = watch(args.data, args.output, hidden=args.hidden, activation=args.activation,
                 init=args.init, optimizer=args.optimizer, lr=args.lr, steps=args.steps,
                 batch_size=args.batch_size, snapshots=args.snapshots, seed=args.seed,
                 examples=args.examples, lang=args.lang)
    lang = args.lang or "en"
    print(message("watch.recorded", lang, path=args.output, steps=args.steps,
                  snapshots=len(page.run.snapshots), summary=summary_line(page.run, lang)))
    print(message("watch.open", lang, uri=args.output.resolve().as_uri()))
    return 0
