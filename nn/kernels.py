"""Fast convolution and max-pooling kernels: the same numbers as im2col/col2im, less data moved.

``Convolution`` and ``Pooling`` (both the book's ``forward``/``backward`` and the graph ops) run
these functions. The plain versions to learn from are ``nn.utils.im2col``/``col2im`` and the
book's text; the tests prove these equal to them and to central differences.

Where the book's way loses time, and what is done here instead:

- The book's ``im2col`` first fills an array in (N, C, FH, FW, OH, OW) order and then copies it
  again into rows (N·OH·OW, C·FH·FW). Here the first layout is kept: ``windows(x)`` is a *view*
  of every window (``sliding_window_view``, no copy), copied once into (N, C·FH·FW, OH·OW).
- With that layout the convolution of sample n is ``W_col @ col[n]``, which is already in
  (FN, OH·OW) = NCHW order: no transpose of the output, and none of the gradient in backward
  (the book transposes the output, and the gradient back, through (N, OH, OW, FN) order).
  ``np.matmul`` runs one BLAS product per sample: (FN, K) @ (K, OH·OW).
- ∂L/∂W is ``Σₙ G[n] @ col[n]ᵀ``: again one product per sample, summed; no transposed copy.
- ∂L/∂X is ``col2im(W_colᵀ @ G[n])``: col2im adds FH·FW strided slices into the image, with no
  ``np.add.at`` and no transpose of the columns first.
- Max pooling reads the pool_h·pool_w window positions as pool_h·pool_w strided views of the
  image (no im2col copy at all); the maximum is a running ``np.maximum`` over them, and the
  window position of the maximum (the first one on ties, as ``np.argmax``) is kept as one small
  integer per output. Backward writes the gradient back through the same views.

All functions keep the input's dtype (float32 stays float32) and accept stride and padding as an
int or a (vertical, horizontal) pair.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

__all__ = ["pair", "pad_images", "windows", "image_columns", "conv2d_forward", "conv2d_backward",
           "columns_to_image", "max_pool_forward", "max_pool_backward"]

Pair = tuple[int, int]


def pair(value: Any) -> Pair:
    """``3 → (3, 3)``; a (vertical, horizontal) pair is returned as a tuple of ints."""
    if isinstance(value, (tuple, list)):
        a, b = value
        return int(a), int(b)
    return int(value), int(value)


def _out_size(size: Pair, kernel: Pair, stride: Pair, pad: Pair) -> Pair:
    return ((size[0] + 2 * pad[0] - kernel[0]) // stride[0] + 1,
            (size[1] + 2 * pad[1] - kernel[1]) // stride[1] + 1)


def pad_images(x: np.ndarray, pad: Any, value: float = 0.0) -> np.ndarray:
    """x (N, C, H, W) with `pad` rows/columns of `value` on each side (x itself if pad is 0)."""
    ph, pw = pair(pad)
    if not (ph or pw):
        return x
    N, C, H, W = x.shape
    out = np.empty((N, C, H + 2 * ph, W + 2 * pw), dtype=x.dtype)
    # border and interior written once each (np.pad goes through a slower general path)
    out[:, :, :ph] = value
    out[:, :, H + ph:] = value
    out[:, :, ph:H + ph, :pw] = value
    out[:, :, ph:H + ph, W + pw:] = value
    out[:, :, ph:H + ph, pw:W + pw] = x
    return out


def windows(x: np.ndarray, kernel: Any, stride: Any = 1, pad: Any = 0,
            pad_value: float = 0.0) -> np.ndarray:
    """Every kernel-sized window of the padded x, as a view: shape (N, C, OH, OW, FH, FW).

    ``windows(x)[n, c, i, j]`` is the FH×FW patch of channel c whose top-left corner is
    ``(i·stride, j·stride)``. Nothing is copied except the padding.
    """
    sh, sw = pair(stride)
    view = sliding_window_view(pad_images(x, pad, pad_value), pair(kernel), axis=(2, 3))
    return view[:, :, ::sh, ::sw]


def image_columns(x: np.ndarray, kernel: Any, stride: Any = 1, pad: Any = 0) -> np.ndarray:
    """im2col in image order: shape (N, C·FH·FW, OH·OW), one copy of the windows.

    The same numbers as the book's ``im2col(x)`` (N·OH·OW, C·FH·FW) in another order:
    ``image_columns(x).transpose(0, 2, 1).reshape(-1, C·FH·FW) == im2col(x)``.
    """
    w = windows(x, kernel, stride, pad)
    N, C, OH, OW, FH, FW = w.shape
    col = np.empty((N, C, FH, FW, OH, OW), dtype=x.dtype)
    np.copyto(col, w.transpose(0, 1, 4, 5, 2, 3))
    return col.reshape(N, C * FH * FW, OH * OW)


def columns_to_image(dcol: np.ndarray, x_shape: tuple[int, ...], kernel: Any, stride: Any = 1,
                     pad: Any = 0) -> np.ndarray:
    """col2im for image-order columns (N, C·FH·FW, OH·OW): the adjoint of `image_columns`.

    Each of the FH·FW window positions is one strided slice of the padded image; the columns are
    added into it (windows overlap when stride < kernel, and overlapping parts must add up).
    """
    N, C, H, W = x_shape
    (FH, FW), (sh, sw), (ph, pw) = pair(kernel), pair(stride), pair(pad)
    OH, OW = _out_size((H, W), (FH, FW), (sh, sw), (ph, pw))
    dcol = dcol.reshape(N, C, FH, FW, OH, OW)
    img = np.zeros((N, C, H + 2 * ph, W + 2 * pw), dtype=dcol.dtype)
    for y in range(FH):
        for x in range(FW):
            img[:, :, y:y + sh * (OH - 1) + 1:sh, x:x + sw * (OW - 1) + 1:sw] += dcol[:, :, y, x]
    if ph or pw:
        img = img[:, :, ph:H + ph, pw:W + pw]
    return img


def conv2d_forward(x: np.ndarray, W: np.ndarray, b: np.ndarray, stride: Any = 1,
                   pad: Any = 0) -> tuple[np.ndarray, np.ndarray]:
    """Convolution of x (N, C, H, W) with filters W (FN, C, FH, FW) plus b (FN,).

    Returns the output (N, FN, OH, OW) and the image-order columns of x (kept for backward):
    ``out[n] = W_col @ col[n] + b`` with ``W_col = W.reshape(FN, −1)``.
    """
    stride, pad = pair(stride), pair(pad)
    FN, C, FH, FW = W.shape
    col = image_columns(x, (FH, FW), stride, pad)
    out = np.matmul(W.reshape(FN, -1), col)  # (N, FN, OH·OW): already NCHW
    out += b.reshape(FN, 1)
    OH, OW = _out_size(x.shape[2:], (FH, FW), stride, pad)
    return out.reshape(x.shape[0], FN, OH, OW), col


def conv2d_backward(g: np.ndarray, col: np.ndarray, x_shape: tuple[int, ...], W: np.ndarray,
                    stride: Any = 1, pad: Any = 0,
                    needs: tuple[bool, bool, bool] = (True, True, True)) -> tuple[Any, Any, Any]:
    """Gradients (dx, dW, db) of `conv2d_forward` for the upstream gradient g (N, FN, OH, OW).

    ``dW = Σₙ G[n] @ col[n]ᵀ``, ``db = Σ G`` over samples and positions,
    ``dx = col2im(W_colᵀ @ G[n])``. An entry of `needs` that is False gives None (no work).
    """
    FN = W.shape[0]
    g = g.reshape(g.shape[0], FN, -1)  # (N, FN, OH·OW); a view when g is contiguous
    db = g.sum(axis=(0, 2)) if needs[2] else None
    dW = None
    if needs[1]:
        # one (FN, P) @ (P, K) product per sample, then the sum over samples
        dW = np.matmul(g, col.transpose(0, 2, 1)).sum(axis=0).reshape(W.shape)
    dx = None
    if needs[0]:
        dcol = np.matmul(W.reshape(FN, -1).T, g)  # (N, C·FH·FW, OH·OW)
        dx = columns_to_image(dcol, x_shape, W.shape[2:], stride, pad)
    return dx, dW, db


def _pool_views(x: np.ndarray, kernel: Pair, stride: Pair, out: Pair) -> list[np.ndarray]:
    """The pool_h·pool_w window positions as strided views (N, C, OH, OW), row-major order."""
    (kh, kw), (sh, sw), (oh, ow) = kernel, stride, out
    return [x[:, :, y:y + sh * (oh - 1) + 1:sh, z:z + sw * (ow - 1) + 1:sw]
            for y in range(kh) for z in range(kw)]


def max_pool_forward(x: np.ndarray, kernel: Any, stride: Any, pad: Any = 0
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Max pooling of x (N, C, H, W); returns the output (N, C, OH, OW) and where the maxima are.

    The second result, `chosen`, is a boolean array (pool_h·pool_w, N, C, OH, OW): ``chosen[k]``
    is True where window position k (row-major in the window) is the window's first maximum, the
    one ``np.argmax`` of the book's im2col row picks (``chosen.argmax(axis=0)`` is that argmax).
    Padding is −inf, so it is never the maximum.
    """
    kernel, stride, pad = pair(kernel), pair(stride), pair(pad)
    OH, OW = _out_size(x.shape[2:], kernel, stride, pad)
    views = _pool_views(pad_images(x, pad, -np.inf), kernel, stride, (OH, OW))
    out = views[0].copy()
    for v in views[1:]:
        np.maximum(out, v, out=out)
    chosen = np.empty((len(views), *out.shape), dtype=bool)
    free = np.ones(out.shape, dtype=bool)  # no earlier position of the window was the maximum
    for k, v in enumerate(views[:-1]):
        np.equal(v, out, out=chosen[k])
        chosen[k] &= free
        np.greater(free, chosen[k], out=free)  # free and not chosen (booleans: a > b = a & ~b)
    chosen[-1] = free  # NaN windows too: the gradient goes somewhere, as with np.argmax
    return out, chosen


def max_pool_backward(g: np.ndarray, chosen: np.ndarray, x_shape: tuple[int, ...], kernel: Any,
                      stride: Any, pad: Any = 0) -> np.ndarray:
    """∂L/∂x of max pooling: each output's gradient goes to its window's maximum (`chosen`)."""
    kernel, stride, pad = pair(kernel), pair(stride), pair(pad)
    N, C, H, W = x_shape
    ph, pw = pad
    OH, OW = chosen.shape[-2:]
    Hp, Wp = H + 2 * ph, W + 2 * pw
    tiled = stride == kernel and (Hp, Wp) == (OH * kernel[0], OW * kernel[1])
    # windows that tile the image exactly write every pixel once: no zero-filling needed
    dx = (np.empty if tiled else np.zeros)((N, C, Hp, Wp), dtype=g.dtype)
    views = _pool_views(dx, kernel, stride, (OH, OW))
    if stride[0] < kernel[0] or stride[1] < kernel[1]:
        for v, c in zip(views, chosen):  # overlapping windows: a pixel may get two gradients
            v += g * c
    else:
        for v, c in zip(views, chosen):
            np.multiply(g, c, out=v)
    if ph or pw:
        dx = dx[:, :, ph:H + ph, pw:W + pw]
    return dx
