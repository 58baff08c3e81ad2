"""nn training-step speed: our networks vs the same step written by hand in NumPy, in one process.

Workloads (MNIST shapes; real MNIST batches when ``$MNIST_DIR`` or ../shared/datasets/mnist has
the files, random pixels otherwise), one training step = gradient + SGD update (lr 0.1):

- **two-layer**: TwoLayerNet(784, 50, 10), batch 100, float64 and float32, one-hot labels (as
  the book's train_neuralnet.py). Ours three ways: ``net.gradient`` (the layer chain) and the
  book's update loop; ``net.gradient_by_engine`` (Nodes + ``loss.backward``) and the same loop;
  PyTorch style (``zero_grad`` / ``loss.backward(retain_grad=False)`` / ``SGD.step``, where the
  graph also carries the layer scopes viz reads). Reference: a hand-written
  NumPy step (forward, loss, backward, update; no gradient for the input batch). PyTorch CPU too,
  if ``import torch`` works.
- **conv**: SimpleConvNet() (30 5×5 filters → ReLU → 2×2 max pool → 100 → ReLU → 10), batch 100.
  References: the same step by hand with the book's ``im2col``/``col2im``, and by hand with
  ``nn.utils.im2col``/``col2im`` (our kernels, so that ratio is the cost of layers and engine).

All variants run interleaved in a rotating order, `inner` steps per repeat; reported: median
milliseconds per step (min–max over repeats) and the ratio to the hand-written NumPy step, taken
per repeat (paired, so a slow moment hits both) — median (min–max).

BLAS runs single-threaded unless ``--threads N``: on a small shared machine multithreaded BLAS
for these sizes mostly measures thread contention.

``--train-mnist`` instead runs the book's chapter 5 acceptance run with our TwoLayerNet (10,000
iterations, batch 100, lr 0.1, through ``graphgrad train``) and prints test accuracy and time. The
book's train_neuralnet.py itself, imports changed, runs in tests/nn/test_book_scripts.py.

    python benchmarks/bench_nn.py [--repeats 15] [--threads 1] [--quick] [--train-mnist]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=15, help="timed repeats per variant")
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads (default 1)")
    parser.add_argument("--quick", action="store_true", help="fewer repeats (a smoke run)")
    parser.add_argument("--only", choices=["two-layer", "conv"], help="run one workload")
    parser.add_argument("--train-mnist", action="store_true",
                        help="run the book's train_neuralnet.py and report test accuracy")
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args()


ARGS = _parse() if __name__ == "__main__" else None
if ARGS is not None:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from _malloc import describe, ensure_steady_malloc

    ensure_steady_malloc()  # same allocator settings for every variant: see _malloc.py
    # must be set before NumPy loads its BLAS
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(ARGS.threads)

import numpy as np  # noqa: E402

from autograd import Node  # noqa: E402
from nn import SGD, SimpleConvNet, TwoLayerNet  # noqa: E402
from nn import utils as nn_utils  # noqa: E402


# ===================================================================== data
def mnist_dir() -> str | None:
    """$MNIST_DIR, else the shared offline copy beside the checkout, else None."""
    env = os.environ.get("MNIST_DIR")
    if env:
        return env
    shared = ROOT.parent / "shared" / "datasets" / "mnist"
    return str(shared) if (shared / "train-images-idx3-ubyte.gz").exists() else None


def load_data(flatten: bool) -> tuple[np.ndarray, np.ndarray, str]:
    """MNIST training images and one-hot labels, or random stand-ins of the same shapes."""
    try:
        from nn.datasets import load_mnist
        (x, t), _ = load_mnist(normalize=True, flatten=flatten, one_hot_label=True,
                               directory=mnist_dir(), download=False)
        return x, t, "MNIST"
    except Exception as exc:  # no data here: the timing does not depend on the pixel values
        rng = np.random.default_rng(0)
        shape = (2000, 784) if flatten else (2000, 1, 28, 28)
        x = rng.random(shape, dtype=np.float32)
        t = np.eye(10, dtype=np.float32)[rng.integers(0, 10, 2000)]
        return x, t, f"random ({type(exc).__name__})"


# ===================================================================== hand-written references
def numpy_two_layer_step(x: np.ndarray, t: np.ndarray, p: dict[str, np.ndarray],
                         lr: float) -> float:
    """TwoLayerNet's training step as one would write it by hand: no layers, no graph."""
    W1, b1, W2, b2 = p["W1"], p["b1"], p["W2"], p["b2"]
    n = x.shape[0]
    h = x @ W1 + b1
    a = np.maximum(h, 0)
    s = a @ W2 + b2
    e = np.exp(s - s.max(axis=1, keepdims=True))
    y = e / e.sum(axis=1, keepdims=True)
    loss = -np.sum(t * np.log(y + 1e-7)) / n
    dy = (y - t) / n
    dW2 = a.T @ dy
    db2 = dy.sum(axis=0)
    dh = (dy @ W2.T) * (h > 0)
    dW1 = x.T @ dh  # no dx: the input batch needs no gradient
    db1 = dh.sum(axis=0)
    W1 -= lr * dW1
    b1 -= lr * db1
    W2 -= lr * dW2
    b2 -= lr * db2
    return float(loss)


