"""Array ops: the engine's overhead on top of NumPy.

A chain of 10 array ops on (100, 784) float64 arrays, forward + backward, recorded by the engine
vs the same NumPy calls written out by hand (forward, then each local derivative in reverse).
Interleaved in one run; median (min–max) of repeats. Target: within 1.2x of hand-written NumPy.

    python benchmarks/bench_arrays.py [--repeats 30]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import autograd as ag  # noqa: E402
from autograd import Node  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _malloc import describe, ensure_steady_malloc  # noqa: E402

rng = np.random.default_rng(0)
X = rng.normal(size=(100, 784))
W = rng.normal(size=(100, 784))
C = rng.normal(size=(1, 784))


def engine_step(x: np.ndarray, w: Node, c: Node) -> np.ndarray:
    w.zero_grad()
    c.zero_grad()
    h = x * w                       # 1 mul
    h = h + c                       # 2 add (broadcast)
    h = ag.tanh(h)                  # 3 tanh
    h = h * 2.0                     # 4 mul by constant
    h = h - w                       # 5 sub
    h = ag.sigmoid(h)               # 6 sigmoid
    h = h * h                       # 7 square (fan-out)
    h = ag.relu(h - 0.25)           # 8 sub, 9 relu
    loss = h.sum()                  # 10 sum
    loss.backward(retain_grad=False)
    return w.grad


def numpy_step(x: np.ndarray, w: np.ndarray, c: np.ndarray) -> np.ndarray:
    h1 = x * w
    h2 = h1 + c
    h3 = np.tanh(h2)
    h4 = h3 * 2.0
    h5 = h4 - w
    h6 = 0.5 * (np.tanh(0.5 * h5) + 1.0)
    h7 = h6 * h6
    h8 = h7 - 0.25
    h9 = np.maximum(h8, 0.0)
    _ = h9.sum()
    g9 = np.ones_like(h9)
    g8 = g9 * (h8 > 0)
    g7 = g8
    g6 = g7 * h6 + g7 * h6
    g5 = g6 * h6 * (1.0 - h6)
    gw = -g5
    g4 = g5
    g3 = g4 * 2.0
    g2 = g3 * (1.0 - h3 * h3)
    _gc = g2.sum(axis=0, keepdims=True)
    g1 = g2
    gw = gw + g1 * x
    return gw


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=30)
    args = ap.parse_args()
    ensure_steady_malloc()
    w, c = Node(W.copy(), name="w"), Node(C.copy(), name="c")
    np.testing.assert_allclose(engine_step(X, w, c), numpy_step(X, W, C), rtol=1e-12)
    times: dict[str, list[float]] = {"numpy": [], "engine": []}
    for _ in range(args.repeats):
        for name, fn, a in (("numpy", numpy_step, (X, W, C)), ("engine", engine_step, (X, w, c))):
            t0 = time.perf_counter()
            fn(*a)
            times[name].append(time.perf_counter() - t0)
    med = {k: statistics.median(v) * 1e3 for k, v in times.items()}
    print("10 array ops on (100, 784) float64, forward + backward (same gradients, checked):")
    print(f"  {describe()}")
    for k in ("numpy", "engine"):
        print(f"  {k:<7} {med[k]:6.3f} ms ({min(times[k]) * 1e3:.3f}-{max(times[k]) * 1e3:.3f})")
    print(f"  engine / hand-written NumPy = {med['engine'] / med['numpy']:.2f}x (target <= 1.2x)")


if __name__ == "__main__":
    main()
