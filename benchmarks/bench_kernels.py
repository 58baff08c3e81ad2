"""The ideas behind nn/kernels.py, each measured against the book's way in one interleaved run.

Each row times two (or three) ways of computing the same array(s), interleaved with the order
rotating every repeat, and reports the median per-repeat ratio new ÷ old (below 1 = faster),
in float32 and float64. Shapes are SimpleConvNet's (batch 100, 1×28×28, 30 filters 5×5,
2×2 pooling) unless the row says "mid-network" (16 channels 14×14, 16 filters 3×3, pad 1).

Times are this thread's CPU time (one BLAS thread): on a shared machine wall time mostly
measures waiting for a core.

    python benchmarks/bench_kernels.py [--repeats 15]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))


def parse() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=15)
    return ap.parse_args()


def interleaved(variants: dict[str, Callable[[], object]], repeats: int) -> dict[str, list[float]]:
    """CPU seconds per call of each variant, per repeat (order rotating)."""
    for fn in variants.values():
        fn()
    names = list(variants)
    times: dict[str, list[float]] = {n: [] for n in names}
    for r in range(repeats):
        for name in names[r % len(names):] + names[:r % len(names)]:
            t0 = time.thread_time()
            variants[name]()
            times[name].append(time.thread_time() - t0)
    return times


def ideas(np, dtype) -> list[tuple[str, dict[str, Callable[[], object]]]]:
    """(idea, {variant: call}); the first variant is the baseline, every variant gives the same
    numbers (checked in `check`)."""
    from bench_nn import book_col2im, book_im2col
    from numpy.lib.stride_tricks import sliding_window_view

    from nn import kernels as k
    from nn.utils import im2col

    rng = np.random.default_rng(0)
    x = rng.random((100, 1, 28, 28)).astype(dtype)
    W = (0.1 * rng.standard_normal((30, 1, 5, 5))).astype(dtype)
    b = rng.standard_normal(30).astype(dtype)
    FN = 30
    W_col = W.reshape(FN, -1)
    rows = book_im2col(x, 5, 5).astype(dtype)
    out, col = k.conv2d_forward(x, W, b)
    g = rng.standard_normal(out.shape).astype(dtype)
    relu = np.maximum(out, 0)
    pooled, masks = k.max_pool_forward(relu, 2, 2)
    gp = rng.standard_normal(pooled.shape).astype(dtype)
    # mid-network convolution: here dx is needed, and C > 1
    xm = rng.random((100, 16, 14, 14)).astype(dtype)
    Wm = (0.1 * rng.standard_normal((16, 16, 3, 3))).astype(dtype)
    bm = np.zeros(16, dtype)
    om, colm = k.conv2d_forward(xm, Wm, bm, 1, 1)
    gm = rng.standard_normal(om.shape).astype(dtype)
    dcol_rows = gm.transpose(0, 2, 3, 1).reshape(-1, 16) @ Wm.reshape(16, -1)

    def book_conv_forward():  # the book's Convolution.forward
        o = rows @ W_col.T + b
        return o.reshape(100, 24, 24, FN).transpose(0, 3, 1, 2)

    def book_conv_backward():  # the book's Convolution.backward, without dx
        dout = g.transpose(0, 2, 3, 1).reshape(-1, FN)
        return (dout.T @ rows).reshape(W.shape), dout.sum(axis=0)

    def batched_no_bias_row():
        o = np.matmul(W_col, k.image_columns(x, 5))
        o += b.reshape(FN, 1)
        return o.reshape(100, FN, 24, 24)

    def col2im_add_at():  # scatter-add with np.add.at: the textbook's "obvious" col2im
        dcol = dcol_rows.reshape(100, 14, 14, 16, 3, 3).transpose(0, 3, 4, 5, 1, 2)
        img = np.zeros((100, 16, 16, 16), dtype)
        ii = np.arange(14)
        for y in range(3):
            for z in range(3):
                np.add.at(img, (slice(None), slice(None), (ii + y)[:, None], (ii + z)[None, :]),
                          dcol[:, :, y, z])
        return img[:, :, 1:15, 1:15]

    def dx_flipped_filters():  # dx = full convolution of g with the flipped, transposed filters
        Wf = np.ascontiguousarray(Wm[:, :, ::-1, ::-1].transpose(1, 0, 2, 3))
        return k.conv2d_forward(gm, Wf, bm, 1, 1)[0]  # pad FH − 1 − pad = 1

    def dx_col2im():  # what conv2d_backward does for stride > 1 or more filters than channels
        dcol = np.matmul(Wm.reshape(16, -1).T, gm.reshape(100, 16, -1))
        return k.columns_to_image(dcol, xm.shape, 3, 1, 1)

    def book_pool():  # the book's Pooling forward + backward: im2col rows, argmax, col2im
        pcol = book_im2col(relu, 2, 2, 2).astype(dtype).reshape(-1, 4)
        arg = pcol.argmax(axis=1)
        o = pcol.max(axis=1).reshape(100, 12, 12, FN).transpose(0, 3, 1, 2)
        dmax = np.zeros((gp.size, 4), dtype)
        dmax[np.arange(arg.size), arg] = gp.transpose(0, 2, 3, 1).reshape(-1)
        return o, book_col2im(dmax.reshape(100 * 144, -1), relu.shape, 2, 2, 2)

    def reshape_pool():  # non-overlapping windows by reshape: max over axes (3, 5)
        x6 = relu.reshape(100, FN, 12, 2, 12, 2)
        o = x6.max(axis=(3, 5))
        first = (x6 == o[:, :, :, None, :, None]).reshape(100, FN, 12, 2, 12, 2)
        # ties: only the first maximum in row-major order gets the gradient
        flat = first.transpose(0, 1, 2, 4, 3, 5).reshape(100, FN, 12, 12, 4)
        arg = flat.argmax(axis=-1)
        d = np.zeros((100, FN, 12, 12, 4), dtype)
        np.put_along_axis(d, arg[..., None], gp[..., None], axis=-1)
        return o, d.reshape(100, FN, 12, 12, 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(relu.shape)

    def strided_pool():
        o, m = k.max_pool_forward(relu, 2, 2)
        return o, k.max_pool_backward(gp, m, relu.shape, 2, 2)

    def whole_batch(fn: Callable[[], object]) -> Callable[[], object]:
        """`fn` with the kernels working on the whole batch at once (no sample chunks)."""
        def run() -> object:
            saved, k.CHUNK_BYTES = k.CHUNK_BYTES, 1 << 62
            try:
                return fn()
            finally:
                k.CHUNK_BYTES = saved
        return run

    def conv_and_pool():  # Conv1 forward, ReLU, Pool1 forward and backward: the chunked kernels
        o, c = k.conv2d_forward(x, W, b)
        p, m = k.max_pool_forward(np.maximum(o, 0), 2, 2)
        return p, k.max_pool_backward(p, m, o.shape, 2, 2)

    return [
        ("im2col (rows): the book's loop + transpose copy / sliding_window_view, one copy",
         {"book": lambda: book_im2col(x, 5, 5), "ours": lambda: im2col(x, 5, 5)}),
        ("im2col in image order (N, C·FH·FW, OH·OW): sliding_window_view copy",
         {"book rows": lambda: book_im2col(x, 5, 5),
          "image order": lambda: k.image_columns(x, 5)}),
        ("conv forward: rows @ W_colᵀ + b (im2col not counted) / per-sample matmul incl. im2col",
         {"book": book_conv_forward, "bias added after": batched_no_bias_row,
          "bias as a row of ones": lambda: k.conv2d_forward(x, W, b)}),
        ("conv backward dW, db: transpose G + one product / per-sample products, bias row",
         {"book": book_conv_backward,
          "ours": lambda: k.conv2d_backward(g, col, x.shape, W, needs=(False, True, True))[1:]}),
        ("conv dx, mid-network: np.add.at / strided col2im / flipped filters",
         {"np.add.at": col2im_add_at, "col2im": dx_col2im,
          "flipped filters": dx_flipped_filters}),
        ("max pool 2×2 forward + backward: book / reshape / separable strided views",
         {"book": book_pool, "reshape": reshape_pool, "strided": strided_pool}),
        ("conv forward, ReLU, max pool forward + backward: whole batch / a few samples at a "
         "time (CHUNK_BYTES)",
         {"whole batch": whole_batch(conv_and_pool), "chunks": conv_and_pool}),
        ("col2im: the book's (rows) / image-order columns",
         {"book": lambda: book_col2im(rows, x.shape, 5, 5),
          "ours": lambda: k.columns_to_image(col[:, :-1], x.shape, 5)}),
        ("window view alone (no copy), for scale",
         {"book im2col": lambda: book_im2col(x, 5, 5),
          "sliding_window_view": lambda: sliding_window_view(x, (5, 5), axis=(2, 3))}),
    ]


def check(np, dtype) -> None:
    """Every variant of an idea computes the same numbers as its first."""
    for title, variants in ideas(np, dtype):
        if "scale" in title or "image order" in title:
            continue
        results = [fn() for fn in variants.values()]
        first = results[0] if isinstance(results[0], tuple) else (results[0],)
        for other in results[1:]:
            other = other if isinstance(other, tuple) else (other,)
            for a, c in zip(first, other):
                tol = 1e-3 if dtype == np.float32 else 1e-10
                assert np.allclose(a, c, atol=tol, rtol=tol), title


def main() -> None:
    args = parse()
    from _malloc import describe, ensure_steady_malloc

    ensure_steady_malloc()
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = "1"
    import numpy as np

    print(f"NumPy {np.__version__}; {describe()}; CPU time, median of {args.repeats} "
          f"interleaved repeats; ratio to the first variant")
    print()
    print("| idea | variant | float32 ms | ratio | float64 ms | ratio |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    results = {}
    for dtype in (np.float32, np.float64):
        check(np, dtype)
        for title, variants in ideas(np, dtype):
            times = interleaved(variants, args.repeats)
            base = times[next(iter(variants))]
            for name, ts in times.items():
                ratio = statistics.median([a / c for a, c in zip(ts, base)])
                results.setdefault((title, name), []).append(
                    (statistics.median(ts) * 1e3, ratio))
    shown = set()
    for (title, name), cells in results.items():
        label = "" if title in shown else title
        shown.add(title)
        (m32, r32), (m64, r64) = cells
        print(f"| {label} | {name} | {m32:.2f} | {r32:.2f}x | {m64:.2f} | {r64:.2f}x |")


if __name__ == "__main__":
    main()
