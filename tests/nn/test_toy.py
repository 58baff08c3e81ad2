"""The 2-D data sets of nn/toy.py: shapes, classes, geometry and seeding."""

from __future__ import annotations

import numpy as np
import pytest

from nn.toy import DATASETS, circles, load_toy, moons, spiral


@pytest.mark.parametrize("name", list(DATASETS))
def test_shapes_classes_and_seeding(name):
    (x, t), (xt, tt) = load_toy(name, n_per_class=50, seed=3)
    classes = 3 if name == "spiral" else 2
    assert x.shape == (50 * classes, 2) and x.dtype == np.float64
    assert t.dtype == np.int64 and np.bincount(t).tolist() == [50] * classes
    assert xt.shape == x.shape and not np.allclose(x, xt)  # new points, not a copy
    (x2, t2), _ = load_toy(name, n_per_class=50, seed=3)
    assert np.array_equal(x, x2) and np.array_equal(t, t2)  # same seed, same points
    (x3, _), _ = load_toy(name, n_per_class=50, seed=4)
    assert not np.allclose(x, x3)


def test_spiral_arms_lie_where_dezero_puts_them():
    x, t = spiral(n_per_class=100, noise=0.0)
    radius = np.hypot(x[:, 0], x[:, 1])
    # radii are i/100 for i = 0..99 in each arm
    for c in range(3):
        assert np.allclose(np.sort(radius[t == c]), np.arange(100) / 100)
    # without noise, θ = 4c + 4r, and the point is (r sin θ, r cos θ)
    k = np.argmax(radius * (t == 1))
    r = radius[k]
    assert np.allclose(x[k], [r * np.sin(4 + 4 * r), r * np.cos(4 + 4 * r)])


def test_circles_and_moons_geometry():
    x, t = circles(n_per_class=400, noise=0.0, factor=0.5)
    radius = np.hypot(x[:, 0], x[:, 1])
    assert np.allclose(radius[t == 0], 1.0) and np.allclose(radius[t == 1], 0.5)
    x, t = moons(n_per_class=400, noise=0.0)
    assert np.allclose(np.hypot(x[t == 0, 0], x[t == 0, 1]), 1.0)
    assert np.allclose(np.hypot(x[t == 1, 0] - 1.0, x[t == 1, 1] - 0.5), 1.0)
    assert (x[t == 0, 1] >= 0).all() and (x[t == 1, 1] <= 0.5).all()


def test_bad_arguments_name_the_problem():
    with pytest.raises(ValueError, match="unknown data set 'swirl'.*spiral, moons, circles"):
        load_toy("swirl")
    with pytest.raises(ValueError, match="moons: n_per_class must be a whole number"):
        moons(n_per_class=0)
    with pytest.raises(ValueError, match="spiral: classes must be at least 2"):
        spiral(classes=1)
