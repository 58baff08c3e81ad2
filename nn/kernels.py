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
- The bias rides in the same product, as a weight on an extra row of ones in the columns (the
  book's perceptron trick): no separate pass over the output to add it, nor over the gradient
  to sum ∂L/∂b.
- ∂L/∂W is ``Σₙ G[n] @ col[n]ᵀ``: again one product per sample, summed; no transposed copy.
- ∂L/∂X is ``col2im(W_colᵀ @ G[n])``: col2im adds FH·FW strided slices into the image, with no
  ``np.add.at`` and no transpose of the columns first. With stride 1 and no more filters than
  channels, it is instead the convolution of G with the flipped filters (one window copy).
- Max pooling copies nothing into im2col rows: the maximum is separable, so it is taken first
  across each window's columns (pool_w strided views of the image), then across its rows
  (pool_h views of that result); each step keeps a boolean mask of where the first maximum
  came from, which backward follows to send each gradient to the element the book's
  ``np.argmax`` picks. That reads the image pool_w times instead of pool_h·pool_w times.

- The batch is worked through a few samples at a time (`_sample_chunks`, about ``CHUNK_BYTES``
  each): the window copy that a product reads, the running maximum that pooling's second step
  reads, and the rows that its backward writes and reads again are then still in the CPU's cache,
  instead of each going out to memory and back in for the whole batch. The numbers are the same
  (every sample is computed on its own anyway); the SimpleConvNet step's Conv1 and Pool1 take
  about a quarter less time (float64, benchmarks/profile_conv.py).

All functions keep the input's dtype (float32 stays float32) and accept stride and padding as an
int or a (vertical, horizontal) pair.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

__all__ = ["pair", "pad_images", "windows", "image_columns", "conv2d_forward", "conv2d_backward",
           "columns_to_image", "max_pool_forward", "max_pool_backward", "pool_argmax"]

Pair = tuple[int, int]

#: About how many bytes of one array a step works on at a time (see `_sample_chunks`): a few
#: chunks' worth of arrays fit in a core's L2 cache (1-2 MiB on current x86 CPUs).
CHUNK_BYTES = 1 << 18


def pair(value: Any) -> Pair:
    """``3 → (3, 3)``; a (vertical, horizontal) pair is returned as a tuple of ints."""
    if isinstance(value, (tuple, list)):
        a, b = value
        return int(a), int(b)
    return int(value), int(value)


def _out_size(size: Pair, kernel: Pair, stride: Pair, pad: Pair) -> Pair:
    return ((size[0] + 2 * pad[0] - kernel[0]) // stride[0] + 1,
            (size[1] + 2 * pad[1] - kernel[1]) // stride[1] + 1)


def _sample_chunks(n: int, sample_bytes: int) -> list[slice]:
    """Slices of a batch of `n` samples of `sample_bytes` each: ``CHUNK_BYTES`` or just over."""
    step = max(1, -(-CHUNK_BYTES // max(1, sample_bytes)))  # rounded up
    return [slice(i, min(i + step, n)) for i in range(0, n, step)]


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


def image_columns(x: np.ndarray, kernel: Any, stride: Any = 1, pad: Any = 0,
                  ones_row: bool = False) -> np.ndarray:
    """im2col in image order: shape (N, C·FH·FW, OH·OW), one copy of the windows.

    The same numbers as the book's ``im2col(x)`` (N·OH·OW, C·FH·FW) in another order:
    ``image_columns(x).transpose(0, 2, 1).reshape(-1, C·FH·FW) == im2col(x)``. With `ones_row`
    a row of ones is appended (N, C·FH·FW + 1, OH·OW): the constant input that the bias
    multiplies (see `conv2d_forward`).
    """
    w = windows(x, kernel, stride, pad)
    col = _new_columns(w, ones_row)
    _copy_columns(w, col)
    return col


def _new_columns(w: np.ndarray, ones_row: bool) -> np.ndarray:
    """The (N, C·FH·FW [+ 1], OH·OW) array for the windows w (N, C, OH, OW, FH, FW), not yet
    filled; with `ones_row` its last row already holds the ones."""
    N, C, OH, OW, FH, FW = w.shape
    K = C * FH * FW
    col = np.empty((N, K + ones_row, OH * OW), dtype=w.dtype)
    if ones_row:
        col[:, K] = 1
    return col


def _copy_columns(w: np.ndarray, col: np.ndarray) -> None:
    """Copy the windows w (N, C, OH, OW, FH, FW) into the first C·FH·FW rows of col."""
    N, C, OH, OW, FH, FW = w.shape
    np.copyto(col[:, :C * FH * FW].reshape(N, C, FH, FW, OH, OW), w.transpose(0, 1, 4, 5, 2, 3))


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

    Returns the output (N, FN, OH, OW) and the image-order columns of x with a row of ones
    appended, kept for backward: ``out[n] = [W_col | b] @ [col[n]; 1]`` with
    ``W_col = W.reshape(FN, −1)``, which is ``W_col @ col[n] + b``. The bias is a weight on a
    constant input 1 (as the book's perceptron bias in chapter 2), so the product adds it: one
    pass over the output fewer, and in backward ∂L/∂b comes out of the same product as ∂L/∂W.
    """
    stride, pad = pair(stride), pair(pad)
    FN, C, FH, FW = W.shape
    w = windows(x, (FH, FW), stride, pad)
    N, (OH, OW) = x.shape[0], w.shape[2:4]
    W_aug = np.concatenate([W.reshape(FN, -1), b.reshape(FN, 1)], axis=1)
    col = _new_columns(w, ones_row=True)  # `image_columns(..., ones_row=True)`, filled below
    out = np.empty((N, FN, OH * OW), dtype=np.result_type(W_aug, col))  # already NCHW
    # a few samples at a time: the product reads the columns while they are still in cache
    for s in _sample_chunks(N, col[0].nbytes + out[0].nbytes):
        _copy_columns(w[s], col[s])
        np.matmul(W_aug, col[s], out=out[s])
    return out.reshape(N, FN, OH, OW), col


def conv2d_backward(g: np.ndarray, col: np.ndarray, x_shape: tuple[int, ...], W: np.ndarray,
                    stride: Any = 1, pad: Any = 0,
                    needs: tuple[bool, bool, bool] = (True, True, True)) -> tuple[Any, Any, Any]:
    """Gradients (dx, dW, db) of `conv2d_forward` for the upstream gradient g (N, FN, OH, OW).

    ``[dW | db] = Σₙ G[n] @ [col[n]; 1]ᵀ`` (one product per sample, then the sum over samples;
    the row of ones gives ``db = Σ G``), ``dx = col2im(W_colᵀ @ G[n])``. An entry of `needs`
    that is False gives None (no work).
    """
    FN = W.shape[0]
    g = g.reshape(g.shape[0], FN, -1)  # (N, FN, OH·OW); a view when g is contiguous
    dW = db = None
    if needs[1]:
        dWb = np.matmul(g, col.transpose(0, 2, 1)).sum(axis=0)  # (FN, C·FH·FW + 1)
        dW = np.ascontiguousarray(dWb[:, :-1]).reshape(W.shape)
        db = dWb[:, -1].copy() if needs[2] else None
    elif needs[2]:
        db = g.sum(axis=(0, 2))
    dx = None
    if needs[0]:
        dx = _input_gradient(g, x_shape, W, pair(stride), pair(pad))
    return dx, dW, db


def _input_gradient(g: np.ndarray, x_shape: tuple[int, ...], W: np.ndarray, stride: Pair,
                    pad: Pair) -> np.ndarray:
    """∂L/∂x of the convolution, for g (N, FN, OH·OW).

    The book's way: ``dcol = W_colᵀ @ G[n]``, then col2im adds the FH·FW window positions back
    (strided adds). With stride 1 the same sum is itself a convolution: of G, padded by
    FH − 1 − pad, with the filters flipped (W[:, :, ::−1, ::−1]) and their FN and C axes
    swapped. Its im2col has FN·FH·FW rows instead of C·FH·FW, so it is used when FN ≤ C (then it
    is about twice as fast: one window copy instead of FH·FW strided adds; bench_kernels.py).
    """
    N, C, H, Wd = x_shape
    FN, _, FH, FW = W.shape
    full_pad = (FH - 1 - pad[0], FW - 1 - pad[1])
    if stride == (1, 1) and FN <= C and min(full_pad) >= 0:
        OH, OW = _out_size((H, Wd), (FH, FW), stride, pad)
        flipped = W[:, :, ::-1, ::-1].transpose(1, 0, 2, 3).reshape(C, -1)  # (C, FN·FH·FW)
        cols = image_columns(g.reshape(N, FN, OH, OW), (FH, FW), 1, full_pad)
        return np.matmul(flipped, cols).reshape(x_shape)
    dcol = np.matmul(W.reshape(FN, -1).T, g)  # (N, C·FH·FW, OH·OW)
    return columns_to_image(dcol, x_shape, (FH, FW), stride, pad)


def _running_max(views: list[np.ndarray], masks: np.ndarray, out: np.ndarray | None = None
                 ) -> np.ndarray:
    """Elementwise maximum of `views` (into `out` if given); `masks` is filled with which view
    holds each first maximum.

    ``masks[j − 1]`` is set True where ``views[j]`` is strictly greater than every earlier view,
    so the maximum's first position is the last j whose mask is True (0 if none): ties go to
    the earliest view, as with ``np.argmax``.
    """
    if len(views) == 1:
        if out is None:
            return views[0].copy()
        out[...] = views[0]
        return out
    np.greater(views[1], views[0], out=masks[0])
    m = np.maximum(views[0], views[1], out=out)
    for j in range(2, len(views)):
        np.greater(views[j], m, out=masks[j - 1])
        np.maximum(m, views[j], out=m)
    return m


def _running_max_backward(g: np.ndarray, masks: np.ndarray, views: list[np.ndarray],
                          overlap: bool) -> None:
    """Send g to the first maximum of `_running_max`: into ``views[j]`` where it was chosen.

    Walking from the last view back, ``views[j]`` takes g where ``masks[j − 1]`` is True and the
    rest goes on; what is left at the end belongs to ``views[0]``. With `overlap` (windows that
    share pixels) the views are added to, otherwise written.
    """
    rest = g
    for j in range(len(views) - 1, 0, -1):
        if overlap:
            part = rest * masks[j - 1]
            views[j] += part
            rest = rest - part
        else:  # written straight into the strided view, and the rest straight into views[0]
            np.multiply(rest, masks[j - 1], out=views[j])
            if j == 1:
                np.subtract(rest, views[1], out=views[0])
                return
            rest = rest - views[j]
    if overlap:
        views[0] += rest
    else:
        views[0][...] = rest


def _column_views(x: np.ndarray, k: int, s: int, out: int) -> list[np.ndarray]:
    """The k column offsets of every window along the last axis: views (..., out)."""
    return [x[..., j:j + s * (out - 1) + 1:s] for j in range(k)]


def _row_views(x: np.ndarray, k: int, s: int, out: int) -> list[np.ndarray]:
    """The k row offsets of every window along axis 2: views (N, C, out, ...)."""
    return [x[:, :, i:i + s * (out - 1) + 1:s] for i in range(k)]


def max_pool_forward(x: np.ndarray, kernel: Any, stride: Any, pad: Any = 0
                     ) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]:
    """Max pooling of x (N, C, H, W); returns the output (N, C, OH, OW) and where the maxima are.

    The maximum is separable: first across each window's pool_w columns, for every image row
    (kw strided views of the image), then across its pool_h rows (kh views of that). The second
    result holds the masks of both steps (`_running_max`); together they point at each window's
    first maximum in row-major order, the element ``np.argmax`` of the book's im2col row picks
    (`pool_argmax` turns them into that index). Padding is −inf, never the maximum.
    """
    (kh, kw), (sh, sw), pad = pair(kernel), pair(stride), pair(pad)
    OH, OW = _out_size(x.shape[2:], (kh, kw), (sh, sw), pad)
    x = pad_images(x, pad, -np.inf)
    N, C, Hp, _ = x.shape
    out = np.empty((N, C, OH, OW), dtype=x.dtype)
    column_masks = np.empty((kw - 1, N, C, Hp, OW), dtype=bool)
    row_masks = np.empty((kh - 1, N, C, OH, OW), dtype=bool)
    # a few samples at a time: the second step reads the first one's result from cache
    for s in _sample_chunks(N, x[0].nbytes):
        across_columns = _running_max(_column_views(x[s], kw, sw, OW), column_masks[:, s])
        _running_max(_row_views(across_columns, kh, sh, OH), row_masks[:, s], out[s])
    return out, (column_masks, row_masks)


def max_pool_backward(g: np.ndarray, masks: tuple[np.ndarray, np.ndarray],
                      x_shape: tuple[int, ...], kernel: Any, stride: Any, pad: Any = 0
                      ) -> np.ndarray:
    """∂L/∂x of max pooling: each output's gradient goes to its window's first maximum."""
    (kh, kw), (sh, sw), (ph, pw) = pair(kernel), pair(stride), pair(pad)
    column_masks, row_masks = masks
    N, C, H, W = x_shape
    OH, OW = g.shape[2:]
    Hp, Wp = H + 2 * ph, W + 2 * pw
    # windows that tile an axis exactly write every element once: no zero-filling needed
    new_rows = np.empty if (sh, Hp) == (kh, OH * kh) else np.zeros
    new_dx = np.empty if (sw, Wp) == (kw, OW * kw) else np.zeros
    padded = bool(ph or pw)
    dx = (np.empty if padded else new_dx)((N, C, H, W), dtype=g.dtype)
    # a few samples at a time: the second step reads the rows the first wrote from cache
    for s in _sample_chunks(N, C * Hp * Wp * g.itemsize):
        n = s.stop - s.start
        rows = new_rows((n, C, Hp, OW), dtype=g.dtype)
        _running_max_backward(g[s], row_masks[:, s], _row_views(rows, kh, sh, OH), sh < kh)
        dxs = new_dx((n, C, Hp, Wp), dtype=g.dtype) if padded else dx[s]
        _running_max_backward(rows, column_masks[:, s], _column_views(dxs, kw, sw, OW), sw < kw)
        if padded:
            dx[s] = dxs[:, :, ph:H + ph, pw:W + pw]
    return dx


def _last_true(masks: np.ndarray) -> np.ndarray:
    """For `_running_max` masks: the index of the view holding each first maximum."""
    arg = np.zeros(masks.shape[1:], dtype=np.intp)
    for j, mask in enumerate(masks, 1):
        arg[mask] = j
    return arg


def pool_argmax(masks: tuple[np.ndarray, np.ndarray], stride: Any) -> np.ndarray:
    """The book's argmax from `max_pool_forward`'s masks: (N, C, OH, OW) positions in the window.

    Position ``i·pool_w + j`` is window row i, column j (row-major, as in an im2col row).
    """
    column_masks, row_masks = masks
    sh = pair(stride)[0]
    kw = len(column_masks) + 1
    row = _last_true(row_masks)  # (N, C, OH, OW): which window row holds the maximum
    image_row = sh * np.arange(row.shape[2]).reshape(-1, 1) + row
    column = np.take_along_axis(_last_true(column_masks), image_row, axis=2)
    return row * kw + column
