"""How long Graphviz's layout takes for the pictures and pages of issue 16's cases.

    PYTHONPATH=. python benchmarks/bench_layout.py              # the table below
    PYTHONPATH=. python benchmarks/bench_layout.py --uncapped   # also the big ones without nslimit
    PYTHONPATH=. python benchmarks/bench_layout.py --unsplit    # also the shared w drawn once

Rows: ``viz.render_svg`` (DOT -> Graphviz layout -> SVG) and ``viz.to_html`` (the same layout,
once, plus the replayed trace and the page) for

- the 70-step recurrence ``y = y * w + x`` with one shared ``w`` (and ``x``): 282 drawn nodes
  once each shared leaf is drawn once per use;
- the same recurrence with a fresh ``w_i``, ``x_i`` per step: the baseline that was always fast;
- a 750-node layered graph and a 40,000-op one at the default fold (150 drawn nodes): the page
  grows with the drawn nodes, not the folded ones (its size is the last column);
- graphs of about 2,000 drawn nodes (``max_nodes=None``): the layered chain
  ``y = tanh(y * w_i + b_i)``; a scalar MLP 2-12-12-1 on 4 points (micrograd's demo, the
  tangled case: every weight used once per point); a stack of 400 Affine + ReLU layers drawn
  with their frames (``group=True``);
- section 5.7's TwoLayerNet on a batch of 5 (``group=True``).

Each time is the best of ``--repeat`` runs (one for the big graphs), as wall-clock seconds and
as this process's CPU seconds (Graphviz runs inside it through pygraphviz), which is what a
quiet machine's wall clock would show when other jobs share the cores; ratios are to the
baseline row of the same run. Where the time goes (``perf`` on the 2,000-node graphs): 56-73% in
Graphviz's placement within ranks (the network simplex of ``dot_position``), 5-13% in crossing
minimisation, 2-3% in spline routing, 1-2% writing the SVG. Above ``viz.dot.BIG_LAYOUT`` drawn
nodes the placement is capped (``nslimit``); ``--uncapped`` shows those rows without the cap.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

from bench_viz import layered_graph  # noqa: E402

import autograd  # noqa: E402
import viz  # noqa: E402
import viz.dot  # noqa: E402
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


def scalar_mlp(sizes: tuple[int, ...] = (2, 12, 12, 1), points: int = 4, seed: int = 0) -> Node:
    """micrograd's demo: an MLP of scalar neurons (tanh), squared error summed over points."""
    rng = np.random.default_rng(seed)
    layers = [
        [([Node(float(rng.uniform(-1, 1)), name=f"w{i}_{j}_{k}") for k in range(fan_in)],
          Node(0.0, name=f"b{i}_{j}")) for j in range(width)]
        for i, (fan_in, width) in enumerate(zip(sizes, sizes[1:]))
    ]
    loss = None
    for p in range(points):
        xs = [Node(float(rng.uniform(-1, 1)), name=f"x{p}_{k}", requires_grad=False)
              for k in range(sizes[0])]
        for depth, layer in enumerate(layers):
            outs = []
            for ws, b in layer:
                act = b
                for w, x in zip(ws, xs):
                    act = act + w * x
                outs.append(act.tanh() if depth < len(layers) - 1 else act)
            xs = outs
        term = (xs[0] - 1.0) * (xs[0] - 1.0)
        loss = term if loss is None else loss + term
    loss.backward()
    return loss


def layer_stack(layers: int = 400, seed: int = 0) -> Node:
    """``layers`` Affine + ReLU layers on a (3, 4) batch, each op in its own scope (frames)."""
    rng = np.random.default_rng(seed)
    x = Node(rng.random((3, 4)), name="x", requires_grad=False)
    for i in range(1, layers + 1):
        with autograd.scope(f"Affine{i}"):
            x = x @ Node(rng.random((4, 4)), name=f"W{i}") + Node(rng.random(4), name=f"b{i}")
        with autograd.scope(f"ReLU{i}"):
            x = autograd.relu(x)
    loss = x.sum()
    loss.backward()
    return loss


