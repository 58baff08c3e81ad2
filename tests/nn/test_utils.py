"""Tests for nn/utils.py: the book's common/util.py helpers (smooth_curve, shuffle_dataset)."""

import numpy as np
import pytest

from nn.utils import shuffle_dataset, smooth_curve


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
