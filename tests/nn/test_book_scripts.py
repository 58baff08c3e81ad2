"""Every script of chapters 5-7 of the book's repository, call for call, against the book's figures.

Each test below is one script of ``oreilly-japan/deep-learning-from-scratch`` (ch05, ch06, ch07)
with only its imports changed to graphgrad's, and its iteration counts shortened so it runs in
seconds (the shortening is listed in ``data/book_figures.json`` under ``_meta``). The calls, their
order and the names are the script's; plotting is left out. Where several scripts write out the
same loop (the mini-batch loop of train_neuralnet.py, batch_norm_test.py and
overfit_weight_decay.py; the loss loop of optimizer_compare_mnist.py and weight_init_compare.py),
the loop is written once below (``minibatch_loop``, ``_compare_mnist_losses``) and makes the
scripts' calls in the scripts' order. After ``np.random.seed(SEED)`` the
numbers are compared with figures recorded once from the book's own code, run under the same
seed with the same shortening, and kept in ``data/book_figures.json`` (the book's code is not in
this project; only its figures are).

What is compared: parameters (an evenly spaced sample of each array, its sum and absolute sum),
gradients, accuracies (exactly) and losses. The losses differ in one deliberate way: the book
computes ``-log(y + 1e-7)`` to keep log away from 0, graphgrad the exact log-softmax, so every
loss is a little larger than the book's (by about 1e-7 / y per sample). Training uses only the
gradient ``(y - t) / N``, in which the 1e-7 does not appear, so parameters and accuracies are the
book's. The tests recompute each loss the book's way from our softmax output (``book_loss``) and
compare that tightly. For the same reason the numerical gradients in the gradient-check scripts
differ from the book's by up to ~1e-5, and our backprop-vs-numerical differences come out
smaller than the book's.

The scripts read the real MNIST through the ``mnist_dir`` fixture; without it those tests are
skipped.
"""

from __future__ import annotations

import functools
import json
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from nn.datasets import load_mnist as _load_mnist
from nn.layers import AddLayer, Convolution, MulLayer, SoftmaxWithLoss
from nn.models import MultiLayerNet, MultiLayerNetExtend, SimpleConvNet, TwoLayerNet
from nn.optimizers import SGD, AdaGrad, Adam, Momentum
from nn.trainer import Trainer
from nn.utils import shuffle_dataset, smooth_curve

FIGURES: dict[str, Any] = json.loads((Path(__file__).parent / "data" /
                                      "book_figures.json").read_text(encoding="utf-8"))
SEED: int = FIGURES["_meta"]["seed"]
#: Largest deviation allowed per entry (measured: 8.8e-16 per entry, from summation order).
PARAM_ATOL = 1e-12

@functools.lru_cache(maxsize=1)  # one data set in memory at a time
def _cached_mnist(directory: Path, normalize: bool, flatten: bool,
                  one_hot_label: bool) -> tuple:
    return _load_mnist(normalize=normalize, flatten=flatten, one_hot_label=one_hot_label,
                       directory=directory)


@pytest.fixture
def load_mnist(mnist_dir: Path) -> Callable[..., tuple]:
    """The book's ``load_mnist(normalize=True, flatten=True, one_hot_label=False)`` on the real
    MNIST (the ``mnist_dir`` fixture: skipped without it), kept for the next script with the
    same arguments (no script writes into the arrays)."""
    def load(normalize: bool = True, flatten: bool = True, one_hot_label: bool = False) -> tuple:
        return _cached_mnist(mnist_dir, normalize, flatten, one_hot_label)
    return load


# ===================================================================== comparing with the book
def book_loss(loss: float, layer: SoftmaxWithLoss) -> float:
    """`loss` as the book computes it: cross-entropy of the layer's softmax with ``log(y + 1e-7)``.

    Anything else in `loss` (weight decay) is kept; only the cross-entropy term is swapped.
    """
    y, t = layer.y, layer.t
    index = t if t.ndim == 1 else np.argmax(t, axis=1)
    n = y.shape[0]
    return float(loss) - float(layer.loss) - np.sum(np.log(y[np.arange(n), index] + 1e-7)) / n


