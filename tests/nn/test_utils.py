"""Tests for nn/utils.py: conv_output_size; im2col / col2im equal to the book's, exactly; the
book's common/util.py helpers (smooth_curve, shuffle_dataset).

The im2col reference is the fixture pair ``book_im2col`` / ``book_col2im`` (tests/nn/conftest.py):
the book's functions written from its description, one window at a time.
"""

from __future__ import annotations

import numpy as np
import pytest

from nn import col2im, conv_output_size, im2col
from nn.utils import shuffle_dataset, smooth_curve

RNG = np.random.default_rng(12)

# (N, C, H, W, FH, FW, stride, pad): odd and even sizes, non-square filters, overlapping windows
CASES = [(2, 3, 6, 5, 3, 2, 2, 1), (1, 1, 28, 28, 5, 5, 1, 0), (2, 2, 7, 7, 3, 3, 1, 1),
         (1, 3, 9, 8, 2, 3, 3, 2), (3, 1, 4, 4, 4, 4, 1, 0)]


@pytest.mark.parametrize(("size", "filt", "stride", "pad", "expect"), [
    (28, 5, 1, 0, 24), (4, 3, 1, 1, 4), (7, 3, 2, 0, 3), (7, 3, 2, 1, 4), (6, 2, 2, 0, 3)])
def test_conv_output_size_is_the_books_formula(size, filt, stride, pad, expect):
    # OH = (H + 2P − FH) / S + 1, the book's (7.1); the book's examples are the first three
    assert conv_output_size(size, filt, stride, pad) == expect


@pytest.mark.parametrize("case", CASES)
def test_im2col_and_col2im_equal_the_reference(case, book_im2col, book_col2im):
    N, C, H, W, FH, FW, s, p = case
    x = RNG.standard_normal((N, C, H, W))
    col = im2col(x, FH, FW, s, p)
    OH, OW = conv_output_size(H, FH, s, p), conv_output_size(W, FW, s, p)
    assert col.shape == (N * OH * OW, C * FH * FW)
    np.testing.assert_array_equal(col, book_im2col(x, FH, FW, s, p))
    rows = RNG.integers(-5, 6, col.shape).astype(np.float64)  # exact sums: compare with ==
    np.testing.assert_array_equal(col2im(rows, x.shape, FH, FW, s, p),
                                  book_col2im(rows, x.shape, FH, FW, s, p))


def test_the_reference_is_the_books_7_4_3_example(book_im2col):
    # the book: x1 = np.random.rand(1, 3, 7, 7); im2col(x1, 5, 5) has shape (9, 75), and for 10
    # samples (90, 75). Row 0 is the top-left 5x5 window, channel 0 first.
    x = np.arange(1 * 3 * 7 * 7, dtype=np.float64).reshape(1, 3, 7, 7)
    col = book_im2col(x, 5, 5)
    assert col.shape == (9, 75) and book_im2col(np.zeros((10, 3, 7, 7)), 5, 5).shape == (90, 75)
    np.testing.assert_array_equal(col[0, :5], [0, 1, 2, 3, 4])
    np.testing.assert_array_equal(col[1, :5], [1, 2, 3, 4, 5])  # the window one to the right
    np.testing.assert_array_equal(col[3, :5], [7, 8, 9, 10, 11])  # one row down
    np.testing.assert_array_equal(col[0, 25:30], [49, 50, 51, 52, 53])  # channel 1 starts


def test_im2col_pads_with_pad_value_and_keeps_dtype(book_im2col):
    x = RNG.standard_normal((2, 2, 5, 5)).astype(np.float32)
    col = im2col(x, 3, 3, 2, 1, pad_value=-np.inf)
    assert col.dtype == np.float32
    np.testing.assert_array_equal(col, book_im2col(x, 3, 3, 2, 1, pad_value=-np.inf))
    assert np.isneginf(col[0, 0])  # the top-left window starts in the padding
    assert col2im(np.ones_like(col), x.shape, 3, 3, 2, 1).dtype == np.float32


def test_col2im_is_the_adjoint_of_im2col():
    # <im2col(x), c> == <x, col2im(c)>: col2im is exactly the backward of im2col
    x = RNG.standard_normal((2, 3, 6, 5))
    c = RNG.standard_normal(im2col(x, 3, 2, stride=2, pad=1).shape)
    assert np.sum(im2col(x, 3, 2, 2, 1) * c) == pytest.approx(
        np.sum(x * col2im(c, x.shape, 3, 2, 2, 1)))


def test_smooth_curve_keeps_length_and_constants():
    assert np.allclose(smooth_curve([2.0] * 30), 2.0)
    y = smooth_curve(np.arange(50.0))
    assert y.shape == (50,)
    # a straight line stays straight away from the ends (the window is symmetric)
    np.testing.assert_allclose(y[5:-5], np.arange(50.0)[5:-5], atol=1e-12)


def test_smooth_curve_is_a_kaiser_weighted_average():
    x = np.random.default_rng(0).normal(size=40)
    w = np.kaiser(11, 2)
    w /= w.sum()
    # the middle points: the plain weighted average of the 11 points around each
    for i in (5, 17, 34):
        assert smooth_curve(x)[i] == pytest.approx(np.dot(w, x[i - 5:i + 6]), abs=1e-15)
    # the first point: the window reaches over the mirrored curve x[5], ..., x[1], x[0], ...
    mirrored = np.concatenate([x[5:0:-1], x[:6]])
    assert smooth_curve(x)[0] == pytest.approx(np.dot(w, mirrored), abs=1e-15)


def test_smooth_curve_too_short_is_a_clear_error():
    with pytest.raises(ValueError, match="the curve has 5 points; it needs at least"):
        smooth_curve([1.0, 2.0, 3.0, 4.0, 5.0])


def test_shuffle_dataset_is_the_books_permutation():
    x = np.arange(20.0).reshape(10, 2)
    t = np.arange(10)
    np.random.seed(4)
    xs, ts = shuffle_dataset(x, t)
    np.random.seed(4)
    perm = np.random.permutation(10)
    np.testing.assert_array_equal(ts, perm)
    np.testing.assert_array_equal(xs, x[perm])
    # images (N, C, H, W) too, and x, t themselves are left alone
    imgs = np.arange(10 * 4.0).reshape(10, 1, 2, 2)
    xs4, ts4 = shuffle_dataset(imgs, t)
    np.testing.assert_array_equal(xs4[:, 0, 0, 0], ts4 * 4.0)
    np.testing.assert_array_equal(t, np.arange(10))


def test_shuffle_dataset_rejects_mismatched_lengths():
    with pytest.raises(ValueError, match="x has 3 samples but t has 2"):
        shuffle_dataset(np.zeros((3, 2)), np.zeros(2))