def book_im2col(x: np.ndarray, fh: int, fw: int, stride: int = 1, pad: int = 0) -> np.ndarray:
    """im2col by the book's method (§7.4.3), written from its description, as a speed baseline.

    One strided copy per filter offset ``(dy, dx)`` fills an (N, C, FH, FW, OH, OW) array with
    every window's pixel at that offset; a transpose and reshape then copy it a second time into
    rows. The result is float64 whatever the input, as the book's is. ``nn.utils.im2col`` gives
    the same rows with one copy (tests/nn/test_utils.py asserts equality with a reference).
    """
    n, c, h, w = x.shape
    oh, ow = (h + 2 * pad - fh) // stride + 1, (w + 2 * pad - fw) // stride + 1
    padded = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    cols = np.zeros((n, c, fh, fw, oh, ow))
    for dy in range(fh):
        for dx in range(fw):
            cols[:, :, dy, dx] = padded[:, :, dy:dy + stride * oh:stride,
                                        dx:dx + stride * ow:stride]
    return cols.transpose(0, 4, 5, 1, 2, 3).reshape(n * oh * ow, -1)


def book_col2im(col: np.ndarray, input_shape: tuple[int, ...], fh: int, fw: int,
                stride: int = 1, pad: int = 0) -> np.ndarray:
    """col2im by the book's method: ``nn.utils.col2im`` is already that method (one strided add
    per filter offset); the book's works in float64, so the rows are taken as float64."""
    from nn.utils import col2im

    return col2im(col.astype(np.float64, copy=False), input_shape, fh, fw, stride, pad)


def numpy_conv_step(x: np.ndarray, t: np.ndarray, p: dict[str, np.ndarray], lr: float,
                    im2col: Callable, col2im: Callable) -> float:
    """SimpleConvNet's step by hand: im2col convolution and pooling, no layers, no graph."""
    W1, b1, W2, b2, W3, b3 = (p[k] for k in ("W1", "b1", "W2", "b2", "W3", "b3"))
    N = x.shape[0]
    FN, C, FH, FW = W1.shape
    oh, ow = x.shape[2] - FH + 1, x.shape[3] - FW + 1
    col = im2col(x, FH, FW, 1, 0)
    W1_col = W1.reshape(FN, -1)
    conv = col @ W1_col.T + b1  # (N·oh·ow, FN), rows in (n, i, j) order
    r = np.maximum(conv, 0)
    r_img = r.reshape(N, oh, ow, FN).transpose(0, 3, 1, 2)
    pcol = im2col(r_img, 2, 2, 2, 0).reshape(-1, 4)
    arg = pcol.argmax(axis=1)
    pooled = pcol[np.arange(pcol.shape[0]), arg]
    ph, pw = oh // 2, ow // 2
    flat = pooled.reshape(N, ph, pw, FN).transpose(0, 3, 1, 2).reshape(N, -1)
    h = flat @ W2 + b2
    a = np.maximum(h, 0)
    s = a @ W3 + b3
    e = np.exp(s - s.max(axis=1, keepdims=True))
    y = e / e.sum(axis=1, keepdims=True)
    loss = -np.sum(t * np.log(y + 1e-7)) / N
    ds = (y - t) / N
    dW3, db3 = a.T @ ds, ds.sum(axis=0)
    dh = (ds @ W3.T) * (h > 0)
    dW2, db2 = flat.T @ dh, dh.sum(axis=0)
    dflat = dh @ W2.T
    dpool = dflat.reshape(N, FN, ph, pw).transpose(0, 2, 3, 1).reshape(-1)
    dmax = np.zeros((dpool.size, 4), dtype=dpool.dtype)
    dmax[np.arange(dpool.size), arg] = dpool
    dr_img = col2im(dmax.reshape(N * ph * pw, -1), r_img.shape, 2, 2, 2, 0)
    dconv = dr_img.transpose(0, 2, 3, 1).reshape(-1, FN) * (conv > 0)
    dW1 = (dconv.T @ col).reshape(W1.shape)  # no dx: the input batch needs no gradient
    db1 = dconv.sum(axis=0)
    for param, grad in ((W1, dW1), (b1, db1), (W2, dW2), (b2, db2), (W3, dW3), (b3, db3)):
        param -= lr * grad
    return float(loss)