def assert_fp(array: Any, fig: dict[str, Any], what: str, atol: float = PARAM_ATOL) -> None:
    """`array` matches the book's fingerprint: shape, sampled entries, sum and absolute sum."""
    a = np.asarray(array, dtype=np.float64)
    assert list(a.shape) == fig["shape"], what
    flat = a.ravel()
    np.testing.assert_allclose(flat[fig["idx"]], fig["sample"], rtol=0, atol=atol, err_msg=what)
    assert flat.sum() == pytest.approx(fig["sum"], abs=atol * flat.size), what
    assert np.abs(flat).sum() == pytest.approx(fig["abs_sum"], abs=atol * flat.size), what


def assert_params(params: dict[str, np.ndarray], fig: dict[str, Any], what: str = "") -> None:
    assert list(params) == list(fig), what  # the book's keys, in the book's order
    for key, value in params.items():
        assert_fp(value, fig[key], f"{what} {key}")


def assert_losses(book_form: list[float], ours: list[float], fig: list[float]) -> None:
    """Our losses recomputed the book's way equal the book's; ours are a little larger."""
    np.testing.assert_allclose(book_form, fig, rtol=1e-10, atol=1e-12)
    gap = np.asarray(ours, dtype=float) - np.asarray(fig)
    assert np.all(gap >= -1e-12) and np.all(gap < 1e-3)


def recording_loss(network: Any, book_form: list[float]) -> None:
    """Make ``network.loss`` also note each loss the book's way (for scripts run by Trainer)."""
    loss = network.loss

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        value = loss(*args, **kwargs)
        if not kwargs.get("train_flg"):  # not the forward pass inside gradient()
            book_form.append(book_loss(value, network.last_layer))
        return value

    network.loss = wrapped


def assert_gradient_check(grad_numerical: dict, grad_backprop: dict, fig: dict,
                          num_atol: float) -> None:
    """Backprop equals the book's; the numerical gradient equals it up to the 1e-7 in the loss."""
    assert list(grad_numerical) == fig["keys"]
    for key in fig["keys"]:
        assert_fp(grad_backprop[key], fig["grad_backprop"][key], f"backprop {key}")
        assert_fp(grad_numerical[key], fig["grad_numerical"][key], f"numerical {key}",
                  atol=num_atol)
        # the printed difference (for the two-layer nets ours is the smaller: the book's carries
        # the 1e-7's derivative)
        diff = np.average(np.abs(grad_backprop[key] - grad_numerical[key]))
        assert diff == pytest.approx(fig["diff"][key], rel=1e-4, abs=num_atol), key


def epoch_lines(stdout: str) -> list[str]:
    """What Trainer printed, without the per-iteration ``train loss:`` lines."""
    return [line for line in stdout.splitlines() if not line.startswith("train loss:")]


def minibatch_loop(x_train: np.ndarray, batch_size: int, step: Callable[[np.ndarray], None],
                   evaluate: Callable[[], None], iters_num: int = 1000000000,
                   max_epochs: int | None = None) -> None:
    """The scripts' hand-written mini-batch loop, call for call: each iteration draws
    ``np.random.choice(train_size, batch_size)`` and passes the index to `step`; at each
    epoch's first iteration it calls `evaluate`, and stops after `max_epochs` such calls
    (train_neuralnet.py instead runs a fixed `iters_num`)."""
    train_size = x_train.shape[0]
    iter_per_epoch = max(train_size / batch_size, 1)
    epoch_cnt = 0
    for i in range(iters_num):
        batch_mask = np.random.choice(train_size, batch_size)
        step(batch_mask)
        if i % iter_per_epoch == 0:
            evaluate()
            epoch_cnt += 1
            if max_epochs is not None and epoch_cnt >= max_epochs:
                break


