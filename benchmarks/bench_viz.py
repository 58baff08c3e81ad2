"""How long viz takes to write DOT and to render PNG for graphs of 10 to 10,000 nodes.

    PYTHONPATH=. python benchmarks/bench_viz.py            # table for 10, 100, 1000, 10000
    PYTHONPATH=. python benchmarks/bench_viz.py --full-png-max 10000   # also lay out all 10k

Columns: DOT text for the whole graph (``max_nodes=None``) and with the default folding
(``max_nodes=150``); PNG rendering (Graphviz layout + drawing) of the default drawing, and of
the whole graph up to ``--full-png-max`` nodes (a full layout of 10,000 labelled nodes takes
Graphviz a long time and gives an unreadable picture, which is why folding is the default).
"""

from __future__ import annotations

import argparse
import time

import viz
from autograd import Node


def layered_graph(n_nodes: int) -> Node:
    """About ``n_nodes`` nodes: y <- tanh(y * w_i + b_i), a deep net shrunk to scalars."""
    y = Node(0.5, name="x", requires_grad=False)
    made = 1
    i = 0
    while made + 5 <= n_nodes:
        w, b = Node(0.9, name=f"w{i}"), Node(0.1, name=f"b{i}")
        y = (y * w + b).tanh()
        made += 5
        i += 1
    while made < n_nodes:  # top up to exactly n_nodes with single ops
        y = y.tanh()
        made += 1
    y.backward()
    return y


def best_of(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 1000, 10000])
    parser.add_argument("--full-png-max", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    backend = viz.backend()
    print(f"renderer: {backend or 'none (PNG columns skipped)'}")
    header = (
        f"{'nodes':>7} {'DOT full':>10} {'DOT default':>12} {'DOT size':>9} "
        f"{'PNG default':>12} {'PNG full':>10}"
    )
    print(header)
    print("-" * len(header))
    for n in args.sizes:
        root = layered_graph(n)
        assert len(viz.build_layout(root, max_nodes=None).nodes) == n + 1  # + output marker
        full = best_of(lambda r=root: viz.to_dot(r, max_nodes=None), args.repeat)
        default = best_of(lambda r=root: viz.to_dot(r), args.repeat)
        size = len(viz.to_dot(root, max_nodes=None).encode())
        png_default = png_full = "-"
        if backend:
            dot_default = viz.to_dot(root)
            png_default = f"{best_of(lambda d=dot_default: viz.dot_to_bytes(d, 'png'), 1):.3f}s"
            if n <= args.full_png_max:
                dot_full = viz.to_dot(root, max_nodes=None)
                png_full = f"{best_of(lambda d=dot_full: viz.dot_to_bytes(d, 'png'), 1):.3f}s"
        print(
            f"{n:>7} {full:>9.4f}s {default:>11.4f}s {size / 1e3:>7.0f}kB "
            f"{png_default:>12} {png_full:>10}"
        )


if __name__ == "__main__":
    main()
