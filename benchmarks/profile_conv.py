"""Where the SimpleConvNet training step's milliseconds go: per layer, forward and backward.

Three columns, timed interleaved in one process (the order rotates every repeat; medians):

- **graphgrad**: the book's ``net.gradient(x, t)`` path, each layer's ``forward``/``backward``
  timed on its own (the first layer skips ``dx``, as ``gradient`` does), then the SGD update;
- **PyTorch CPU**: the same network cut into the same layers; each layer's input is a detached
  tensor, so its backward can be timed alone (``out.backward(g)``; the data batch needs no grad);
- **products alone** (the floor): only the matrix products of that layer, on ready-made inputs:
  the convolution's per-sample products ``W_col @ col[n]`` and ``G[n] @ col[n]ᵀ`` (the im2col
  copy not counted), and the Affine layers' ``x·W``, ``xᵀ·G``, ``G·Wᵀ``.

Times are this thread's CPU time (``time.thread_time``) unless ``--clock wall``: on a machine
shared with other jobs, wall time mostly measures waiting for a core. BLAS and PyTorch run on
one thread, in this one, so its CPU time is the work done.

    python benchmarks/profile_conv.py [--repeats 21] [--dtypes float32 float64] [--clock cpu]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))


def parse() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=21)
    ap.add_argument("--threads", type=int, default=1, help="BLAS and PyTorch threads (default 1)")
    ap.add_argument("--dtypes", nargs="+", default=["float32", "float64"])
    ap.add_argument("--clock", choices=["cpu", "wall"], default="cpu",
                    help="this thread's CPU time (default) or wall time")
    return ap.parse_args()


tick = time.thread_time


ROWS = ["Conv1", "Relu1", "Pool1", "Affine1", "Relu2", "Affine2", "SoftmaxWithLoss"]


class Timer:
    """Seconds per (name, phase) over the repeats."""

    def __init__(self) -> None:
        self.times: dict[tuple[str, str, str], list[float]] = {}

    def add(self, who: str, name: str, phase: str, seconds: float) -> None:
        self.times.setdefault((who, name, phase), []).append(seconds)

    def median_ms(self, who: str, name: str, phase: str) -> float | None:
        ts = self.times.get((who, name, phase))
        return None if not ts else statistics.median(ts) * 1e3


def ours_step(net: Any, timer: Timer) -> Callable[[Any, Any, bool], None]:
    """``net.gradient`` written out so that each layer call is timed (same calls, same order)."""
    layers = list(net.layers.items())

    def run(x: Any, t: Any, record: bool) -> None:
        h = x
        for name, layer in layers:
            t0 = tick()
            h = layer.forward(h)
            t1 = tick()
            if record:
                timer.add("graphgrad", name, "forward", t1 - t0)
        t0 = tick()
        net.last_layer.forward(h, t)
        dout = net.last_layer.backward(1)
        t1 = tick()
        if record:
            timer.add("graphgrad", "SoftmaxWithLoss", "forward+backward", t1 - t0)
        for i, (name, layer) in enumerate(reversed(layers)):
            t0 = tick()
            if i == len(layers) - 1:
                layer.backward(dout, need_dx=False)
            else:
                dout = layer.backward(dout)
            t1 = tick()
            if record:
                timer.add("graphgrad", name, "backward", t1 - t0)
        t0 = tick()
        for key, (layer_key, attr) in net._owners.items():
            net.params[key] -= 0.1 * getattr(net.layers[layer_key], "d" + attr)
        if record:
            timer.add("graphgrad", "SGD update", "", tick() - t0)
    return run


def torch_step(th: Any, params: dict, timer: Timer) -> Callable[[Any, Any, bool], None]:
    """The same layers in PyTorch, each on a detached input so its backward is timed alone."""
    F = th.nn.functional
    p = {k: th.from_numpy(v.copy()).requires_grad_(True) for k, v in params.items()}
    funcs = [("Conv1", lambda h: F.conv2d(h, p["W1"], p["b1"])), ("Relu1", F.relu),
             ("Pool1", lambda h: F.max_pool2d(h, 2)),
             ("Affine1", lambda h: h.flatten(1) @ p["W2"] + p["b2"]), ("Relu2", F.relu),
             ("Affine2", lambda h: h @ p["W3"] + p["b3"])]

    def run(x: Any, t: Any, record: bool) -> None:
        h = th.from_numpy(x)
        tt = th.from_numpy(t)
        ins, outs = [], []
        for i, (name, f) in enumerate(funcs):
            inp = h if i == 0 else h.detach().requires_grad_(True)
            t0 = tick()
            h = f(inp)
            t1 = tick()
            ins.append(inp)
            outs.append(h)
            if record:
                timer.add("PyTorch", name, "forward", t1 - t0)
        logits = h.detach().requires_grad_(True)
        t0 = tick()
        loss = F.cross_entropy(logits, tt)
        loss.backward()
        t1 = tick()
        if record:
            timer.add("PyTorch", "SoftmaxWithLoss", "forward+backward", t1 - t0)
        g = logits.grad
        for i in range(len(funcs) - 1, -1, -1):
            t0 = tick()
            outs[i].backward(g)
            t1 = tick()
            g = ins[i].grad
            if record:
                timer.add("PyTorch", funcs[i][0], "backward", t1 - t0)
        t0 = tick()
        with th.no_grad():
            for v in p.values():
                v -= 0.1 * v.grad
                v.grad = None
        if record:
            timer.add("PyTorch", "SGD update", "", tick() - t0)
    return run


def floor_step(np: Any, params: dict, x: Any, timer: Timer) -> Callable[[Any, Any, bool], None]:
    """The step's matrix products alone, per layer, on ready-made inputs of the right shapes."""
    from nn.kernels import image_columns

    W1 = params["W1"]
    FN = W1.shape[0]
    W_col = W1.reshape(FN, -1)
    col = image_columns(x, W1.shape[2:])  # (N, C·FH·FW, OH·OW)
    rng = np.random.default_rng(0)
    g1 = rng.standard_normal((x.shape[0], FN, col.shape[2])).astype(x.dtype)
    a1 = rng.standard_normal((x.shape[0], params["W2"].shape[0])).astype(x.dtype)
    W2, W3 = params["W2"], params["W3"]
    a2 = rng.standard_normal((x.shape[0], W2.shape[1])).astype(x.dtype)
    g2, g3 = a2.copy(), rng.standard_normal((x.shape[0], W3.shape[1])).astype(x.dtype)
    colT = col.transpose(0, 2, 1)
    jobs = [("Conv1", "forward", lambda: np.matmul(W_col, col)),
            ("Affine1", "forward", lambda: a1 @ W2),
            ("Affine2", "forward", lambda: a2 @ W3),
            ("Affine2", "backward", lambda: (a2.T @ g3, g3 @ W3.T)),
            ("Affine1", "backward", lambda: (a1.T @ g2, g2 @ W2.T)),
            ("Conv1", "backward", lambda: np.matmul(g1, colT).sum(axis=0))]

    def run(_x: Any, _t: Any, record: bool) -> None:
        for name, phase, job in jobs:
            t0 = tick()
            job()
            t1 = tick()
            if record:
                timer.add("products alone", name, phase, t1 - t0)
    return run