def sgd_steps(networks: tuple, optimizer: Any, x_train: np.ndarray,
              t_train: np.ndarray) -> Callable[[np.ndarray], None]:
    """One step of batch_norm_test.py / overfit_weight_decay.py: ``gradient`` and ``update``
    for each network in turn on the same batch."""
    def step(batch_mask: np.ndarray) -> None:
        x_batch = x_train[batch_mask]
        t_batch = t_train[batch_mask]
        for network in networks:
            grads = network.gradient(x_batch, t_batch)
            optimizer.update(network.params, grads)
    return step


@pytest.fixture(autouse=True)
def _seeded() -> None:
    np.random.seed(SEED)  # as the recording did before running each script


# ===================================================================== chapter 5
def test_ch05_buy_apple():
    fig = FIGURES["ch05/buy_apple"]
    apple = 100
    apple_num = 2
    tax = 1.1

    mul_apple_layer = MulLayer()
    mul_tax_layer = MulLayer()

    apple_price = mul_apple_layer.forward(apple, apple_num)
    price = mul_tax_layer.forward(apple_price, tax)

    dprice = 1
    dapple_price, dtax = mul_tax_layer.backward(dprice)
    dapple, dapple_num = mul_apple_layer.backward(dapple_price)

    assert (price, dapple, dapple_num, dtax) == (fig["price"], fig["dapple"], fig["dapple_num"],
                                                fig["dtax"])
    assert fig["stdout"] == ["price: 220", "dApple: 2.2", "dApple_num: 110", "dTax: 200"]
    assert [f"price: {int(price)}", f"dApple: {dapple}", f"dApple_num: {int(dapple_num)}",
            f"dTax: {dtax}"] == fig["stdout"]


def test_ch05_buy_apple_orange():
    fig = FIGURES["ch05/buy_apple_orange"]
    apple = 100
    apple_num = 2
    orange = 150
    orange_num = 3
    tax = 1.1

    mul_apple_layer = MulLayer()
    mul_orange_layer = MulLayer()
    add_apple_orange_layer = AddLayer()
    mul_tax_layer = MulLayer()

    apple_price = mul_apple_layer.forward(apple, apple_num)  # (1)
    orange_price = mul_orange_layer.forward(orange, orange_num)  # (2)
    all_price = add_apple_orange_layer.forward(apple_price, orange_price)  # (3)
    price = mul_tax_layer.forward(all_price, tax)  # (4)

    dprice = 1
    dall_price, dtax = mul_tax_layer.backward(dprice)  # (4)
    dapple_price, dorange_price = add_apple_orange_layer.backward(dall_price)  # (3)
    dorange, dorange_num = mul_orange_layer.backward(dorange_price)  # (2)
    dapple, dapple_num = mul_apple_layer.backward(dapple_price)  # (1)

    got = {"price": price, "dapple": dapple, "dapple_num": dapple_num, "dorange": dorange,
           "dorange_num": dorange_num, "dtax": dtax, "dall_price": dall_price}
    assert got == {key: fig[key] for key in got}
    # the printed book: 715, 2.2, 110, 3.3, 165, 650
    assert [int(price), dapple, int(dapple_num), dorange, int(dorange_num), dtax] == [
        715, 2.2, 110, 3.3000000000000003, 165, 650]


# gradient_check.py (ch05) and batch_norm_gradient_check.py (ch06) are one script with another
# network, batch size and order of the two gradient calls
GRADIENT_CHECKS = {
    "ch05/gradient_check": (
        lambda: TwoLayerNet(input_size=784, hidden_size=10, output_size=10),  # book: 50
        3, False),
    "ch06/batch_norm_gradient_check": (
        lambda: MultiLayerNetExtend(input_size=784, hidden_size_list=[10, 10], output_size=10,
                                    use_batchnorm=True),  # book: [100, 100]
        1, True),
}


@pytest.mark.parametrize("script", list(GRADIENT_CHECKS))
def test_gradient_check_scripts(load_mnist, script):
    fig = FIGURES[script]
    make_network, batch, backprop_first = GRADIENT_CHECKS[script]
    (x_train, t_train), (x_test, t_test) = load_mnist(normalize=True, one_hot_label=True)

    network = make_network()

    x_batch = x_train[:batch]
    t_batch = t_train[:batch]

    if backprop_first:
        grad_backprop = network.gradient(x_batch, t_batch)
    grad_numerical = network.numerical_gradient(x_batch, t_batch)
    if not backprop_first:
        grad_backprop = network.gradient(x_batch, t_batch)

    assert_gradient_check(grad_numerical, grad_backprop, fig, num_atol=1e-5)