# ===================================================================== timing
def run_interleaved(variants: dict[str, Callable[[], object]], repeats: int,
                    inner: int, clock: Callable[[], float] = time.perf_counter
                    ) -> dict[str, list[float]]:
    """Seconds per call for each variant, per repeat; the order rotates every repeat.

    `clock` is wall time by default; ``time.thread_time`` counts only this thread's CPU time,
    which on a machine shared with other jobs leaves out the waiting for a core.
    """
    for fn in variants.values():  # warm-up: caches, lazily made state
        fn()
    times: dict[str, list[float]] = {name: [] for name in variants}
    names = list(variants)
    for r in range(repeats):
        order = names[r % len(names):] + names[:r % len(names)]
        for name in order:
            fn = variants[name]
            start = clock()
            for _ in range(inner):
                fn()
            times[name].append((clock() - start) / inner)
    return times


def report(title: str, times: dict[str, list[float]], reference: str) -> None:
    """Print one table: median (min–max) ms per step and the paired ratio to `reference`."""
    print(f"\n{title}")
    print(f"  {'variant':<34} {'ms/step median (min–max)':>26}   {'ratio to ' + reference:>22}")
    ref = times[reference]
    for name, ts in times.items():
        ms = f"{statistics.median(ts) * 1e3:8.3f} ({min(ts) * 1e3:.3f}–{max(ts) * 1e3:.3f})"
        ratios = [a / b for a, b in zip(ts, ref)]
        ratio = f"{statistics.median(ratios):5.3f}x ({min(ratios):.2f}–{max(ratios):.2f})"
        print(f"  {name:<34} {ms:>26}   {ratio:>22}")


def _batches(x: np.ndarray, t: np.ndarray, size: int, dtype: type, count: int = 64, seed: int = 0):
    rng = np.random.default_rng(seed)
    idx = [rng.choice(x.shape[0], size) for _ in range(count)]
    return [(x[i].astype(dtype), t[i].astype(dtype)) for i in idx]


def _cycle(batches: list) -> Callable[[], tuple]:
    state = {"i": 0}

    def next_batch() -> tuple:
        state["i"] = (state["i"] + 1) % len(batches)
        return batches[state["i"]]
    return next_batch


def _book_step(net, batch: Callable, lr: float, engine: bool = False) -> Callable[[], None]:
    """The book's loop on the next batch: ``grads = net.gradient(x, t)`` (with `engine`,
    ``net.gradient_by_engine(x, t)``), then ``net.params[key] -= lr * grads[key]``."""
    gradient = net.gradient_by_engine if engine else net.gradient

    def step() -> None:
        x, t = batch()
        grads = gradient(x, t)
        for key in grads:
            net.params[key] -= lr * grads[key]
    return step


def bench_two_layer(repeats: int, inner: int, seed: int) -> None:
    """TwoLayerNet(784, 50, 10) training step, float64 and float32."""
    x_all, t_all, source = load_data(flatten=True)
    lr = 0.1
    for dtype in (np.float64, np.float32):
        np.random.seed(seed)
        start = TwoLayerNet(784, 50, 10).astype(dtype).params
        nets = {}
        for name in ("layers", "engine", "torch-like"):
            np.random.seed(seed)
            net = TwoLayerNet(784, 50, 10).astype(dtype)
            for key in net.params:
                net.params[key][...] = start[key]
            nets[name] = net
        hand = {k: v.copy() for k, v in start.items()}
        batch = _cycle(_batches(x_all, t_all, 100, dtype, seed=seed))
        opt = SGD(nets["torch-like"].parameters(), lr=lr)

        ours_layers = _book_step(nets["layers"], batch, lr)
        ours_engine = _book_step(nets["engine"], batch, lr, engine=True)

        def ours_torch_like(net=nets["torch-like"], batch=batch, opt=opt) -> None:
            x, t = batch()
            opt.zero_grad()
            net.loss(Node(x, requires_grad=False), t, train_flg=True).backward(retain_grad=False)
            opt.step()

        def numpy_hand(batch=batch, hand=hand) -> None:
            x, t = batch()
            numpy_two_layer_step(x, t, hand, lr)

        variants = {
            "numpy, hand-written": numpy_hand,
            "ours: gradient() (layer chain)": ours_layers,
            "ours: gradient_by_engine()": ours_engine,
            "ours: PyTorch-style step()": ours_torch_like,
        }
        torch_step = _torch_two_layer(start, batch, lr)
        if torch_step is not None:
            variants["PyTorch CPU"] = torch_step
        times = run_interleaved(variants, repeats, inner)
        report(f"TwoLayerNet(784, 50, 10) step, batch 100, {np.dtype(dtype).name}, data: {source}",
               times, "numpy, hand-written")
    if _torch() is None:
        print("\n  (PyTorch not installed: comparison skipped)")