def two_layer_net() -> Node:
    from nn.models import TwoLayerNet

    np.random.seed(0)
    net = TwoLayerNet(input_size=784, hidden_size=50, output_size=10)
    x = Node(np.random.rand(5, 784), name="x", requires_grad=False)
    loss = net.loss(x, np.eye(10)[[0, 1, 2, 3, 4]])
    loss.backward()
    return loss


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, float, object]:
    """Best wall-clock and best CPU seconds of `repeat` calls, and the last result."""
    walls, cpus = [], []
    for _ in range(repeat):
        w, c = time.perf_counter(), time.process_time()
        out = fn()
        walls.append(time.perf_counter() - w)
        cpus.append(time.process_time() - c)
    return min(walls), min(cpus), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--uncapped", action="store_true")
    parser.add_argument("--unsplit", action="store_true")
    args = parser.parse_args()
    if viz.backend() is None:
        sys.exit("needs a Graphviz renderer: pip install pygraphviz")
    everything = {"max_nodes": None}
    cases: list[tuple[str, Node, dict]] = [
        ("recurrence, fresh w_i (baseline)", recurrence(70, shared=False), {}),
        ("recurrence, one shared w", recurrence(70, shared=True), {}),
        ("layered 750 ops, default fold", layered_graph(750), {}),
        ("layered 40,000 ops, default fold", layered_graph(40_000), {}),
        ("layered chain, all drawn", layered_graph(2000), everything),
        ("scalar MLP 2-12-12-1 x4, all drawn", scalar_mlp(), everything),
        ("400 Affine+ReLU, group, all drawn", layer_stack(), {**everything, "group": True}),
        ("TwoLayerNet, group=True", two_layer_net(), {"group": True}),
    ]
    big = [c for c in cases if c[2].get("max_nodes", 1) is None]
    if args.uncapped:
        cases += [(f"{name} (no cap)", root, {**options, "_uncapped": True})
                  for name, root, options in big]
    if args.unsplit:
        cases.append(("recurrence, one shared w drawn once", recurrence(70, shared=True),
                      {"_unsplit": True}))
    print(f"{'graph':<42} {'drawn':>5} {'render_svg (cpu)':>17} {'ratio':>6} "
          f"{'to_html (cpu)':>17} {'ratio':>6} {'page':>8}")
    base: tuple[float, float] | None = None
    for name, root, options in cases:
        options = dict(options)
        unsplit, uncapped = options.pop("_unsplit", False), options.pop("_uncapped", False)
        saved = viz.layout.SPLIT_USES, viz.dot.BIG_LAYOUT
        viz.layout.SPLIT_USES = 10**9 if unsplit else saved[0]
        viz.dot.BIG_LAYOUT = 10**9 if uncapped else saved[1]
        try:
            drawn = len(viz.build_layout(root, **options).nodes)
            repeat = 1 if unsplit or drawn > 1000 or "40,000" in name else args.repeat
            svg, svg_cpu, _ = timed(lambda r=root, o=options: viz.render_svg(r, **o), repeat)
            page, page_cpu, text = timed(lambda r=root, o=options: viz.to_html(r, **o), repeat)
        finally:
            viz.layout.SPLIT_USES, viz.dot.BIG_LAYOUT = saved
        base = base or (svg_cpu, page_cpu)
        size = len(str(text).encode("utf-8"))
        print(f"{name:<42} {drawn:>5} {svg:>7.2f}s ({svg_cpu:>5.2f}s) {svg_cpu / base[0]:>5.1f}x "
              f"{page:>7.2f}s ({page_cpu:>5.2f}s) {page_cpu / base[1]:>5.1f}x "
              f"{size / 1e3:>6.0f}kB", flush=True)


if __name__ == "__main__":
    main()