def test_ch05_train_neuralnet(load_mnist):
    fig = FIGURES["ch05/train_neuralnet"]
    (x_train, t_train), (x_test, t_test) = load_mnist(normalize=True, one_hot_label=True)

    network = TwoLayerNet(input_size=784, hidden_size=50, output_size=10)

    iters_num = 601  # book: 10000
    batch_size = 100
    learning_rate = 0.1

    train_loss_list = []
    train_acc_list = []
    test_acc_list = []
    book_form = []

    def step(batch_mask):
        x_batch = x_train[batch_mask]
        t_batch = t_train[batch_mask]

        grad = network.gradient(x_batch, t_batch)

        for key in ('W1', 'b1', 'W2', 'b2'):
            network.params[key] -= learning_rate * grad[key]

        loss = network.loss(x_batch, t_batch)
        train_loss_list.append(loss)
        book_form.append(book_loss(loss, network.lastLayer))

    def evaluate():
        train_acc_list.append(network.accuracy(x_train, t_train))
        test_acc_list.append(network.accuracy(x_test, t_test))

    minibatch_loop(x_train, batch_size, step, evaluate, iters_num=iters_num)

    assert train_acc_list == fig["train_acc_list"] and test_acc_list == fig["test_acc_list"]
    assert_losses(book_form, train_loss_list, fig["train_loss_list"])
    assert_params(network.params, fig["params"])


# ===================================================================== chapter 6
def test_ch06_batch_norm_test(load_mnist):
    fig = FIGURES["ch06/batch_norm_test"]
    (x_train, t_train), (x_test, t_test) = load_mnist(normalize=True)

    x_train, t_train = x_train[:1000], t_train[:1000]  # the script: two lines

    max_epochs = 2  # book: 20
    batch_size = 100
    learning_rate = 0.01

    def __train(weight_init_std):
        bn_network = MultiLayerNetExtend(input_size=784, hidden_size_list=[100, 100, 100, 100, 100],
                                         output_size=10, weight_init_std=weight_init_std,
                                         use_batchnorm=True)
        network = MultiLayerNetExtend(input_size=784, hidden_size_list=[100, 100, 100, 100, 100],
                                      output_size=10, weight_init_std=weight_init_std)
        optimizer = SGD(lr=learning_rate)

        train_acc_list = []
        bn_train_acc_list = []

        def evaluate():
            train_acc_list.append(network.accuracy(x_train, t_train))
            bn_train_acc_list.append(bn_network.accuracy(x_train, t_train))

        minibatch_loop(x_train, batch_size, sgd_steps((bn_network, network), optimizer, x_train,
                                                      t_train), evaluate, max_epochs=max_epochs)

        return train_acc_list, bn_train_acc_list

    weight_scale_list = np.logspace(0, -4, num=16)

    results = []
    with np.errstate(over="ignore", invalid="ignore"):  # W = 1 without BatchNorm blows up
        for i, w in enumerate(weight_scale_list):  # noqa: B007 - the script's loop
            train_acc_list, bn_train_acc_list = __train(w)
            results.append([train_acc_list, bn_train_acc_list])
    assert results == fig["results"]


