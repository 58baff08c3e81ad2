"""Tests for nn/models.py: gradient checks as in the book, both gradient paths, the PyTorch-style
interface, bad input, saved parameters, short training runs and a long one.

The TwoLayerNet check uses 3 real MNIST images, as the book's gradient_check.py does (the
``mnist_dir`` fixture; skipped without them). All checks run in float64.
"""

from __future__ import annotations

import builtins
import gc
import pickle
import tracemalloc

import numpy as np
import pytest

import autograd as ag
from autograd import Node
from nn import SGD, MultiLayerNet, MultiLayerNetExtend, SimpleConvNet, SoftmaxWithLoss, TwoLayerNet
from nn.datasets import load_mnist


@pytest.fixture(scope="module")
def three_images(mnist_dir) -> tuple[np.ndarray, np.ndarray]:
    """The book's gradient_check.py batch: 3 training images with one-hot labels."""
    (x, t), _ = load_mnist(normalize=True, one_hot_label=True, directory=mnist_dir)
    return x[:3].astype(np.float64), t[:3].astype(np.float64)


def _mean_diffs(a: dict, b: dict) -> dict[str, float]:
    assert a.keys() == b.keys()
    return {k: float(np.mean(np.abs(a[k] - b[k]))) for k in a}


def _assert_same(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for k in a:
        np.testing.assert_allclose(a[k], b[k], rtol=1e-10, atol=1e-13, err_msg=k)


# ===================================================================== gradient checks
def test_two_layer_net_gradient_check_like_the_book(three_images):
    x, t = three_images
    np.random.seed(0)
    # hidden 10 instead of the book's 50 keeps the 2·7,840 finite-difference forwards quick
    net = TwoLayerNet(input_size=784, hidden_size=10, output_size=10)
    grad_numerical = net.numerical_gradient(x, t)
    grad_backprop = net.gradient(x, t)
    diffs = _mean_diffs(grad_backprop, grad_numerical)
    assert list(diffs) == ["W1", "b1", "W2", "b2"]
    for key, diff in diffs.items():
        assert diff <= 1e-7, (key, diff)  # book: W1 1.8e-10, b1 8.8e-10, W2 6.9e-8, b2 1.4e-7
    assert net.layers["Affine1"].dW is grad_backprop["W1"]  # the book's path: dW on the layer
    _assert_same(net.gradient_by_engine(x, t), grad_backprop)


@pytest.mark.parametrize("activation", ["relu", "sigmoid"])
def test_multi_layer_net_with_batchnorm_dropout_weight_decay_gradient_check(activation):
    np.random.seed(1)
    net = MultiLayerNet(6, [5, 4], 3, activation=activation, weight_init_std=activation,
                        weight_decay_lambda=0.1, use_dropout=True, dropout_ration=0.3,
                        use_batchnorm=True)
    rng = np.random.default_rng(1)
    x, t = rng.standard_normal((4, 6)), np.array([0, 2, 1, 2])
    assert list(net.layers) == ["Affine1", "BatchNorm1", "Activation_function1", "Dropout1",
                                "Affine2", "BatchNorm2", "Activation_function2", "Dropout2",
                                "Affine3"]

    loss = net.loss

    def seeded_loss(*args, **kwargs):
        # every forward draws dropout masks from np.random: the same seed, the same masks
        np.random.seed(5)
        return loss(*args, **kwargs)

    net.loss = seeded_loss  # used by numerical_gradient, gradient and gradient_by_engine
    grad_numerical = net.numerical_gradient(x, t)
    grad_backprop = net.gradient(x, t)
    assert set(grad_backprop) == {"W1", "b1", "gamma1", "beta1", "W2", "b2", "gamma2",
                                  "beta2", "W3", "b3"}
    for key, diff in _mean_diffs(grad_backprop, grad_numerical).items():
        assert diff <= 1e-8, (key, diff)
    _assert_same(net.gradient_by_engine(x, t), grad_backprop)


def test_simple_conv_net_gradient_check_tiny():
    np.random.seed(2)
    net = SimpleConvNet(input_dim=(2, 6, 6),
                        conv_param={"filter_num": 3, "filter_size": 3, "pad": 1, "stride": 1},
                        hidden_size=4, output_size=3, weight_init_std=0.5)
    assert net.params["W2"].shape == (3 * 3 * 3, 4)
    rng = np.random.default_rng(2)
    x, t = rng.standard_normal((2, 2, 6, 6)), np.array([1, 2])
    grad_numerical = net.numerical_gradient(x, t)
    grad_backprop = net.gradient(x, t)
    for key, diff in _mean_diffs(grad_backprop, grad_numerical).items():
        assert diff <= 1e-8, (key, diff)
    _assert_same(net.gradient_by_engine(x, t), grad_backprop)


def test_simple_conv_net_default_shapes_follow_the_book():
    np.random.seed(0)
    net = SimpleConvNet()
    assert {k: v.shape for k, v in net.params.items()} == {
        "W1": (30, 1, 5, 5), "b1": (30,), "W2": (4320, 100), "b2": (100,), "W3": (100, 10),
        "b3": (10,)}
    assert list(net.layers) == ["Conv1", "Relu1", "Pool1", "Affine1", "Relu2", "Affine2"]
    x = np.random.rand(3, 1, 28, 28)
    scores = net.predict(x)
    assert scores.shape == (3, 10)
    best = scores.argmax(axis=1)
    wrong = (best + 1) % 10
    assert net.accuracy(x, best) == 1.0 and net.accuracy(x, wrong) == 0.0
    assert net.accuracy(x, np.array([best[0], best[1], wrong[2]])) == pytest.approx(2 / 3)
    assert net.accuracy(x, np.eye(10)[best], batch_size=2) == 1.0  # one-hot, in chunks


# ===================================================================== PyTorch-style interface
def test_parameters_share_the_params_arrays_and_zero_grad():
    np.random.seed(0)
    net = TwoLayerNet(4, 3, 2)
    params = net.parameters()
    assert [p.name for p in params] == ["W1", "b1", "W2", "b2"]
    assert all(p.value is net.params[p.name] for p in params)
    assert params[0].value is net.layers["Affine1"].W
    assert params[0].scope == "Affine1"  # viz draws W1 inside the Affine1 box
    assert net.parameters()[0] is params[0]  # the same Nodes every time

    x, t = np.random.rand(5, 4), np.array([0, 1, 1, 0, 1])
    logits = net(x)
    assert isinstance(logits, Node) and logits.shape == (5, 2)
    assert logits.scope == "Affine2"
    with ag.scope("Net"):  # a layer's scope joins the enclosing one, as nested blocks do
        assert net(x).scope == "Net/Affine2"
        with ag.no_grad():  # tagged even when nothing is recorded
            assert net(x).scope == "Net/Affine2"
    assert net(x).scope == "Affine2"
    loss = net.loss(Node(x, requires_grad=False), t)
    loss.backward()
    assert all(p.grad is not None for p in params)
    net.zero_grad()
    assert all(p.grad is None for p in params)


def test_model_call_follows_train_and_eval_modes():
    np.random.seed(3)
    net = MultiLayerNet(4, [8], 2, use_dropout=True, use_batchnorm=True)
    x = np.random.rand(6, 4)
    net.eval()
    a, b = net(x).value, net(x).value
    np.testing.assert_array_equal(a, b)  # no dropout, running statistics
    np.testing.assert_allclose(a, net.predict(x, train_flg=False))
    net.train()
    before = net.layers["BatchNorm1"].running_mean.copy()
    net(x)
    assert not np.allclose(net.layers["BatchNorm1"].running_mean, before)


def test_optimizer_on_parameters_updates_the_books_params_dict():
    np.random.seed(0)
    net = TwoLayerNet(4, 3, 2)
    W1 = net.params["W1"]
    before = W1.copy()
    opt = SGD(net.parameters(), lr=0.5)
    opt.zero_grad()
    net.loss(Node(np.random.rand(5, 4), requires_grad=False), np.array([0, 1, 1, 0, 1])).backward()
    grad = net.parameters()[0].grad.copy()
    opt.step()
    assert net.params["W1"] is W1
    np.testing.assert_allclose(W1, before - 0.5 * grad)


def test_astype_float32_keeps_sharing():
    np.random.seed(0)
    net = TwoLayerNet(4, 3, 2).astype(np.float32)
    assert all(v.dtype == np.float32 for v in net.params.values())
    assert net.layers["Affine1"].W is net.params["W1"] is net.parameters()[0].value
    grads = net.gradient(np.random.rand(5, 4).astype(np.float32), np.array([0, 1, 1, 0, 1]))
    assert all(g.dtype == np.float32 for g in grads.values())


@pytest.mark.parametrize(("init", "scale"), [("relu", np.sqrt(2 / 6)), ("he", np.sqrt(2 / 6)),
                                             ("sigmoid", np.sqrt(1 / 6)),
                                             ("xavier", np.sqrt(1 / 6)), (0.05, 0.05)])
def test_multi_layer_net_weight_init_like_the_book(init, scale):
    np.random.seed(4)
    net = MultiLayerNet(6, [5], 2, weight_init_std=init)
    np.random.seed(4)
    np.testing.assert_allclose(net.params["W1"], scale * np.random.randn(6, 5))
    np.testing.assert_array_equal(net.params["b1"], np.zeros(5))


def test_multi_layer_net_extend_is_the_books_name_with_the_books_order():
    np.random.seed(2)
    net = MultiLayerNetExtend(5, [4, 3], 2, use_batchnorm=True, use_dropout=True,
                              dropout_ration=0.3)
    assert isinstance(net, MultiLayerNet) and type(net).__name__ == "MultiLayerNetExtend"
    # the book: all W, b first (drawn in that order), gamma/beta added while building the layers
    assert list(net.params) == ["W1", "b1", "W2", "b2", "W3", "b3",
                                "gamma1", "beta1", "gamma2", "beta2"]
    assert list(net.layers) == ["Affine1", "BatchNorm1", "Activation_function1", "Dropout1",
                                "Affine2", "BatchNorm2", "Activation_function2", "Dropout2",
                                "Affine3"]
    x, t = np.random.rand(6, 5), np.array([0, 1, 1, 0, 1, 0])
    # gradient and numerical_gradient both list layer by layer, as the book's do
    order = ["W1", "b1", "gamma1", "beta1", "W2", "b2", "gamma2", "beta2", "W3", "b3"]
    assert list(net.gradient(x, t)) == order
    net2 = MultiLayerNetExtend(5, [4], 2, use_batchnorm=True)
    assert list(net2.numerical_gradient(x, t)) == ["W1", "b1", "gamma1", "beta1", "W2", "b2"]


def test_accuracy_takes_every_label_form():
    np.random.seed(0)
    net = TwoLayerNet(4, 5, 3)
    x = np.random.rand(7, 4)
    t = np.argmax(net.predict(x), axis=1)
    t[:2] = (t[:2] + 1) % 3  # two wrong
    for labels in (t, np.eye(3)[t], t.reshape(7, 1)):
        assert net.accuracy(x, labels) == pytest.approx(5 / 7)
        net.loss(x, labels)  # and the loss takes them too


def test_multi_layer_net_rejects_unknown_activation():
    with pytest.raises(ValueError, match="activation must be 'relu' or 'sigmoid'"):
        MultiLayerNet(4, [3], 2, activation="tanh")


# ===================================================================== bad input
def test_shape_mismatch_is_clear_and_changes_nothing():
    net = TwoLayerNet(4, 3, 2)
    before = {k: v.copy() for k, v in net.params.items()}
    with pytest.raises(ValueError, match="Affine1: input has 5 features"):
        net.gradient(np.ones((2, 5)), np.array([0, 1]))
    with pytest.raises(ValueError, match="Affine1: input has 5 features"):
        net.gradient_by_engine(np.ones((2, 5)), np.array([0, 1]))
    for k in before:
        np.testing.assert_array_equal(net.params[k], before[k])


@pytest.mark.parametrize(("labels", "error", "message"), [
    (np.array([0, 10]), ValueError, "label 10 is out of range for 10 classes"),
    (np.array([-1, 0]), ValueError, "label -1 is out of range"),
    (np.array([0.5, 1.0]), TypeError, "must be integers"),
    (np.array([0, 1, 2]), ValueError, r"labels have shape \(3,\)"),
    (np.eye(9)[:2], ValueError, r"one-hot labels have shape \(2, 9\)"),
])
def test_bad_labels_are_clear_errors_and_change_nothing(labels, error, message):
    rng = np.random.default_rng(1)
    logits = Node(rng.normal(size=(2, 10)))
    with pytest.raises(error, match=message):
        ag.cross_entropy(logits, labels)
    with pytest.raises(error, match=message):
        SoftmaxWithLoss().forward(logits.value, labels)
    net = TwoLayerNet(4, 3, 10)
    before = {k: v.copy() for k, v in net.params.items()}
    for gradient in (net.gradient, net.gradient_by_engine):
        with pytest.raises(error, match=message):
            gradient(rng.normal(size=(2, 4)), labels)
    for k in before:
        np.testing.assert_array_equal(net.params[k], before[k])
    assert logits.grad is None


def test_detect_anomaly_names_the_op_on_both_gradient_paths():
    x = np.random.default_rng(2).random((5, 4))
    x[1, 2] = np.nan
    t = np.array([0, 1, 1, 0, 1])
    net = TwoLayerNet(4, 3, 2)
    with ag.detect_anomaly():
        with pytest.raises(FloatingPointError, match="affine produced NaN or Inf in its forward"):
            net.gradient_by_engine(x, t)
        with pytest.raises(FloatingPointError, match="affine"):
            net.gradient(x, t)  # the book's path hands over to the engine in anomaly mode
    # without anomaly mode NaN spreads silently, as in NumPy
    assert np.isnan(net.gradient_by_engine(x, t)["W1"]).any()


def test_gradient_by_engine_twice_gives_the_same_gradients():
    net = TwoLayerNet(4, 3, 2)
    x, t = np.ones((2, 4)), np.array([0, 1])
    first = net.gradient_by_engine(x, t)
    second = net.gradient_by_engine(x, t)  # resets the parameter grads itself
    for k in first:
        np.testing.assert_allclose(first[k], second[k])


def test_a_parameter_node_assigned_later_is_the_one_trained():
    # the model keeps its list of parameter Nodes between steps; assigning another Node to a
    # layer's parameter must show in named_parameters, gradient_by_engine and an optimizer
    net = TwoLayerNet(4, 3, 2)
    x, t = np.ones((2, 4)), np.array([0, 1])
    before = net.gradient_by_engine(x, t)
    old = net.parameters()[2]
    new = Node(net.params["W2"].copy(), name="W2")
    net.layers["Affine2"].W = new
    assert [n for _, n in net.named_parameters()][2] is new and net.parameters()[2] is new
    after = net.gradient_by_engine(x, t)
    np.testing.assert_allclose(after["W2"], before["W2"])  # the same value, the new Node's grad
    assert after["W2"] is new.grad and old.grad is before["W2"]  # the old Node: left alone
    net.zero_grad()
    assert new.grad is None


# ===================================================================== saved parameters
def test_save_and_load_params(tmp_path):
    np.random.seed(0)
    net = TwoLayerNet(4, 3, 2)
    path = tmp_path / "params.npz"
    assert net.save_params(str(path)) == path
    assert path.read_bytes()[:2] == b"PK"  # a zip of .npy arrays, not a pickle
    saved = {k: v.copy() for k, v in net.params.items()}
    W1 = net.params["W1"]
    W1 += 1.0
    net.load_params(str(path))
    assert net.params["W1"] is W1
    np.testing.assert_array_equal(W1, saved["W1"])


def test_load_params_rejects_bad_files_and_changes_nothing(tmp_path):
    np.random.seed(1)
    net = TwoLayerNet(4, 3, 2)
    before = {k: v.copy() for k, v in net.params.items()}
    other = tmp_path / "other.npz"
    TwoLayerNet(4, 5, 2).save_params(other)
    with pytest.raises(ValueError, match=r"W1 has shape \(4, 5\)"):
        net.load_params(other)
    short = tmp_path / "short.npz"
    np.savez(short, W1=net.params["W1"])
    with pytest.raises(ValueError, match=r"missing \['W2', 'b1', 'b2'\]"):
        net.load_params(short)
    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(b"not a zip at all")
    with pytest.raises(ValueError, match="garbage.npz is not a parameter file"):
        net.load_params(garbage)
    for key, value in before.items():
        np.testing.assert_array_equal(net.params[key], value)
    assert not list(tmp_path.glob(".*.tmp"))


class _Payload:
    """Unpickling this runs code: the attack a pickle-based parameter file is open to."""

    def __reduce__(self):
        return (exec, ("import builtins; builtins._graphgrad_pwned = True",))


@pytest.fixture
def net_and_copy():
    net = TwoLayerNet(4, 3, 2)
    yield net, {k: v.copy() for k, v in net.params.items()}
    if hasattr(builtins, "_graphgrad_pwned"):
        del builtins._graphgrad_pwned


def _unchanged(net, before):
    for k in before:
        np.testing.assert_array_equal(net.params[k], before[k])


def test_params_files_that_would_run_code_are_refused(tmp_path, net_and_copy):
    net, before = net_and_copy
    raw = tmp_path / "raw.npz"  # a plain pickle with a .npz name
    raw.write_bytes(pickle.dumps({k: _Payload() for k in net.params}))
    inside = tmp_path / "inside.npz"  # an .npz whose W1 is an object array holding the payload
    payload = np.empty(1, dtype=object)
    payload[0] = _Payload()
    np.savez(inside, **{**net.params, "W1": payload})
    for path in (raw, inside):
        with pytest.raises(ValueError, match="not a parameter file"):
            net.load_params(path)
        assert not getattr(builtins, "_graphgrad_pwned", False), f"{path.name} ran code"
    _unchanged(net, before)


@pytest.mark.parametrize("damage", ["truncate", "flip a data byte", "flip a header byte",
                                    "empty"])
def test_damaged_params_files_are_clear_errors_and_change_nothing(tmp_path, net_and_copy,
                                                                  damage):
    net, before = net_and_copy
    path = tmp_path / "params.npz"
    TwoLayerNet(4, 3, 2).save_params(path)
    data = bytearray(path.read_bytes())
    if damage == "truncate":
        data = data[:len(data) // 2]
    elif damage == "flip a data byte":
        at = data.index(b"W2.npy") - 40  # inside W1's float data, before the next member
        data[at] ^= 0xFF
    elif damage == "flip a header byte":
        at = data.index(b"'shape': (") + 10  # the first digit of W1's shape
        data[at] = ord("9")
    else:
        data = bytearray()
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match=r"params\.npz"):
        net.load_params(path)
    _unchanged(net, before)


def test_interrupted_save_keeps_the_previous_file(tmp_path, monkeypatch):
    net = TwoLayerNet(4, 3, 2)
    path = tmp_path / "params.npz"
    net.save_params(path)
    good = path.read_bytes()

    def dies_half_way(file, **arrays):
        file.write(b"PK\x03\x04 half an archive")
        raise KeyboardInterrupt

    monkeypatch.setattr(np, "savez", dies_half_way)
    with pytest.raises(KeyboardInterrupt):
        TwoLayerNet(4, 3, 2).save_params(path)
    assert path.read_bytes() == good
    assert sorted(p.name for p in tmp_path.iterdir()) == ["params.npz"]


def test_integer_params_are_refused(tmp_path, net_and_copy):
    net, before = net_and_copy
    path = tmp_path / "ints.npz"
    np.savez(path, **{k: np.ones(v.shape, dtype=np.int64) for k, v in net.params.items()})
    with pytest.raises(ValueError, match="floating point"):
        net.load_params(path)
    _unchanged(net, before)


# ===================================================================== training
def _blobs(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    centers = np.array([[2.0, 0.0], [-2.0, 0.0], [0.0, 2.5]])
    t = rng.integers(0, 3, n)
    return centers[t] + 0.5 * rng.standard_normal((n, 2)), t


def test_books_training_loop_runs_and_loss_drops():
    # train_neuralnet.py with the imports changed: params dict updated in place, one-hot labels
    rng = np.random.default_rng(0)
    x_train, labels = _blobs(600, rng)
    t_train = np.eye(3)[labels]
    np.random.seed(0)
    network = TwoLayerNet(input_size=2, hidden_size=16, output_size=3, weight_init_std=0.5)
    train_loss_list = []
    for _ in range(200):
        batch_mask = np.random.choice(x_train.shape[0], 50)
        x_batch, t_batch = x_train[batch_mask], t_train[batch_mask]
        grad = network.gradient(x_batch, t_batch)
        for key in ("W1", "b1", "W2", "b2"):
            network.params[key] -= 0.1 * grad[key]
        train_loss_list.append(network.loss(x_batch, t_batch))
    assert np.mean(train_loss_list[-20:]) < 0.5 * np.mean(train_loss_list[:20])
    assert network.accuracy(x_train, t_train) > 0.9


def test_pytorch_style_training_loop_loss_drops():
    rng = np.random.default_rng(1)
    x_train, t_train = _blobs(600, rng)
    np.random.seed(1)
    model = MultiLayerNet(2, [16, 16], 3, use_batchnorm=True, weight_decay_lambda=1e-3)
    opt = SGD(model.parameters(), lr=0.1)
    losses = []
    for _ in range(150):
        idx = rng.integers(0, 600, 50)
        opt.zero_grad()
        loss = model.loss(Node(x_train[idx], requires_grad=False), t_train[idx], train_flg=True)
        loss.backward(retain_grad=False)
        opt.step()
        losses.append(loss.item())
    assert np.mean(losses[-20:]) < 0.5 * np.mean(losses[:20])
    assert model.eval().accuracy(x_train, t_train) > 0.9


# ===================================================================== a long run
# A long training run: 20 epochs on 2,000 real MNIST images, memory measured after every epoch.
#
# Both training loops run (the book's ``net.gradient`` + in-place update, and the PyTorch-style
# ``zero_grad`` / ``loss.backward`` / ``SGD.step`` through the engine). The cycle collector is off
# while they train, so the memory check also proves a training step leaves no reference cycles:
# anything a step forgot to free would pile up epoch after epoch.
SAMPLES, BATCH, EPOCHS, LR = 2_000, 100, 20, 0.1
#: Growth of traced memory allowed after epoch 2, in total. Measured: under 10 kB (caches
#: warming up in epochs 3-4, then flat); a leak of 300 bytes a step would exceed it.
MAX_GROWTH = 100_000


@pytest.fixture(scope="module")
def subset(mnist_dir) -> tuple[np.ndarray, np.ndarray]:
    """The first 2,000 MNIST training images (float64, flattened) and their labels."""
    (x, t), _ = load_mnist(normalize=True, one_hot_label=False, directory=mnist_dir)
    return x[:SAMPLES].astype(np.float64), t[:SAMPLES].astype(np.int64)


def book_step(net: TwoLayerNet, opt: SGD | None, x: np.ndarray, t: np.ndarray) -> None:
    """The book's train_neuralnet.py step: gradient() (the layer chain), in-place update."""
    grads = net.gradient(x, t)
    for key in ("W1", "b1", "W2", "b2"):
        net.params[key] -= LR * grads[key]


def torch_style_step(net: TwoLayerNet, opt: SGD, x: np.ndarray, t: np.ndarray) -> None:
    """zero_grad / loss.backward() / step(): the graph is recorded and dropped every step."""
    opt.zero_grad()
    net.loss(Node(x, requires_grad=False), t, train_flg=True).backward(retain_grad=False)
    opt.step()


@pytest.mark.parametrize("step", [book_step, torch_style_step], ids=["book", "pytorch-style"])
def test_twenty_epochs_without_memory_growth(subset, step):
    x, t = subset
    np.random.seed(0)
    net = TwoLayerNet(784, 50, 10)
    opt = SGD(net.parameters(), lr=LR)
    order = np.random.default_rng(0)
    start_loss = float(net.loss(x, t))
    start_acc = net.accuracy(x, t)
    gc.collect()
    gc.disable()  # a step that made reference cycles would now grow memory every epoch
    tracemalloc.start()
    try:
        held = []
        for _ in range(EPOCHS):
            perm = order.permutation(SAMPLES)
            for i in range(0, SAMPLES, BATCH):
                batch = perm[i:i + BATCH]
                step(net, opt, x[batch], t[batch])
            net.accuracy(x, t)  # the book evaluates every epoch
            held.append(tracemalloc.get_traced_memory()[0])
    finally:
        tracemalloc.stop()
        gc.enable()
    growth = held[-1] - held[1]
    per_epoch = ", ".join(f"{(h - held[1]) / 1e3:.0f}" for h in held[1:])
    assert growth < MAX_GROWTH, f"memory grew {growth} bytes after epoch 2 (kB: {per_epoch})"
    assert max(held[1:]) - held[1] < MAX_GROWTH, f"kB vs epoch 2: {per_epoch}"
    # and it learned
    end_loss = float(net.loss(x, t))
    assert end_loss < 0.5 * start_loss
    assert net.accuracy(x, t) > max(0.9, start_acc)


def test_save_params_is_safe_against_symlinks_and_concurrent_saves(tmp_path):
    import threading

    victim = tmp_path / "victim"
    victim.write_bytes(b"precious")
    (tmp_path / ".params.npz.tmp").symlink_to(victim)  # the old fixed temporary name
    nets = [TwoLayerNet(30, 20, 5) for _ in range(4)]
    target = tmp_path / "params.npz"
    threads = [threading.Thread(target=lambda n=n: [n.save_params(target) for _ in range(5)])
               for n in nets]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert victim.read_bytes() == b"precious"
    loaded = TwoLayerNet(30, 20, 5)
    loaded.load_params(target)
    assert any(np.array_equal(loaded.params["W1"], n.params["W1"]) for n in nets)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".params.npz.tmp", "params.npz",
                                                           "victim"]
