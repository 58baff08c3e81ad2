"""Graph-size sweep: record + backward time and memory per op, from 1,000 to 1,000,000 ops.

The graph is a scalar RNN unrolled in time: 8 hidden units, one shared 8×8 weight matrix and
bias, ``h_j ← tanh(Σ_i W_ji · h_i + b_j)`` per step, 136 ops a step; the loss is the sum of the
last hidden state. It is deep (one step after another) and wide (every weight is used once per
step, so gradients fan in from every step), and it has a fixed number of leaves, so every byte
it grows by belongs to the recorded graph.

If the engine is linear, time per op and bytes per op stay flat as the graph grows a thousandfold;
`main` prints both and the fitted exponents (time ∝ n^k).

    python benchmarks/bench_sweep.py [--sizes 1e3 1e4 1e5 1e6] [--repeats 3]
"""

from __future__ import annotations

import argparse
import gc
import math
import random
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from autograd import Node  # noqa: E402

WIDTH = 8
OPS_PER_STEP = WIDTH * (2 * WIDTH + 1)  # WIDTH products, WIDTH sums (starting at b_j), one tanh


def make_weights(seed: int = 0) -> tuple[list[list[Node]], list[Node]]:
    """The shared recurrent weights W (WIDTH × WIDTH) and bias b, as leaves."""
    rng = random.Random(seed)
    scale = 1.0 / math.sqrt(WIDTH)
    W = [[Node(rng.uniform(-scale, scale)) for _ in range(WIDTH)] for _ in range(WIDTH)]
    b = [Node(rng.uniform(-0.1, 0.1)) for _ in range(WIDTH)]
    return W, b


def steps_for(n_ops: int) -> int:
    """How many time steps make about n_ops recorded ops."""
    return max(1, round(n_ops / OPS_PER_STEP))


def record(W: list[list[Node]], b: list[Node], steps: int) -> Node:
    """Unroll the RNN for `steps` steps from h = 0.5 and return the loss (sum of the last h)."""
    h: list = [0.5] * WIDTH
    for _ in range(steps):
        h = [(sum((w * hi for w, hi in zip(row, h)), bj)).tanh() for row, bj in zip(W, b)]
    return sum(h[1:], h[0])


def ops_of(steps: int) -> int:
    """Recorded ops of a `steps`-step graph (the final sum adds WIDTH − 1)."""
    return steps * OPS_PER_STEP + WIDTH - 1


def time_once(W, b, steps: int) -> float:
    """Seconds to record the graph and backpropagate through it (the graph is freed untimed)."""
    for p in (*[w for row in W for w in row], *b):
        p.grad = None
    t0 = time.perf_counter()
    loss = record(W, b, steps)
    loss.backward()
    elapsed = time.perf_counter() - t0
    del loss
    return elapsed


def memory_once(W, b, steps: int) -> tuple[int, int]:
    """Bytes held by the recorded graph (tracemalloc, after recording) and the peak through
    backward (graph + gradients)."""
    gc.collect()
    tracemalloc.start()
    loss = record(W, b, steps)
    held, _ = tracemalloc.get_traced_memory()
    loss.backward()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del loss
    gc.collect()
    return held, peak


def sweep(sizes: list[int], repeats: int = 3, gc_modes: tuple[bool, ...] = (True, False),
          min_time: float = 0.05) -> list[dict]:
    """For each size: per-op seconds (per gc mode, each run = one repeat) and bytes per op.

    Small graphs are recorded several times per repeat so each timed run lasts `min_time`.
    """
    W, b = make_weights()
    results = []
    for n in sizes:
        steps = steps_for(n)
        ops = ops_of(steps)
        one = time_once(W, b, steps)  # warm-up, and how many runs make min_time
        runs = max(1, math.ceil(min_time / one)) if one < min_time else 1
        per_op: dict[bool, list[float]] = {}
        for gc_on in gc_modes:
            (gc.enable if gc_on else gc.disable)()
            try:
                samples = []
                for _ in range(repeats):
                    gc.collect()
                    total = sum(time_once(W, b, steps) for _ in range(runs))
                    samples.append(total / runs / ops)
                per_op[gc_on] = samples
            finally:
                gc.enable()
        held, peak = memory_once(W, b, steps)
        results.append({"size": n, "ops": ops, "per_op": per_op,
                        "bytes_per_op": held / ops, "peak_per_op": peak / ops})
    return results


def exponent(xs: list[float], ys: list[float]) -> float:
    """Least-squares slope of log y against log x: y ∝ x^slope (1.0 = linear)."""
    lx, ly = [math.log(x) for x in xs], [math.log(y) for y in ys]
    mx, my = statistics.fmean(lx), statistics.fmean(ly)
    return (sum((a - mx) * (c - my) for a, c in zip(lx, ly))
            / sum((a - mx) ** 2 for a in lx))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=float, nargs="+", default=[1e3, 1e4, 1e5, 1e6])
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args(argv)
    results = sweep([int(s) for s in args.sizes], args.repeats)
    print(f"{'ops':>10} {'µs/op gc on':>22} {'µs/op gc off':>22} {'B/op graph':>11} "
          f"{'B/op peak':>10}")
    for r in results:
        cols = []
        for gc_on in (True, False):
            s = [v * 1e6 for v in r["per_op"][gc_on]]
            cols.append(f"{statistics.median(s):.2f} ({min(s):.2f}-{max(s):.2f})")
        print(f"{r['ops']:>10,} {cols[0]:>22} {cols[1]:>22} {r['bytes_per_op']:>11.0f} "
              f"{r['peak_per_op']:>10.0f}")
    ops = [r["ops"] for r in results]
    for gc_on in (True, False):
        total = [statistics.median(r["per_op"][gc_on]) * r["ops"] for r in results]
        print(f"time ∝ ops^{exponent(ops, total):.3f} (gc {'on' if gc_on else 'off'})")
    print(f"memory ∝ ops^{exponent(ops, [r['bytes_per_op'] * r['ops'] for r in results]):.3f}")


if __name__ == "__main__":
    main()