def test_ch06_hyperparameter_optimization(load_mnist):
    fig = FIGURES["ch06/hyperparameter_optimization"]
    (x_train, t_train), (x_test, t_test) = load_mnist(normalize=True)

    x_train, t_train = x_train[:500], t_train[:500]  # the script: two lines

    validation_rate = 0.20
    validation_num = int(x_train.shape[0] * validation_rate)
    x_train, t_train = shuffle_dataset(x_train, t_train)
    x_val = x_train[:validation_num]
    t_val = t_train[:validation_num]
    x_train = x_train[validation_num:]
    t_train = t_train[validation_num:]

    def __train(lr, weight_decay, epocs=6):  # book: 50
        network = MultiLayerNet(input_size=784, hidden_size_list=[100, 100, 100, 100, 100, 100],
                                output_size=10, weight_decay_lambda=weight_decay)
        trainer = Trainer(network, x_train, t_train, x_val, t_val,
                          epochs=epocs, mini_batch_size=100,
                          optimizer='sgd', optimizer_param={'lr': lr}, verbose=False)
        trainer.train()

        return trainer.test_acc_list, trainer.train_acc_list

    optimization_trial = 3  # book: 100
    results_val = {}
    results_train = {}
    for _ in range(optimization_trial):
        weight_decay = 10 ** np.random.uniform(-8, -4)
        lr = 10 ** np.random.uniform(-6, -2)

        val_acc_list, train_acc_list = __train(lr, weight_decay)
        key = "lr:" + str(lr) + ", weight decay:" + str(weight_decay)
        results_val[key] = val_acc_list
        results_train[key] = train_acc_list

    assert t_val.tolist() == fig["t_val"] and t_train.tolist() == fig["t_train"]
    assert results_val == fig["results_val"] and results_train == fig["results_train"]


def _compare_mnist_losses(load_mnist, networks, optimizers, keys, fig):
    """The data, sizes and training loop shared by optimizer_compare_mnist.py and
    weight_init_compare.py."""
    (x_train, t_train), (x_test, t_test) = load_mnist(normalize=True)

    train_size = x_train.shape[0]
    batch_size = 128
    max_iterations = 101  # book: 2000

    train_loss = {key: [] for key in keys}
    book_form = {key: [] for key in keys}
    for i in range(max_iterations):
        batch_mask = np.random.choice(train_size, batch_size)
        x_batch = x_train[batch_mask]
        t_batch = t_train[batch_mask]

        for key in keys:
            grads = networks[key].gradient(x_batch, t_batch)
            optimizers[key].update(networks[key].params, grads)

            loss = networks[key].loss(x_batch, t_batch)
            train_loss[key].append(loss)
            book_form[key].append(book_loss(loss, networks[key].last_layer))

        if i % 100 == 0:
            for key in keys:
                loss = networks[key].loss(x_batch, t_batch)

    for key in keys:
        assert_losses(book_form[key], train_loss[key], fig["train_loss"][key])
        np.testing.assert_allclose(smooth_curve(book_form[key]), fig["smooth"][key],
                                   rtol=1e-10, atol=1e-12)
        assert_params(networks[key].params, fig["params"][key], key)


def test_ch06_optimizer_compare_mnist(load_mnist):
    fig = FIGURES["ch06/optimizer_compare_mnist"]

    optimizers = {}
    optimizers['SGD'] = SGD()
    optimizers['Momentum'] = Momentum()
    optimizers['AdaGrad'] = AdaGrad()
    optimizers['Adam'] = Adam()

    networks = {}
    for key in optimizers.keys():
        networks[key] = MultiLayerNet(
            input_size=784, hidden_size_list=[100, 100, 100, 100],
            output_size=10)

    _compare_mnist_losses(load_mnist, networks, optimizers, list(optimizers), fig)


def test_ch06_optimizer_compare_naive():
    fig = FIGURES["ch06/optimizer_compare_naive"]

    def df(x, y):
        return x / 10.0, 2.0 * y

    init_pos = (-7.0, 2.0)
    params = {}
    params['x'], params['y'] = init_pos[0], init_pos[1]
    grads = {}
    grads['x'], grads['y'] = 0, 0

    optimizers = OrderedDict()
    optimizers["SGD"] = SGD(lr=0.95)
    optimizers["Momentum"] = Momentum(lr=0.1)
    optimizers["AdaGrad"] = AdaGrad(lr=1.5)
    optimizers["Adam"] = Adam(lr=0.3)

    for key in optimizers:
        optimizer = optimizers[key]
        x_history = []
        y_history = []
        params['x'], params['y'] = init_pos[0], init_pos[1]

        for i in range(30):  # noqa: B007 - the script's loop
            x_history.append(params['x'])
            y_history.append(params['y'])

            grads['x'], grads['y'] = df(params['x'], params['y'])
            optimizer.update(params, grads)

        np.testing.assert_allclose(x_history, fig["RESULTS"][key][0], rtol=0, atol=1e-15)
        np.testing.assert_allclose(y_history, fig["RESULTS"][key][1], rtol=0, atol=1e-15)