def _torch():
    try:
        import torch
    except ImportError:
        return None
    return torch


def _torch_two_layer(start: dict, batch: Callable, lr: float):
    """The same step in PyTorch (CPU), from the same `start` arrays (already in the dtype)."""
    torch = _torch()
    if torch is None:
        return None
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    p = {k: torch.tensor(v, requires_grad=True) for k, v in start.items()}

    def step() -> None:
        x, t = batch()
        x, t = torch.from_numpy(x), torch.from_numpy(t)
        s = torch.relu(x @ p["W1"] + p["b1"]) @ p["W2"] + p["b2"]
        loss = -(t * torch.log_softmax(s, dim=1)).sum() / x.shape[0]
        loss.backward()
        with torch.no_grad():
            for v in p.values():
                v -= lr * v.grad
                v.grad = None
    return step


def bench_conv(repeats: int, inner: int, seed: int) -> None:
    """SimpleConvNet() training step, batch 100, float64 and float32."""
    x_all, t_all, source = load_data(flatten=False)
    lr = 0.1
    for dtype in (np.float64, np.float32):
        np.random.seed(seed)
        net = SimpleConvNet().astype(dtype)
        np.random.seed(seed)
        net_engine = SimpleConvNet().astype(dtype)
        hand_book = {k: v.copy() for k, v in net.params.items()}
        hand_ours = {k: v.copy() for k, v in net.params.items()}
        batch = _cycle(_batches(x_all, t_all, 100, dtype, count=16, seed=seed))

        ours = _book_step(net, batch, lr)
        ours_engine = _book_step(net_engine, batch, lr, engine=True)

        def numpy_book(batch=batch, hand_book=hand_book) -> None:
            x, t = batch()
            numpy_conv_step(x, t, hand_book, lr, book_im2col, book_col2im)

        def numpy_our_kernels(batch=batch, hand_ours=hand_ours) -> None:
            x, t = batch()
            numpy_conv_step(x, t, hand_ours, lr, nn_utils.im2col, nn_utils.col2im)

        times = run_interleaved({
            "numpy, book's im2col/col2im": numpy_book,
            "numpy, nn.utils im2col/col2im": numpy_our_kernels,
            "ours: gradient() (layer chain)": ours,
            "ours: gradient_by_engine()": ours_engine,
        }, repeats, inner)
        report(f"SimpleConvNet() step, batch 100, {np.dtype(dtype).name}, data: {source}",
               times, "numpy, book's im2col/col2im")
        for name in ("ours: gradient() (layer chain)", "ours: gradient_by_engine()"):
            same = _paired(times[name], times["numpy, nn.utils im2col/col2im"])
            print(f"  {name} / numpy with the same kernels: {same}")


def _paired(a: list[float], b: list[float]) -> str:
    ratios = [x / y for x, y in zip(a, b)]
    return f"{statistics.median(ratios):.3f}x ({min(ratios):.2f}–{max(ratios):.2f})"


# ===================================================================== the book's training run
def train_mnist(seed: int) -> None:
    """The book's ch05 acceptance run (10,000 iterations, batch 100, lr 0.1, SGD) through
    ``graphgrad train``'s loop (the book's Trainer semantics), with its accuracy and time."""
    from graphgrad.train import run

    started = time.perf_counter()
    history = run("two_layer", iters=10000, batch_size=100, lr=0.1, data=mnist_dir(), seed=seed,
                  progress=False)
    print(f"\nTwoLayerNet on MNIST, 10000 iterations, batch 100, lr 0.1, SGD (seed {seed}): "
          f"test acc {history['final_test_acc'][-1]:.4f} (printed book: 0.9705), "
          f"{time.perf_counter() - started:.1f} s including loading")


def main() -> None:
    args = ARGS
    print(f"numpy {np.__version__}, BLAS threads {args.threads}, python {sys.version.split()[0]}")
    print(describe())
    if args.train_mnist:
        train_mnist(args.seed)
        return
    repeats = 3 if args.quick else args.repeats
    if args.only in (None, "two-layer"):
        bench_two_layer(repeats, 10 if args.quick else 50, args.seed)
    if args.only in (None, "conv"):
        bench_conv(max(3, repeats // 2), 1 if args.quick else 3, args.seed)


if __name__ == "__main__":
    main()