def profile(dtype_name: str, repeats: int) -> str:
    import bench_peers as bp
    import numpy as np

    from nn import SimpleConvNet

    dtype = np.dtype(dtype_name).type
    data, source = bp.batches(False, dtype, count=4)
    params = {k: v.astype(dtype) for k, v in bp.conv_params().items()}
    net = SimpleConvNet().astype(dtype)
    for k in net.params:
        net.params[k][...] = params[k]
    timer = Timer()
    runs = {"graphgrad": ours_step(net, timer), "products alone": floor_step(np, params,
                                                                            data[0][0], timer)}
    th = bp.torch()
    if th is not None:
        runs["PyTorch"] = torch_step(th, params, timer)
    names = list(runs)
    for r in range(repeats + 1):  # the first round warms up and is not recorded
        for name in names[r % len(names):] + names[:r % len(names)]:
            x, t = data[r % len(data)]
            runs[name](x, t, r > 0)
    cols = ["graphgrad", "PyTorch", "products alone"]
    lines = [f"SimpleConvNet step, batch 100 of {source}, {dtype_name}: median ms of {repeats} "
             "interleaved repeats", "",
             "| layer | phase | " + " | ".join(cols) + " | graphgrad ÷ PyTorch |",
             "| --- | --- | " + " | ".join("---:" for _ in cols) + " | ---: |"]
    order = ([(n, "forward") for n in ROWS[:-1]] + [("SoftmaxWithLoss", "forward+backward")]
             + [(n, "backward") for n in reversed(ROWS[:-1])] + [("SGD update", "")])
    totals = dict.fromkeys(cols, 0.0)
    for name, phase in order:
        cells = []
        for who in cols:
            v = timer.median_ms(who, name, phase)
            cells.append("—" if v is None else f"{v:.2f}")
            totals[who] += v or 0.0
        ours, theirs = (timer.median_ms(w, name, phase) for w in ("graphgrad", "PyTorch"))
        ratio = f"{ours / theirs:.2f}x" if ours and theirs else "—"
        lines.append(f"| {name} | {phase} | " + " | ".join(cells) + f" | {ratio} |")
    ratio = (f"{totals['graphgrad'] / totals['PyTorch']:.2f}x" if totals["PyTorch"] else "—")
    lines.append("| **sum** | | " + " | ".join(f"**{totals[w]:.2f}**" for w in cols)
                 + f" | **{ratio}** |")
    return "\n".join(lines)


def main() -> None:
    global tick
    args = parse()
    if args.clock == "wall":
        tick = time.perf_counter
    from _malloc import describe, ensure_steady_malloc

    ensure_steady_malloc()
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.threads)
    import bench_peers as bp

    th = bp.torch()
    if th is not None:
        th.set_num_threads(args.threads)
    print(f"{describe()}; {args.threads} BLAS/torch thread(s); {args.clock} time; "
          f"{'torch ' + th.__version__ if th is not None else 'no torch'}")
    for dtype_name in args.dtypes:
        print()
        print(profile(dtype_name, args.repeats))


if __name__ == "__main__":
    main()