def test_ch06_overfit_dropout(capsys, load_mnist):
    fig = FIGURES["ch06/overfit_dropout"]
    (x_train, t_train), (x_test, t_test) = load_mnist(normalize=True)

    x_train, t_train = x_train[:300], t_train[:300]  # the script: two lines

    use_dropout = True
    dropout_ratio = 0.2

    network = MultiLayerNetExtend(input_size=784, hidden_size_list=[100, 100, 100, 100, 100, 100],
                                  output_size=10, use_dropout=use_dropout,
                                  dropout_ration=dropout_ratio)
    book_form = []
    recording_loss(network, book_form)
    trainer = Trainer(network, x_train, t_train, x_test, t_test,
                      epochs=6, mini_batch_size=100,  # book: 301
                      optimizer='sgd', optimizer_param={'lr': 0.01}, verbose=True)
    trainer.train()

    train_acc_list, test_acc_list = trainer.train_acc_list, trainer.test_acc_list

    assert train_acc_list == fig["train_acc_list"] and test_acc_list == fig["test_acc_list"]
    assert_losses(book_form, trainer.train_loss_list, fig["train_loss_list"])
    assert_params(network.params, fig["params"])
    # the book's printout, line for line, apart from the losses' last digits
    assert epoch_lines(capsys.readouterr().out) == epoch_lines("\n".join(fig["stdout"]))


def test_ch06_overfit_weight_decay(load_mnist):
    fig = FIGURES["ch06/overfit_weight_decay"]
    (x_train, t_train), (x_test, t_test) = load_mnist(normalize=True)

    x_train, t_train = x_train[:300], t_train[:300]  # the script: two lines

    weight_decay_lambda = 0.1

    network = MultiLayerNet(input_size=784, hidden_size_list=[100, 100, 100, 100, 100, 100],
                            output_size=10, weight_decay_lambda=weight_decay_lambda)
    optimizer = SGD(lr=0.01)

    max_epochs = 6  # book: 201
    batch_size = 100

    train_acc_list = []
    test_acc_list = []

    def evaluate():
        train_acc_list.append(network.accuracy(x_train, t_train))
        test_acc_list.append(network.accuracy(x_test, t_test))

    minibatch_loop(x_train, batch_size, sgd_steps((network,), optimizer, x_train, t_train),
                   evaluate, max_epochs=max_epochs)

    assert train_acc_list == fig["train_acc_list"] and test_acc_list == fig["test_acc_list"]
    assert_params(network.params, fig["params"])


def test_ch06_weight_init_activation_histogram():
    # the script imports nothing from the book's library: it runs as it is, on NumPy alone
    fig = FIGURES["ch06/weight_init_activation_histogram"]

    def ReLU(x):  # noqa: N802 - the script's name
        return np.maximum(0, x)

    input_data = np.random.randn(1000, 100)
    node_num = 100
    hidden_layer_size = 5
    activations = {}

    x = input_data

    for i in range(hidden_layer_size):
        if i != 0:
            x = activations[i - 1]

        w = np.random.randn(node_num, node_num) * np.sqrt(2.0 / node_num)

        a = np.dot(x, w)
        z = ReLU(a)
        activations[i] = z

    for i, a in activations.items():
        assert_fp(a, fig["activations"][str(i)], f"layer {i + 1}")


