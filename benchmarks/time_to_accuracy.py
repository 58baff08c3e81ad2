"""Time to 0.985 test accuracy: SimpleConvNet with Adam (lr 0.001, batch 100), graphgrad vs PyTorch.

Both start from the same parameters (the book's init, std 0.01) and see the same mini-batches in
the same order; each uses its own Adam (graphgrad's is the book's, ε = 1e-7 inside the square
root's denominator; PyTorch's ``torch.optim.Adam``). They train in alternating chunks of
``--eval-every`` iterations, so both meet the same machine load; after each chunk the test
accuracy (10,000 images) is measured, untimed. Reported: iterations, epochs and training time
(this thread's CPU time, and wall time) until the test accuracy first reaches the target.

A run of several minutes, once: this is a benchmark script, not a test.

    python benchmarks/time_to_accuracy.py [--target 0.985] [--dtype float32] [--max-iters 9000]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))


def parse() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--target", type=float, default=0.985)
    ap.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    ap.add_argument("--max-iters", type=int, default=9000)
    ap.add_argument("--eval-every", type=int, default=100)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    return ap.parse_args()


class Runner:
    """One framework's training loop, run a chunk at a time; keeps its clocks and accuracy."""

    def __init__(self, name: str, step: Any, accuracy: Any) -> None:
        self.name, self.step, self.accuracy = name, step, accuracy
        self.cpu = self.wall = 0.0
        self.iters = 0
        self.reached: tuple[int, float, float, float] | None = None
        self.last_acc = 0.0

    def chunk(self, batches: list[tuple[Any, Any]], target: float) -> None:
        c0, w0 = time.thread_time(), time.perf_counter()
        for x, t in batches:
            self.step(x, t)
        self.cpu += time.thread_time() - c0
        self.wall += time.perf_counter() - w0
        self.iters += len(batches)
        self.last_acc = self.accuracy()
        if self.reached is None and self.last_acc >= target:
            self.reached = (self.iters, self.last_acc, self.cpu, self.wall)


def graphgrad_runner(params: dict, dtype: Any, x_test: Any, t_test: Any) -> Runner:
    from nn import Adam, SimpleConvNet

    net = SimpleConvNet().astype(dtype)
    for key in net.params:
        net.params[key][...] = params[key]
    opt = Adam(lr=0.001)

    def step(x: Any, t: Any) -> None:
        opt.update(net.params, net.gradient(x, t))

    return Runner("graphgrad", step, lambda: net.accuracy(x_test, t_test))


def torch_runner(th: Any, params: dict, x_test: Any, t_test: Any) -> Runner:
    F = th.nn.functional
    p = {k: th.from_numpy(v.copy()).requires_grad_(True) for k, v in params.items()}
    opt = th.optim.Adam(p.values(), lr=0.001)

    def forward(x: Any) -> Any:
        h = F.max_pool2d(F.relu(F.conv2d(x, p["W1"], p["b1"])), 2)
        h = F.relu(h.flatten(1) @ p["W2"] + p["b2"])
        return h @ p["W3"] + p["b3"]

    def step(x: Any, t: Any) -> None:
        loss = F.cross_entropy(forward(th.from_numpy(x)), th.from_numpy(t))
        opt.zero_grad()
        loss.backward()
        opt.step()

    xt, tt = th.from_numpy(x_test), th.from_numpy(t_test)

    def accuracy() -> float:
        with th.no_grad():
            hits = sum(int((forward(xt[i:i + 1000]).argmax(1) == tt[i:i + 1000]).sum())
                       for i in range(0, len(xt), 1000))
        return hits / len(xt)

    return Runner("PyTorch", step, accuracy)


def main() -> None:
    args = parse()
    from _malloc import describe, ensure_steady_malloc

    ensure_steady_malloc()
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.threads)
    import bench_peers as bp
    import numpy as np
    from bench_nn import mnist_dir

    from nn.datasets import load_mnist

    dtype = np.dtype(args.dtype).type
    (x_train, t_train), (x_test, t_test) = load_mnist(normalize=True, flatten=False,
                                                      directory=mnist_dir(), download=False)
    x_train, x_test = x_train.astype(dtype), x_test.astype(dtype)
    t_train, t_test = t_train.astype(np.int64), t_test.astype(np.int64)
    params = {k: v.astype(dtype) for k, v in bp.conv_params(args.seed).items()}
    runners = [graphgrad_runner(params, dtype, x_test, t_test)]
    th = bp.torch()
    if th is not None:
        th.set_num_threads(args.threads)
        th.manual_seed(args.seed)
        runners.append(torch_runner(th, params, x_test, t_test))
    print(f"SimpleConvNet, Adam lr 0.001, batch 100, {args.dtype}, {args.threads} thread(s); "
          f"{describe()}; {'torch ' + th.__version__ if th is not None else 'no torch'}",
          flush=True)
    rng = np.random.default_rng(args.seed)
    done = 0
    while done < args.max_iters and any(r.reached is None for r in runners):
        picks = [rng.choice(len(x_train), 100) for _ in range(args.eval_every)]
        batches = [(x_train[i], t_train[i]) for i in picks]
        for r in runners:
            if r.reached is None:
                r.chunk(batches, args.target)
        done += args.eval_every
        print(f"  iter {done:5d}: " + ", ".join(f"{r.name} test acc {r.last_acc:.4f}"
                                                 for r in runners), flush=True)
    print(f"\nTime to test accuracy ≥ {args.target} (training only; evaluation untimed):")
    for r in runners:
        if r.reached is None:
            print(f"  {r.name}: not reached in {r.iters} iterations "
                  f"(last {r.last_acc:.4f}; {r.cpu:.1f} s CPU, {r.wall:.1f} s wall)")
            continue
        iters, acc, cpu, wall = r.reached
        print(f"  {r.name}: {iters} iterations ({iters * 100 / len(x_train):.1f} epochs), "
              f"test acc {acc:.4f}; {cpu:.1f} s CPU, {wall:.1f} s wall "
              f"({cpu / iters * 1e3:.1f} ms CPU per iteration)")


if __name__ == "__main__":
    main()
