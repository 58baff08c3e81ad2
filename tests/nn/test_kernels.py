"""Tests for nn/kernels.py: the fast conv/pool kernels equal the book's im2col way, exactly.

The reference is the fixture ``book_im2col`` (tests/nn/conftest.py): the book's im2col written
from its description (§7.4.3), one window at a time.
"""

from __future__ import annotations

import numpy as np
import pytest

from nn import Convolution, Pooling, SimpleConvNet, col2im, im2col, kernels
from nn.kernels import (
    columns_to_image,
    conv2d_backward,
    conv2d_forward,
    image_columns,
    max_pool_backward,
    max_pool_forward,
    pair,
    pool_argmax,
)

RNG = np.random.default_rng(7)

# (N, C, H, W, FH, FW, stride, pad): odd and even sizes, non-square filters, stride 1-3, pad 0-2
CASES = [(2, 3, 7, 9, 3, 2, 1, 0), (2, 3, 7, 9, 3, 3, 2, 1), (1, 2, 8, 8, 5, 5, 1, 2),
         (3, 1, 5, 7, 2, 3, 2, 2), (2, 2, 9, 6, 3, 1, 3, 1), (2, 1, 28, 28, 5, 5, 1, 0),
         # C ≥ FN = 4 and stride 1: dx as a convolution with the flipped filters (pad ≤ FH − 1)
         (2, 5, 7, 9, 3, 2, 1, 1), (2, 4, 6, 5, 3, 3, 1, 0), (1, 6, 5, 6, 2, 2, 1, 2)]


@pytest.fixture(params=["whole batch", "one sample at a time"])
def chunks(request, monkeypatch):
    """Run a test with the kernels' batch chunks as they are, and with one sample per chunk."""
    if request.param != "whole batch":
        monkeypatch.setattr(kernels, "CHUNK_BYTES", 1)
    return request.param


def _ints(shape: tuple[int, ...], dtype=np.float64) -> np.ndarray:
    """Small integers as floats: every sum is exact, so results can be compared with ==."""
    return RNG.integers(-5, 6, shape).astype(dtype)


@pytest.mark.parametrize("case", CASES)
def test_im2col_and_image_columns_equal_the_books_description(case, book_im2col):
    N, C, H, W, FH, FW, s, p = case
    x = RNG.standard_normal((N, C, H, W))
    ref = book_im2col(x, FH, FW, s, p)
    np.testing.assert_array_equal(im2col(x, FH, FW, s, p), ref)
    cols = image_columns(x, (FH, FW), pair(s), pair(p))
    np.testing.assert_array_equal(cols.transpose(0, 2, 1).reshape(ref.shape), ref)
    with_ones = image_columns(x, (FH, FW), s, p, ones_row=True)  # the bias's constant input
    np.testing.assert_array_equal(with_ones[:, :-1], cols)
    assert (with_ones[:, -1] == 1).all()


@pytest.mark.parametrize("case", CASES)
def test_columns_to_image_is_col2im(case):
    N, C, H, W, FH, FW, s, p = case
    oh, ow = (H + 2 * p - FH) // s + 1, (W + 2 * p - FW) // s + 1
    rows = _ints((N * oh * ow, C * FH * FW))
    expect = col2im(rows, (N, C, H, W), FH, FW, s, p)
    cols = rows.reshape(N, oh * ow, -1).transpose(0, 2, 1)
    np.testing.assert_array_equal(columns_to_image(cols, (N, C, H, W), (FH, FW), s, p), expect)


@pytest.mark.parametrize("case", CASES)
def test_conv2d_equals_the_books_im2col_products(case, book_im2col, chunks):
    # forward: im2col(x) · W_colᵀ + b; backward: the book's three products and col2im
    N, C, H, W, FH, FW, s, p = case
    FN = 4
    x, Wt, b = _ints((N, C, H, W)), _ints((FN, C, FH, FW)), _ints((FN,))
    col, W_col = book_im2col(x, FH, FW, s, p), Wt.reshape(FN, -1)
    out, saved = conv2d_forward(x, Wt, b, s, p)
    oh, ow = out.shape[2:]
    np.testing.assert_array_equal(
        out, (col @ W_col.T + b).reshape(N, oh, ow, FN).transpose(0, 3, 1, 2))
    g = _ints(out.shape)
    g_col = g.transpose(0, 2, 3, 1).reshape(-1, FN)
    dx, dW, db = conv2d_backward(g, saved, x.shape, Wt, s, p)
    np.testing.assert_array_equal(dW, (g_col.T @ col).reshape(Wt.shape))
    np.testing.assert_array_equal(db, g_col.sum(axis=0))
    np.testing.assert_array_equal(dx, col2im(g_col @ W_col, x.shape, FH, FW, s, p))
    assert conv2d_backward(g, saved, x.shape, Wt, s, p, needs=(False, True, False))[::2] == (
        None, None)


