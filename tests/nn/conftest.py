"""Shared by the tests of nn/: a reference im2col and col2im, written from the book's description.

REFERENCE CODE, for tests only: the book's im2col (§7.4.3) as the book describes it, one window
at a time, with nothing clever in it. Row ``(n, i, j)`` of the matrix is the filter-sized window
of sample n whose top-left corner is ``(i·stride, j·stride)`` in the padded image, flattened
channel by channel, then row by row. col2im adds each row back onto the window it came from
(overlapping windows add up) and drops the padding. nn/utils.py and nn/kernels.py are asserted
equal to these; the fixtures hand the functions to the tests (test files import no siblings).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest


def _out_size(size: int, filter_size: int, stride: int, pad: int) -> int:
    return (size + 2 * pad - filter_size) // stride + 1


def reference_im2col(x: np.ndarray, fh: int, fw: int, stride: int = 1, pad: int = 0,
                     pad_value: float = 0.0) -> np.ndarray:
    """(N, C, H, W) → (N·OH·OW, C·FH·FW): one row per window, in (n, i, j) order."""
    n, c, h, w = x.shape
    xp = np.pad(x, [(0, 0), (0, 0), (pad, pad), (pad, pad)], constant_values=pad_value)
    oh, ow = _out_size(h, fh, stride, pad), _out_size(w, fw, stride, pad)
    rows = [xp[s, :, i * stride:i * stride + fh, j * stride:j * stride + fw].reshape(-1)
            for s in range(n) for i in range(oh) for j in range(ow)]
    return np.array(rows, dtype=x.dtype).reshape(n * oh * ow, c * fh * fw)


def reference_col2im(col: np.ndarray, shape: tuple[int, int, int, int], fh: int, fw: int,
                     stride: int = 1, pad: int = 0) -> np.ndarray:
    """(N·OH·OW, C·FH·FW) → (N, C, H, W): each row added back onto its window."""
    n, c, h, w = shape
    oh, ow = _out_size(h, fh, stride, pad), _out_size(w, fw, stride, pad)
    img = np.zeros((n, c, h + 2 * pad, w + 2 * pad), dtype=col.dtype)
    rows = iter(col)
    for s in range(n):
        for i in range(oh):
            for j in range(ow):
                window = next(rows).reshape(c, fh, fw)
                img[s, :, i * stride:i * stride + fh, j * stride:j * stride + fw] += window
    return img[:, :, pad:pad + h, pad:pad + w]


@pytest.fixture
def book_im2col() -> Callable[..., np.ndarray]:
    """`reference_im2col`: the book's im2col from its description (slow, plain)."""
    return reference_im2col


@pytest.fixture
def book_col2im() -> Callable[..., np.ndarray]:
    """`reference_col2im`: the book's col2im from its description (slow, plain)."""
    return reference_col2im
