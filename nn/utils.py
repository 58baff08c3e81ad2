"""The book's ``common/util.py``: im2col/col2im for convolutions, and two chapter 6 helpers.

``from nn.utils import smooth_curve, shuffle_dataset, im2col, col2im, conv_output_size`` gives
the names the book's scripts import from ``common.util``.

``im2col`` unrolls every filter-sized window of a batch of images into one row, so a convolution
becomes a single matrix product (and max pooling a row-wise max). ``col2im`` is its adjoint: it
adds each row back onto the pixels the window came from, which is exactly the backward pass of
im2col (overlapping windows add up).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nn import kernels

__all__ = ["conv_output_size", "im2col", "col2im", "smooth_curve", "shuffle_dataset"]


def conv_output_size(input_size: int, filter_size: int, stride: int = 1, pad: int = 0) -> int:
    """Output height (or width) of a convolution or pooling: ``(H + 2·pad − FH) // stride + 1``."""
    return (input_size + 2 * pad - filter_size) // stride + 1


def im2col(input_data: np.ndarray, filter_h: int, filter_w: int, stride: int = 1, pad: int = 0,
           *, pad_value: float = 0.0) -> np.ndarray:
    """Unroll the windows of `input_data` (N, C, H, W) into rows: shape (N·OH·OW, C·FH·FW).

    Row ``(n, i, j)`` holds the window whose top-left corner is ``(i·stride, j·stride)`` in the
    padded image of sample n, ordered channel, then filter row, then filter column — the order of
    ``W.reshape(FN, -1)``, so ``im2col(x) @ W.reshape(FN, -1).T`` is the convolution.

    Same result as the book's ``im2col``, with one copy instead of two: the book fills an array
    in (N, C, FH, FW, OH, OW) order with FH·FW strided copies and then copies it again into row
    order; here ``nn.kernels.windows`` gives every window as a view (``sliding_window_view``, no
    copy) and one reshape copies them straight into rows (about twice as fast as the book's;
    benchmarks/bench_kernels.py). The dtype of the input is kept (the book always returns
    float64). `pad_value` is what the border is filled with: 0 for convolution, −inf for max
    pooling (so padding is never the maximum).
    """
    w = kernels.windows(input_data, (filter_h, filter_w), stride, pad, pad_value)
    N, C, out_h, out_w = w.shape[:4]
    # (N, C, OH, OW, FH, FW) -> rows (n, i, j), columns (c, y, x): the one copy
    return w.transpose(0, 2, 3, 1, 4, 5).reshape(N * out_h * out_w, -1)


def col2im(col: np.ndarray, input_shape: tuple[int, ...], filter_h: int, filter_w: int,
           stride: int = 1, pad: int = 0) -> np.ndarray:
    """The adjoint of ``im2col``: add each row of `col` back onto its window; shape input_shape.

    Where windows overlap (stride < filter size) their contributions are summed, which is what
    the gradient of a pixel used by several windows must be. Padding positions are dropped.
    """
    N, C, H, W = input_shape
    out_h = conv_output_size(H, filter_h, stride, pad)
    out_w = conv_output_size(W, filter_w, stride, pad)
    col = col.reshape(N, out_h, out_w, C, filter_h, filter_w).transpose(0, 3, 4, 5, 1, 2)
    # stride - 1 spare rows/columns so the last strided slice never runs past the end
    img = np.zeros((N, C, H + 2 * pad + stride - 1, W + 2 * pad + stride - 1), dtype=col.dtype)
    for y in range(filter_h):
        y_max = y + stride * out_h
        for x in range(filter_w):
            x_max = x + stride * out_w
            img[:, :, y:y_max:stride, x:x_max:stride] += col[:, :, y, x, :, :]
    return img[:, :, pad:H + pad, pad:W + pad]


# ===================================================================== chapter 6 helpers
def smooth_curve(x: Any, window_len: int = 11) -> np.ndarray:
    """A loss curve smoothed for plotting (the book's ``smooth_curve``): same length as `x`.

    Each point becomes a weighted average of the `window_len` points around it, weighted by a
    Kaiser window (β = 2); the ends are padded with the curve mirrored about its first and
    last point. The numbers equal the book's, so plots of the book's scripts match.
    """
    x = np.asarray(x, dtype=np.float64).ravel()
    half = window_len // 2
    if window_len < 1 or window_len % 2 == 0:
        raise ValueError(f"smooth_curve: window_len must be odd and positive, got {window_len}")
    if x.size < window_len:
        raise ValueError(f"smooth_curve: the curve has {x.size} points; it needs at least "
                         f"window_len={window_len} to be smoothed")
    # mirror the window_len - 1 points next to each end (the end point itself is not repeated)
    padded = np.concatenate([x[window_len - 1:0:-1], x, x[-1:-window_len:-1]])
    weights = np.kaiser(window_len, 2)
    smoothed = np.convolve(weights / weights.sum(), padded, mode="valid")
    return smoothed[half:len(smoothed) - half]


def shuffle_dataset(x: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`x` and `t` in one random order (the book's ``shuffle_dataset``), as new arrays.

    The order is ``np.random.permutation(len(x))``, drawn from NumPy's global generator as the
    book does, so ``np.random.seed`` reproduces the book's split into training and validation.
    """
    if len(x) != len(t):
        raise ValueError(f"shuffle_dataset: x has {len(x)} samples but t has {len(t)}")
    permutation = np.random.permutation(len(x))
    return x[permutation], t[permutation]