def test_ch06_weight_init_compare(load_mnist):
    fig = FIGURES["ch06/weight_init_compare"]

    weight_init_types = {'std=0.01': 0.01, 'Xavier': 'sigmoid', 'He': 'relu'}
    optimizer = SGD(lr=0.01)

    networks = {}
    for key, weight_type in weight_init_types.items():
        networks[key] = MultiLayerNet(input_size=784, hidden_size_list=[100, 100, 100, 100],
                                      output_size=10, weight_init_std=weight_type)

    _compare_mnist_losses(load_mnist, networks, dict.fromkeys(weight_init_types, optimizer),
                          list(weight_init_types), fig)


# ===================================================================== chapter 7
def test_ch07_gradient_check():
    fig = FIGURES["ch07/gradient_check"]
    network = SimpleConvNet(input_dim=(1, 10, 10),
                            conv_param={'filter_num': 10, 'filter_size': 3, 'pad': 0, 'stride': 1},
                            hidden_size=10, output_size=10, weight_init_std=0.01)

    X = np.random.rand(100).reshape((1, 1, 10, 10))
    T = np.array([1]).reshape((1, 1))  # a (1, 1) column of class indices

    grad_num = network.numerical_gradient(X, T)
    grad = network.gradient(X, T)

    assert_gradient_check(grad_num, grad, {"keys": fig["keys"], "grad_numerical": fig["grad_num"],
                                           "grad_backprop": fig["grad"], "diff": fig["diff"]},
                          num_atol=1e-5)


def test_ch07_train_convnet_visualize_filter_apply_filter(capsys, tmp_path, monkeypatch,
                                                          load_mnist):
    """train_convnet.py saves params.pkl; visualize_filter.py and apply_filter.py load it."""
    monkeypatch.chdir(tmp_path)
    # ---- train_convnet.py
    fig = FIGURES["ch07/train_convnet"]
    (x_train, t_train), (x_test, t_test) = load_mnist(flatten=False)

    x_train, t_train = x_train[:500], t_train[:500]  # the script's commented-out lines, shorter
    x_test, t_test = x_test[:300], t_test[:300]

    max_epochs = 3  # book: 20

    network = SimpleConvNet(input_dim=(1, 28, 28),
                            conv_param={'filter_num': 30, 'filter_size': 5, 'pad': 0, 'stride': 1},
                            hidden_size=100, output_size=10, weight_init_std=0.01)
    book_form = []
    recording_loss(network, book_form)
    trainer = Trainer(network, x_train, t_train, x_test, t_test,
                      epochs=max_epochs, mini_batch_size=100,
                      optimizer='Adam', optimizer_param={'lr': 0.001},
                      evaluate_sample_num_per_epoch=1000)
    trainer.train()

    network.save_params("params.pkl")

    assert trainer.train_acc_list == fig["train_acc_list"]
    assert trainer.test_acc_list == fig["test_acc_list"]
    assert_losses(book_form, trainer.train_loss_list, fig["train_loss_list"])
    assert_params(network.params, fig["params"])
    assert epoch_lines(capsys.readouterr().out) == epoch_lines("\n".join(fig["stdout"][:-1]))

    # ---- visualize_filter.py
    np.random.seed(SEED)
    fig = FIGURES["ch07/visualize_filter"]
    network = SimpleConvNet()
    network.load_params("params.pkl")
    assert_fp(network.params['W1'], fig["W1"], "W1")

    # ---- apply_filter.py (a random 40x30 image instead of the book's lena_gray.png)
    np.random.seed(SEED)
    fig = FIGURES["ch07/apply_filter"]
    network = SimpleConvNet(input_dim=(1, 28, 28),
                            conv_param={'filter_num': 30, 'filter_size': 5, 'pad': 0, 'stride': 1},
                            hidden_size=100, output_size=10, weight_init_std=0.01)
    network.load_params("params.pkl")

    img = np.random.rand(40, 30)
    img = img.reshape(1, 1, *img.shape)

    for i in range(16):
        w = network.params['W1'][i]
        b = 0  # network.params['b1'][i]

        w = w.reshape(1, *w.shape)
        conv_layer = Convolution(w, b)
        out = conv_layer.forward(img)
        out = out.reshape(out.shape[2], out.shape[3])
        assert_fp(out, fig["outs"][i], f"filter {i}")
