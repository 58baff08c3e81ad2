"""What keeping every intermediate gradient costs a training step (backward's retain_grad).

viz needs every node's gradient after backward, so ``backward()`` keeps them by default. Training
passes ``retain_grad=False``: each intermediate gradient is dropped as soon as it has been used.
This measures both on the PyTorch-style TwoLayerNet(784, 50, 10) step (batch 100, float64): peak
memory of the step (tracemalloc) and time (interleaved, median with min–max).

    python benchmarks/bench_retain.py [--repeats 200]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _malloc import describe, ensure_steady_malloc  # noqa: E402

import nn  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=200)
    args = ap.parse_args()
    ensure_steady_malloc()
    rng = np.random.default_rng(0)
    x = rng.random((100, 784))
    t = rng.integers(0, 10, size=100)
    np.random.seed(0)
    model = nn.TwoLayerNet(784, 50, 10)
    opt = nn.SGD(model.parameters(), lr=0.1)
    loss_layer = nn.SoftmaxWithLoss()

    def step(retain: bool) -> None:
        opt.zero_grad()
        loss = loss_layer.forward(model(x), t)
        loss.backward(retain_grad=retain)
        opt.step()

    peaks = {}
    for retain in (True, False):
        step(retain)
        tracemalloc.start()
        step(retain)
        peaks[retain] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    times: dict[bool, list[float]] = {True: [], False: []}
    for _ in range(args.repeats):
        for retain in (True, False):
            t0 = time.perf_counter()
            step(retain)
            times[retain].append(time.perf_counter() - t0)
    print("TwoLayerNet(784, 50, 10) PyTorch-style step, batch 100, float64")
    print(f"  {describe()}")
    for retain in (True, False):
        ts = times[retain]
        print(f"  retain_grad={retain!s:<5}  peak {peaks[retain] / 1e6:5.2f} MB   "
              f"{statistics.median(ts) * 1e3:.3f} ms ({min(ts) * 1e3:.3f}-{max(ts) * 1e3:.3f})")
    print(f"  retain_grad=False saves {(peaks[True] - peaks[False]) / 1e3:.0f} kB of peak memory "
          f"per step ({1 - peaks[False] / peaks[True]:.0%})")


if __name__ == "__main__":
    main()
