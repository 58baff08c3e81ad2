"""The `graphgrad` command: ``graphgrad demo``, ``graphgrad train``, ``graphgrad explore``."""

from __future__ import annotations

import argparse
from pathlib import Path


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for all subcommands."""
    parser = argparse.ArgumentParser(prog="graphgrad", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="backprop the apple/orange graph, draw it, train on MNIST")
    demo.add_argument("--out", type=Path, default=Path("out"), help="folder for pictures")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `graphgrad` console script."""
    args = build_parser().parse_args(argv)
    if args.command == "demo":
        from graphgrad import demo

        return demo.run(args.out)
    raise AssertionError(args.command)  # argparse rejects unknown commands first
