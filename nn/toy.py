"""Small 2-D data sets for watching a network learn: spiral, moons and circles.

Each function returns ``(x, t)``: ``x`` is a float64 array of shape (N, 2) and ``t`` the integer
class of each point, shape (N,). The points come from our own code and NumPy's seeded PCG64
generator, so one seed gives the same points on every machine and every run.

    >>> from nn.toy import spiral
    >>> x, t = spiral(seed=0)
    >>> x.shape, t.shape, sorted(set(t.tolist()))
    ((300, 2), (300,), [0, 1, 2])
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = ["DATASETS", "circles", "load_toy", "moons", "spiral"]


def _shuffled(x: np.ndarray, t: np.ndarray, rng: np.random.Generator
              ) -> tuple[np.ndarray, np.ndarray]:
    order = rng.permutation(len(t))
    return x[order], t[order].astype(np.int64)


def _check_count(who: str, n_per_class: int) -> None:
    if isinstance(n_per_class, bool) or not isinstance(n_per_class, (int, np.integer)) \
            or n_per_class < 1:
        raise ValueError(f"{who}: n_per_class must be a whole number ≥ 1, got {n_per_class!r}")


def spiral(n_per_class: int = 100, classes: int = 3, noise: float = 0.2, seed: int = 0
           ) -> tuple[np.ndarray, np.ndarray]:
    """Interleaved spiral arms, one per class, as in DeZero's ``get_spiral``.

    Point ``i`` of class ``j`` sits at radius ``r = i / n_per_class`` and angle
    ``θ = 4j + 4r + noise·N(0, 1)``, at ``(r sin θ, r cos θ)``.
    """
    _check_count("spiral", n_per_class)
    if classes < 2:
        raise ValueError(f"spiral: classes must be at least 2, got {classes!r}")
    rng = np.random.default_rng(seed)
    r = np.tile(np.arange(n_per_class) / n_per_class, classes)
    j = np.repeat(np.arange(classes), n_per_class)
    theta = 4.0 * j + 4.0 * r + noise * rng.standard_normal(r.shape)
    return _shuffled(np.stack([r * np.sin(theta), r * np.cos(theta)], axis=1), j, rng)


def moons(n_per_class: int = 100, noise: float = 0.1, seed: int = 0
          ) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles: class 0 on top, class 1 below and shifted right."""
    _check_count("moons", n_per_class)
    rng = np.random.default_rng(seed)
    a = rng.uniform(0.0, np.pi, (2, n_per_class))
    upper = np.stack([np.cos(a[0]), np.sin(a[0])], axis=1)
    lower = np.stack([1.0 - np.cos(a[1]), 0.5 - np.sin(a[1])], axis=1)
    x = np.concatenate([upper, lower]) + noise * rng.standard_normal((2 * n_per_class, 2))
    return _shuffled(x, np.repeat([0, 1], n_per_class), rng)


def circles(n_per_class: int = 100, noise: float = 0.08, factor: float = 0.5, seed: int = 0
            ) -> tuple[np.ndarray, np.ndarray]:
    """Two rings around the origin: class 0 at radius 1, class 1 at radius ``factor``."""
    _check_count("circles", n_per_class)
    rng = np.random.default_rng(seed)
    a = rng.uniform(0.0, 2.0 * np.pi, (2, n_per_class))
    radius = np.array([[1.0], [factor]])
    ring = np.stack([radius * np.cos(a), radius * np.sin(a)], axis=-1).reshape(-1, 2)
    x = ring + noise * rng.standard_normal(ring.shape)
    return _shuffled(x, np.repeat([0, 1], n_per_class), rng)


#: name -> generator, for ``load_toy`` and the ``--data`` option of ``graphgrad watch``.
DATASETS: dict[str, Callable[..., tuple[np.ndarray, np.ndarray]]] = {
    "spiral": spiral,
    "moons": moons,
    "circles": circles,
}


def load_toy(name: str, n_per_class: int = 100, seed: int = 0
             ) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """``((x_train, t_train), (x_test, t_test))`` of a 2-D data set, like ``load_mnist``.

    The test points are drawn from the same distribution with a generator derived from
    ``seed``, so they are new points, not a split of the training ones.
    """
    if name not in DATASETS:
        raise ValueError(f"load_toy: unknown data set {name!r}; choose one of "
                         f"{', '.join(DATASETS)}")
    make = DATASETS[name]
    train = make(n_per_class=n_per_class, seed=seed)
    test_seed = int(np.random.SeedSequence([seed, 1]).generate_state(1)[0])
    test = make(n_per_class=n_per_class, seed=test_seed)
    return train, test
