"""nn/playground.py: the recorded training run is the engine's own, step for step."""

from __future__ import annotations

import numpy as np
import pytest

import autograd
from nn.playground import MLP, init_std, record, snapshot_steps


def test_snapshot_steps_are_log_spaced_and_distinct():
    steps = snapshot_steps(2000, 40)
    assert len(steps) == 40 and steps[0] == 0 and steps[-1] == 2000
    assert all(a < b for a, b in zip(steps, steps[1:]))
    assert sum(s <= 100 for s in steps) >= 20  # early learning is covered densely
    assert snapshot_steps(5, 40) == [0, 1, 2, 3, 4, 5]  # never more than there are steps
    assert snapshot_steps(2000, 2) == [0, 2000]
    with pytest.raises(ValueError, match="at least 2 snapshots"):
        snapshot_steps(10, 1)


@pytest.fixture(scope="module")
def run():
    return record("spiral", hidden=(6, 5), steps=60, snapshots=7, batch_size=25, seed=1,
                  grid=12, n_per_class=30)


def test_every_snapshot_equals_a_rerun_to_that_step(run):
    assert [s.step for s in run.snapshots] == snapshot_steps(60, 7)
    for snap in run.snapshots[1:]:
        again = record("spiral", hidden=(6, 5), steps=snap.step, snapshots=2, batch_size=25,
                       seed=1, grid=12, n_per_class=30)
        assert again.final.train_loss == snap.train_loss
        assert again.final.test_acc == snap.test_acc
        for key, value in snap.params.items():
            assert np.array_equal(again.final.params[key], value), (snap.step, key)
    assert len(run.batch_losses) == 60


def test_snapshot_numbers_are_the_engines(run):
    snap = run.snapshots[3]
    net = run.network(snap)
    loss = net.loss(run.x_train, run.t_train)
    loss.backward()
    assert loss.value == snap.train_loss
    assert [np.linalg.norm(net.params[f"W{i}"].grad) for i in (1, 2, 3)] == snap.grad_norms
    scores = net(run.x_train).value
    assert np.mean(np.argmax(scores, axis=1) == run.t_train) == snap.train_acc
    # hidden activations: ReLU of the first Affine, on the whole training set
    h1 = np.maximum(run.x_train @ snap.params["W1"] + snap.params["b1"], 0)
    assert np.allclose(snap.activations[0], h1)
    # the decision regions: grid row 0 is the bottom, column 0 the left edge
    xmin, xmax, ymin, ymax = run.bounds
    corner = np.array([[xmin, ymin], [xmax, ymin], [xmin, ymax]])
    with autograd.no_grad():
        pred = np.argmax(net(corner).value, axis=1)
    assert [snap.regions[0, 0], snap.regions[0, -1], snap.regions[-1, 0]] == pred.tolist()
    assert snap.regions.shape == (12, 12) and (snap.confidence >= 1 / 3 - 1e-12).all()


def test_training_learns_moons():
    run = record("moons", hidden=(10,), steps=300, snapshots=5)
    assert run.final.train_acc >= 0.95 and run.final.test_acc >= 0.9
    assert run.final.train_loss < run.snapshots[0].train_loss / 5


def test_sigmoid_gradients_vanish_where_relu_he_ones_do_not():
    """Chapter 6: through 5 Sigmoid layers the first layer's gradient is far smaller."""
    def first_to_last(activation, init):
        run = record("spiral", hidden=(10,) * 5, activation=activation, init=init, steps=1,
                     snapshots=2)
        norms = run.snapshots[0].grad_norms
        return norms[0] / norms[-1]
    assert first_to_last("sigmoid", "xavier") < 0.1 * first_to_last("relu", "he")


def test_init_std_and_mlp_shapes():
    assert init_std("he", 8) == 0.5 and init_std("xavier", 4) == 0.5 and init_std(0.01, 9) == 0.01
    net = MLP([2, 7, 3], "tanh", 0.01, seed=0)
    assert list(net.params) == ["W1", "b1", "W2", "b2"]
    assert net.params["W1"].value.shape == (2, 7) and abs(net.params["W1"].value).max() < 0.05
    assert net(np.zeros((4, 2))).value.shape == (4, 3)


@pytest.mark.parametrize("option, value, message", [
    ("hidden", (10, 0), "each hidden size must be a whole number ≥ 1"),
    ("activation", "gelu", "activation must be one of relu, sigmoid, tanh"),
    ("init", -1.0, "init must be 'he', 'xavier' or a positive number"),
    ("optimizer", "lbfgs", "optimizer must be one of sgd"),
    ("lr", -0.1, "lr must be a positive number"),
    ("steps", 0, "steps must be a whole number ≥ 1"),
    ("snapshots", 1, "snapshots must be a whole number ≥ 2"),
    ("batch_size", 0, "batch_size must be a whole number ≥ 1"),
])
def test_bad_options_are_refused_before_training(option, value, message):
    with pytest.raises(ValueError, match=message):
        record("moons", **{option: value})
    with pytest.raises(ValueError, match="data must be one of spiral, moons, circles"):
        record("swirl")