@pytest.mark.parametrize(("k", "s", "p", "shape"), [
    ((2, 2), 2, 0, (2, 3, 8, 8)), ((2, 2), 2, 0, (2, 2, 7, 9)), ((3, 3), 2, 1, (2, 2, 7, 9)),
    ((3, 2), 1, 1, (1, 2, 5, 6)), ((2, 2), 1, 0, (2, 1, 5, 5)), ((3, 3), 3, 2, (1, 2, 9, 7)),
    ((1, 2), 2, 0, (2, 2, 5, 6)), ((2, 1), 1, 0, (2, 1, 5, 5))])  # one-wide windows: one step
def test_max_pool_equals_the_books_argmax_including_ties(k, s, p, shape, book_im2col, chunks):
    x = _ints(shape)  # small integers: many windows hold their maximum twice
    x[0, 0, :2, :2] = 3.0  # a window of equal values: the first one gets the gradient
    rows = book_im2col(x, *k, s, p, pad_value=-np.inf)
    N, C = shape[:2]
    out, masks = max_pool_forward(x, k, s, p)
    oh, ow = out.shape[2:]
    rows = rows.reshape(N * oh * ow, C, -1).reshape(-1, k[0] * k[1])  # book's Pooling rows
    arg = rows.argmax(axis=1)
    np.testing.assert_array_equal(out, rows.max(axis=1).reshape(N, oh, ow, C).transpose(0, 3, 1, 2))
    np.testing.assert_array_equal(pool_argmax(masks, s).transpose(0, 2, 3, 1).reshape(-1), arg)
    g = _ints(out.shape)
    dmax = np.zeros((g.size, k[0] * k[1]))
    dmax[np.arange(g.size), arg] = g.transpose(0, 2, 3, 1).reshape(-1)
    expect = col2im(dmax.reshape(N * oh * ow, -1), shape, *k, s, p)
    np.testing.assert_array_equal(max_pool_backward(g, masks, shape, k, s, p), expect)


def test_layers_keep_the_books_attributes(book_im2col):
    x = RNG.standard_normal((2, 3, 7, 7))
    conv = Convolution(RNG.standard_normal((4, 3, 3, 3)), np.zeros(4), stride=2, pad=1)
    assert conv.col is None
    conv.forward(x)
    np.testing.assert_array_equal(conv.col, book_im2col(x, 3, 3, 2, 1))
    assert conv.col_W.shape == (27, 4)
    pool = Pooling(2, 2, stride=2)
    assert pool.arg_max is None
    h = pool.forward(x)
    rows = book_im2col(x, 2, 2, 2, 0).reshape(-1, 4)
    np.testing.assert_array_equal(pool.arg_max, rows.argmax(axis=1))
    assert h.shape == (2, 3, 3, 3)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_kept_end_to_end(dtype):
    x = RNG.standard_normal((2, 3, 7, 7)).astype(dtype)
    Wt, b = RNG.standard_normal((4, 3, 3, 3)).astype(dtype), np.zeros(4, dtype)
    out, col = conv2d_forward(x, Wt, b, 2, 1)
    dx, dW, db = conv2d_backward(out, col, x.shape, Wt, 2, 1)
    pooled, masks = max_pool_forward(x, 3, 2, 1)
    assert {a.dtype for a in (out, col, dx, dW, db, pooled)} == {np.dtype(dtype)}
    assert max_pool_backward(pooled, masks, x.shape, 3, 2, 1).dtype == dtype
    # a whole SimpleConvNet step, the book's way and the engine's
    np.random.seed(0)
    net = SimpleConvNet(input_dim=(1, 10, 10), conv_param={"filter_num": 3, "filter_size": 3},
                        hidden_size=5).astype(dtype)
    xb = RNG.random((4, 1, 10, 10)).astype(dtype)
    t = np.eye(10, dtype=dtype)[[1, 2, 3, 4]]
    h = xb
    for layer in net.layers.values():
        h = layer.forward(h)
        assert h.dtype == dtype, layer.name
    for grads in (net.gradient(xb, t), net.gradient_by_engine(xb, t)):
        assert {g.dtype for g in grads.values()} == {np.dtype(dtype)}
