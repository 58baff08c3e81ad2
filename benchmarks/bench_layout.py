"""How long Graphviz's layout takes for the pictures and pages of issue 16's cases.

    PYTHONPATH=. python benchmarks/bench_layout.py              # the table below
    PYTHONPATH=. python benchmarks/bench_layout.py --unsplit    # also the shared w drawn once

Rows: ``viz.render_svg`` (DOT -> Graphviz layout -> SVG) and ``viz.to_html`` (the same layout plus
the replayed trace and the page) for

- the 70-step recurrence ``y = y * w + x`` with one shared ``w`` (and ``x``): 281 drawn nodes
  once each shared leaf is drawn once per use;
- the same recurrence with a fresh ``w_i``, ``x_i`` per step: the baseline that was always fast;
- a 750-node layered graph at the default fold (150 drawn nodes);
- the same graph unfolded to 2,000 drawn nodes (``max_nodes=None``);
- section 5.7's TwoLayerNet on a batch of 5 (``group=True``).

Each time is the best of ``--repeat`` runs, with its ratio to the baseline in the same run.
``--unsplit`` also times the shared-``w`` recurrence with every leaf drawn once (the layout that
took minutes before): it is slow, so it is off by default.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

from bench_viz import best_of, layered_graph  # noqa: E402

import viz  # noqa: E402
import viz.layout  # noqa: E402
from autograd import Node  # noqa: E402


def recurrence(steps: int, shared: bool) -> Node:
    """``y = y * w + x`` for `steps` steps; one ``w`` and ``x`` for all, or fresh ones."""
    w, x = Node(0.5, name="w"), Node(0.1, name="x", requires_grad=False)
    y = Node(1.0, name="y0")
    for i in range(steps):
        if not shared:
            w, x = Node(0.5, name=f"w{i}"), Node(0.1, name=f"x{i}", requires_grad=False)
        y = y * w + x
    y.backward()
    return y


def two_layer_net() -> Node:
    from nn.models import TwoLayerNet

    np.random.seed(0)
    net = TwoLayerNet(input_size=784, hidden_size=50, output_size=10)
    x = Node(np.random.rand(5, 784), name="x", requires_grad=False)
    loss = net.loss(x, np.eye(10)[[0, 1, 2, 3, 4]])
    loss.backward()
    return loss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--unsplit", action="store_true")
    args = parser.parse_args()
    if viz.backend() is None:
        sys.exit("needs a Graphviz renderer: pip install pygraphviz")
    cases = [
        ("recurrence, fresh w_i (baseline)", recurrence(70, shared=False), {}),
        ("recurrence, one shared w", recurrence(70, shared=True), {}),
        ("layered graph, default fold", layered_graph(750), {}),
        ("layered graph, 2,000 drawn nodes", layered_graph(2000), {"max_nodes": None}),
        ("TwoLayerNet, group=True", two_layer_net(), {"group": True}),
    ]
    if args.unsplit:
        cases.append(("recurrence, one shared w drawn once", recurrence(70, shared=True),
                      {"_unsplit": True}))
    print(f"{'graph':<38} {'drawn':>6} {'render_svg':>11} {'ratio':>6} {'to_html':>9} {'ratio':>6}")
    base: tuple[float, float] | None = None
    for name, root, options in cases:
        unsplit = options.pop("_unsplit", False)
        saved = viz.layout.SPLIT_USES
        if unsplit:
            viz.layout.SPLIT_USES = 10**9
        try:
            drawn = len(viz.build_layout(root, **options).nodes)
            repeat = 1 if unsplit or drawn > 1000 else args.repeat
            svg = best_of(lambda r=root, o=options: viz.render_svg(r, **o), repeat)
            page = best_of(lambda r=root, o=options: viz.to_html(r, **o), repeat)
        finally:
            viz.layout.SPLIT_USES = saved
        base = base or (svg, page)
        print(f"{name:<38} {drawn:>6} {svg:>10.3f}s {svg / base[0]:>5.1f}x "
              f"{page:>8.3f}s {page / base[1]:>5.1f}x")


if __name__ == "__main__":
    main()
