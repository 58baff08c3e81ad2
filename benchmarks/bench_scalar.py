"""Scalar engine vs micrograd: record + backward of a scalar MLP graph, gc on and off.

The workload is micrograd's own demo: an MLP 2-16-16-1 built from scalar values, 100 samples,
SVM hinge loss plus L2 regularisation (about 70k ops). Both engines run the same code, interleaved
in one process, so machine noise hits both alike. Reported: median (min–max) milliseconds and the
ratio reference / ours. Also: memory per node, and whether a dropped graph is freed without gc.

    python benchmarks/bench_scalar.py [--repeats 7] [--samples 100]
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import sys
import time
import tracemalloc
import weakref
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from micrograd_ref import Value  # noqa: E402

from autograd import Node  # noqa: E402


def make_moons(n: int, seed: int = 1) -> tuple[list[list[float]], list[float]]:
    """Two interleaved half-circles with labels ±1 (as sklearn's make_moons)."""
    import math

    rng = random.Random(seed)
    xs, ys = [], []
    for i in range(n):
        t = math.pi * rng.random()
        if i % 2:
            xs.append([math.cos(t) + rng.gauss(0, 0.1), math.sin(t) + rng.gauss(0, 0.1)])
            ys.append(1.0)
        else:
            xs.append([1 - math.cos(t) + rng.gauss(0, 0.1), 0.5 - math.sin(t) + rng.gauss(0, 0.1)])
            ys.append(-1.0)
    return xs, ys


def make_mlp(make, sizes=(2, 16, 16, 1), seed: int = 0):
    """Weights as leaves of either engine: layers of (weights per neuron, bias)."""
    rng = random.Random(seed)
    layers = []
    for fan_in, fan_out in zip(sizes, sizes[1:]):
        layers.append([([make(rng.uniform(-1, 1)) for _ in range(fan_in)], make(0.0))
                       for _ in range(fan_out)])
    return layers


def parameters(layers):
    return [p for layer in layers for w, b in layer for p in (*w, b)]


def forward_loss(layers, xs, ys):
    """micrograd's demo loss: mean hinge loss + 1e-4 * sum of squared weights."""
    scores = []
    for x in xs:
        h = x
        for k, layer in enumerate(layers):
            last = k == len(layers) - 1
            out = []
            for w, b in layer:
                act = sum((wi * hi for wi, hi in zip(w, h)), b)
                out.append(act if last else act.relu())
            h = out
        scores.append(h[0])
    losses = [(1 + -y * s).relu() for y, s in zip(ys, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = 1e-4 * sum(p * p for p in parameters(layers))
    return data_loss + reg_loss


def step(engine: str, layers, xs, ys) -> float:
    """Record the graph and backpropagate; returns seconds."""
    t0 = time.perf_counter()
    loss = forward_loss(layers, xs, ys)
    if engine == "ours":
        for p in parameters(layers):
            p.grad = None
    else:
        for p in parameters(layers):
            p.grad = 0
    loss.backward()
    elapsed = time.perf_counter() - t0
    del loss
    return elapsed


def count_nodes(loss) -> int:
    from autograd import topological_order

    return sum(1 for n in topological_order(loss) if not n.is_leaf)


def memory_per_op(layers, xs, ys) -> int:
    """Bytes held by the recorded graph (tracemalloc, right after recording)."""
    gc.collect()
    tracemalloc.start()
    loss = forward_loss(layers, xs, ys)
    current, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del loss
    gc.collect()
    return current


def freed_without_gc(layers) -> bool:
    """Whether a dropped graph is freed by reference counting alone (the cycle collector off)."""
    gc.disable()
    try:
        xs, ys = make_moons(4)
        loss = forward_loss(layers, xs, ys)
        loss.backward()
        ref = weakref.ref(loss)
        del loss
        return ref() is None
    finally:
        gc.enable()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--samples", type=int, default=100)
    args = ap.parse_args()

    xs, ys = make_moons(args.samples)
    ours, ref = make_mlp(Node), make_mlp(Value)

    # same gradients as the reference
    step("ours", ours, xs, ys)
    step("ref", ref, xs, ys)
    worst = max(abs(a.grad - b.grad) for a, b in zip(parameters(ours), parameters(ref)))
    loss = forward_loss(ours, xs, ys)
    ops = count_nodes(loss)
    del loss

    rows = []
    for gc_on in (True, False):
        times = {"ours": [], "ref": []}
        (gc.enable if gc_on else gc.disable)()
        for _ in range(args.repeats):
            for engine, layers in (("ref", ref), ("ours", ours)):
                # collect untimed, so neither engine's leftovers are charged to the other
                gc.collect()
                times[engine].append(step(engine, layers, xs, ys))
        gc.enable()
        rows.append((gc_on, times))

    mem_ours = memory_per_op(ours, xs, ys)
    mem_ref = memory_per_op(ref, xs, ys)

    print(f"scalar MLP 2-16-16-1, {args.samples} samples, hinge loss: {ops} recorded ops; "
          f"max |grad ours - grad reference| = {worst:.1e}")
    print(f"{'gc':<4} {'reference ms':>22} {'ours ms':>22} {'speed-up':>9}")
    for gc_on, times in rows:
        r, o = (statistics.median(times[k]) * 1e3 for k in ("ref", "ours"))
        rr = f"{r:7.1f} ({min(times['ref'])*1e3:.0f}-{max(times['ref'])*1e3:.0f})"
        oo = f"{o:7.1f} ({min(times['ours'])*1e3:.0f}-{max(times['ours'])*1e3:.0f})"
        print(f"{'on' if gc_on else 'off':<4} {rr:>22} {oo:>22} {r / o:8.2f}x")
    print(f"memory of the recorded graph: reference {mem_ref / ops:.0f} B/op, "
          f"ours {mem_ours / ops:.0f} B/op")
    print(f"dropped graph freed without the cycle collector: "
          f"ours {freed_without_gc(make_mlp(Node))}, "
          f"reference {freed_without_gc(make_mlp(Value))}")


if __name__ == "__main__":
    main()
