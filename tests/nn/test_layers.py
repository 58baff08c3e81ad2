"""Tests for nn/layers.py: textbook numbers; both interfaces against central differences and
against the same math written with the engine's primitive ops; the Layer base class."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import autograd
import nn
from autograd import Node, gradcheck, numerical_gradient
from nn import (
    AddLayer,
    Affine,
    BatchNormalization,
    Convolution,
    Dropout,
    Layer,
    MulLayer,
    Pooling,
    Relu,
    Sigmoid,
    SoftmaxWithLoss,
)


# ===================================================================== MulLayer / AddLayer
def test_buy_apple_textbook_numbers():
    # The book's buy_apple.py: 2 apples at 100 each, 10% tax.
    mul_apple, mul_tax = MulLayer(), MulLayer()
    price = mul_tax.forward(mul_apple.forward(100, 2), 1.1)
    dapple_price, dtax = mul_tax.backward(1)
    dapple, dapple_num = mul_apple.backward(dapple_price)
    assert price == pytest.approx(220)
    assert (dapple, dapple_num, dtax) == pytest.approx((2.2, 110, 200))


def test_buy_apple_orange_textbook_numbers():
    mul_apple, mul_orange, add, mul_tax = MulLayer(), MulLayer(), AddLayer(), MulLayer()
    total = add.forward(mul_apple.forward(100, 2), mul_orange.forward(150, 3))
    price = mul_tax.forward(total, 1.1)
    dall, dtax = mul_tax.backward(1)
    dapple_price, dorange_price = add.backward(dall)
    dorange, dorange_num = mul_orange.backward(dorange_price)
    dapple, dapple_num = mul_apple.backward(dapple_price)
    assert price == pytest.approx(715)
    assert (dapple_num, dapple, dorange, dorange_num, dtax) == pytest.approx(
        (110, 2.2, 3.3, 165, 650))


def test_mul_add_layers_on_nodes_record_the_engine_ops():
    apple, num = Node(100, name="apple"), Node(2, name="apple_num")
    orange, onum, tax = Node(150), Node(3), Node(1.1)
    price = MulLayer()(AddLayer()(MulLayer()(apple, num), MulLayer()(orange, onum)), tax)
    price.backward()
    assert price.op.name == "mul" and price.inputs[0].op.name == "add"
    assert price.scope == "MulLayer"
    assert price.value == pytest.approx(715)
    assert (num.grad, apple.grad, orange.grad, onum.grad, tax.grad) == pytest.approx(
        (110, 2.2, 3.3, 165, 650))


# ===================================================================== helpers
RNG = np.random.default_rng(1234)


def _max_err(a: np.ndarray, b: np.ndarray) -> float:
    """Largest absolute difference, scaled by the larger magnitude when that exceeds 1."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b)) / max(1.0, np.max(np.abs(b))))


def _textbook_check(layer: Layer, x: np.ndarray, args: tuple = (), seed: int | None = None,
                    tol: float = 1e-7) -> tuple[np.ndarray, np.ndarray, dict, np.ndarray]:
    """layer.backward vs central differences of sum(w ⊙ forward(x)), for x and every parameter.

    Returns (out, dx, parameter grads, w) for the comparisons of `_both`.
    """
    def run() -> np.ndarray:
        if seed is not None:
            np.random.seed(seed)  # Dropout: the same mask on every forward
        return layer.forward(x, *args)

    w = RNG.standard_normal(np.shape(run()))
    out = run()
    dx = layer.backward(w)
    grads = {a: getattr(layer, "d" + a).copy() for a in layer.param_attrs}

    def f(_: object) -> float:
        return float(np.sum(run() * w))

    assert dx.shape == x.shape
    assert _max_err(dx, numerical_gradient(f, x)) < tol
    for attr, g in grads.items():
        assert g.shape == getattr(layer, attr).shape
        assert _max_err(g, numerical_gradient(f, getattr(layer, attr))) < tol, attr
    return out, dx, grads, w


def _both(layer: Layer, x: np.ndarray, reference: Callable[..., Node], args: tuple = (),
          seed: int | None = None) -> None:
    """Both interfaces of `layer` against central differences and against `reference`.

    `reference(layer, x, *params)` is the layer's forward written with the engine's primitive
    ops: its gradients come from their derivatives, not from the layer's op, so it shares no
    backward code with either interface. The engine path also passes ``gradcheck`` to second
    order where the op's backward can be recorded.
    """
    out, dx, grads, w = _textbook_check(layer, x, args, seed)

    def f(xn: Node, *params: Node) -> Node:
        if seed is not None:
            np.random.seed(seed)
        return layer(xn, *args)

    xn, params = Node(x.copy(), name="x"), layer.parameters()
    order = 2 if layer.op.twice_differentiable else 1
    report = gradcheck(f, xn, *params, atol=1e-6, rtol=1e-4, order=order)
    assert report.ok, str(report)
    for node in (xn, *params):
        node.grad = None
    y = f(xn)
    assert y.op is layer.op and y.scope == layer.name
    y.backward(w)
    xr = Node(x.copy())
    pr = [Node(getattr(layer, a).copy()) for a in layer.param_attrs]
    yr = reference(layer, xr, *pr)
    yr.backward(w)
    close = {"rtol": 1e-9, "atol": 1e-12}
    for got in (out, y.value):
        np.testing.assert_allclose(got, yr.value, **close)
    for got in (dx, xn.grad):
        np.testing.assert_allclose(got, xr.grad, **close)
    for attr, p, r in zip(layer.param_attrs, params, pr):
        for got in (grads[attr], p.grad):
            np.testing.assert_allclose(got, r.grad, err_msg=attr, **close)


# ===================================================================== independent references
# Each layer's math from the engine's primitive ops (as tinygrad builds composite ops), for `_both`.
def _constant(a: Any) -> Node:
    return Node(np.asarray(a, dtype=np.float64), requires_grad=False)


def ref_relu(layer: Layer, x: Node) -> Node:
    return x * _constant(x.value > 0)


def ref_sigmoid(layer: Layer, x: Node) -> Node:
    return 1.0 / (1.0 + autograd.exp(-x))


def ref_affine(layer: Layer, x: Node, W: Node, b: Node) -> Node:
    return x.reshape(x.shape[0], -1) @ W + b


def ref_dropout(layer: Layer, x: Node) -> Node:
    return x * _constant(layer.mask)


def ref_batchnorm(train: bool) -> Callable[..., Node]:
    def ref(layer: Layer, x: Node, gamma: Node, beta: Node) -> Node:
        per_channel = x.ndim == 4 and gamma.shape[0] == x.shape[1]
        rows = x.transpose(0, 2, 3, 1).reshape(-1, x.shape[1]) if per_channel else \
            x.reshape(x.shape[0], -1)
        if train:
            xc = rows - autograd.mean(rows, axis=0)
            var = autograd.mean(xc * xc, axis=0)
        else:
            xc, var = rows - layer.running_mean, _constant(layer.running_var)
        out = gamma * xc / autograd.sqrt(var + 1e-6) + beta  # ε = 1e-6, the book's
        if per_channel:
            n, c, h, w = x.shape
            return out.reshape(n, h, w, c).transpose(0, 3, 1, 2)
        return out.reshape(*x.shape)
    return ref


def _windows(x: Node, fh: int, fw: int, stride: int, pad: int, book_im2col: Callable,
             pad_value: float) -> Node:
    """The book's im2col matrix as a recorded GetItem on x: the index comes from the reference."""
    positions = np.arange(1, x.size + 1, dtype=np.float64).reshape(x.shape)
    index = book_im2col(positions, fh, fw, stride, pad).astype(np.int64) - 1  # −1: padding
    padding = _constant(np.where(index < 0, pad_value, 0.0))
    return x.reshape(-1)[np.maximum(index, 0)] * _constant(index >= 0) + padding


def ref_convolution(book_im2col: Callable) -> Callable[..., Node]:
    def ref(layer: Layer, x: Node, W: Node, b: Node) -> Node:
        n, _, h, w = x.shape
        fn, _, fh, fw = W.shape
        s, p = layer.stride, layer.pad
        col = _windows(x, fh, fw, s, p, book_im2col, 0.0)
        out = col @ W.reshape(fn, -1).T + b
        oh, ow = (h + 2 * p - fh) // s + 1, (w + 2 * p - fw) // s + 1
        return out.reshape(n, oh, ow, fn).transpose(0, 3, 1, 2)
    return ref


def ref_pooling(book_im2col: Callable) -> Callable[..., Node]:
    def ref(layer: Layer, x: Node) -> Node:
        n, c, h, w = x.shape
        ph, pw, s, p = layer.pool_h, layer.pool_w, layer.stride, layer.pad
        col = _windows(x, ph, pw, s, p, book_im2col, -1e9)  # padding never wins the max
        out = autograd.max(col.reshape(-1, c, ph * pw), axis=2)
        oh, ow = (h + 2 * p - ph) // s + 1, (w + 2 * p - pw) // s + 1
        return out.reshape(n, oh, ow, c).transpose(0, 3, 1, 2)
    return ref


# ===================================================================== activations and Affine
def test_relu_both_interfaces():
    x = RNG.standard_normal((4, 5))
    x[np.abs(x) < 0.05] = 0.5  # keep finite differences away from the kink at 0
    _both(Relu(), x, ref_relu)


def test_relu_backward_leaves_dout_alone_and_has_the_books_mask():
    relu = Relu()
    relu.forward(np.array([[1.0, -0.5], [-2.0, 3.0]]))
    dout = np.ones((2, 2))
    np.testing.assert_array_equal(relu.backward(dout), [[1, 0], [0, 1]])
    np.testing.assert_array_equal(dout, np.ones((2, 2)))
    np.testing.assert_array_equal(relu.mask, [[False, True], [True, False]])


def test_sigmoid_both_interfaces():
    _both(Sigmoid(), RNG.standard_normal((3, 4)), ref_sigmoid)


def test_affine_both_interfaces():
    layer = Affine(RNG.standard_normal((5, 3)), RNG.standard_normal(3))
    _both(layer, RNG.standard_normal((4, 5)), ref_affine)


def test_affine_accepts_4d_input_and_restores_dx_shape():
    W, b = RNG.standard_normal((12, 5)), RNG.standard_normal(5)
    layer = Affine(W, b)
    x = RNG.standard_normal((2, 3, 2, 2))
    out = layer.forward(x)
    np.testing.assert_allclose(out, x.reshape(2, -1) @ W + b)
    assert layer.backward(np.ones((2, 5))).shape == (2, 3, 2, 2)
    _both(layer, x, ref_affine)


def test_affine_keeps_the_callers_arrays():
    params = {"W": RNG.standard_normal((3, 2)), "b": np.zeros(2)}
    layer = Affine(params["W"], params["b"])
    params["W"] -= 0.5  # the book's in-place update
    assert layer.W is params["W"] and layer.parameter("W").value is params["W"]


def test_affine_shape_errors_name_the_layer_and_shapes_and_leave_it_usable():
    W, b = RNG.standard_normal((784, 50)), np.zeros(50)
    layer = Affine(W, b)
    with pytest.raises(ValueError, match=r"Affine: input has 785 features per sample but W has "
                                         r"shape \(784, 50\)"):
        layer.forward(np.zeros((2, 785)))
    with pytest.raises(ValueError, match="for one sample use"):
        layer.forward(np.zeros(784))
    with pytest.raises(ValueError, match=r"b has shape \(1, 50\)"):
        Affine(np.zeros((784, 50)), np.zeros((1, 50))).forward(np.zeros((2, 784)))
    with pytest.raises(ValueError, match=r"Affine: input has 785 features"):  # on Nodes too
        layer(Node(np.zeros((2, 785))))
    x = np.ones((2, 784))
    np.testing.assert_array_equal(layer.forward(x), x @ W + b)


def test_affine_is_twice_differentiable():
    # the op's backward is written with recorded operations, so create_graph works through it
    layer = Affine(np.array([[2.0], [3.0]]), np.array([0.5]))
    x = Node(np.array([[1.0, -1.0]]))
    y = layer(x) * layer(x)  # (2·x0 + 3·x1 + 0.5)²
    y.backward(np.ones((1, 1)), create_graph=True)
    gx = x.grad
    x.grad = None
    (gx * Node(np.array([[1.0, 0.0]]), requires_grad=False)).sum().backward()
    np.testing.assert_allclose(x.grad, [[8.0, 12.0]])  # ∂/∂x of 2·(2x0+3x1+0.5)·2


# ===================================================================== SoftmaxWithLoss
@pytest.mark.parametrize("one_hot", [False, True])
def test_softmax_with_loss_both_interfaces(one_hot):
    x = RNG.standard_normal((4, 3))
    t = np.array([0, 2, 1, 2])
    if one_hot:
        t = np.eye(3)[t]
    layer = SoftmaxWithLoss()
    loss = layer.forward(x, t)
    p = np.exp(x) / np.exp(x).sum(axis=1, keepdims=True)
    labels = t.argmax(axis=1) if one_hot else t
    assert loss == pytest.approx(-np.mean(np.log(p[np.arange(4), labels])))
    dx = layer.backward()
    np.testing.assert_allclose(dx, (p - np.eye(3)[labels]) / 4)
    np.testing.assert_allclose(layer.y, p)
    assert _max_err(dx, numerical_gradient(lambda _: layer.forward(x, t), x)) < 1e-8

    xn = Node(x.copy())
    out = layer(xn, t)
    assert gradcheck(lambda v: layer(v, t), xn)
    xn.grad = None
    out.backward()
    np.testing.assert_allclose(xn.grad, dx, rtol=1e-12)


def test_softmax_with_loss_label_errors():
    layer = SoftmaxWithLoss()
    with pytest.raises(ValueError, match="label 3 is out of range for 3 classes"):
        layer.forward(np.zeros((2, 3)), np.array([0, 3]))
    with pytest.raises(ValueError, match="one-hot labels have shape"):
        layer.forward(np.zeros((2, 3)), np.eye(4)[:2])
    with pytest.raises(ValueError, match=r"scores must have shape \(N, classes\)"):
        layer.forward(np.zeros(3), np.array([0]))


def test_softmax_with_loss_and_sigmoid_at_plus_minus_1e4(strict_numpy):
    x = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, 1e4], [-1e4, -1e4, -1e4]])
    layer = SoftmaxWithLoss()
    loss = layer.forward(x, np.array([1, 0, 0]))
    assert loss == pytest.approx((2e4 + 2e4 + np.log(3)) / 3)
    assert np.all(np.isfinite(layer.backward(1)))
    sig = Sigmoid()
    np.testing.assert_array_equal(sig.forward(x), [[1, 0, 0.5], [0, 0, 1], [0, 0, 0]])
    assert np.all(np.isfinite(sig.backward(np.ones((3, 3)))))
# ===================================================================== Dropout
def test_dropout_train_mask_is_reused_in_backward():
    np.random.seed(0)
    layer = Dropout(0.5)
    x = RNG.standard_normal((50, 40))
    out = layer.forward(x, train_flg=True)
    kept = layer.mask
    assert kept.dtype == bool and 0.4 < kept.mean() < 0.6
    np.testing.assert_array_equal(out, x * kept)
    dout = RNG.standard_normal(x.shape)
    np.testing.assert_array_equal(layer.backward(dout), dout * kept)


def test_dropout_eval_scales_by_keep_ratio():
    layer = Dropout(0.3)
    x = RNG.standard_normal((3, 4))
    np.testing.assert_allclose(layer.forward(x, train_flg=False), x * 0.7)
    np.testing.assert_allclose(layer.backward(np.ones((3, 4))), np.full((3, 4), 0.7))
    out = layer(Node(x), train_flg=False)
    np.testing.assert_allclose(out.value, x * 0.7)


@pytest.mark.parametrize("train", [True, False])
def test_dropout_both_interfaces(train):
    _both(Dropout(0.4), RNG.standard_normal((5, 6)), ref_dropout, (train,), seed=7)


def test_dropout_engine_path_uses_the_layers_mask():
    np.random.seed(1)
    layer = Dropout(0.5)
    xn = Node(RNG.standard_normal((6, 6)))
    y = layer(xn)
    y.backward(np.ones((6, 6)))
    np.testing.assert_array_equal(xn.grad, layer.mask.astype(float))


def test_dropout_ratio_must_be_a_probability():
    with pytest.raises(ValueError, match="dropout_ratio"):
        Dropout(1.0)


# ===================================================================== BatchNormalization
@pytest.mark.parametrize("train", [True, False])
def test_batchnorm_2d_both_interfaces(train):
    layer = BatchNormalization(RNG.uniform(0.5, 1.5, 4), RNG.standard_normal(4),
                               running_mean=RNG.standard_normal(4),
                               running_var=RNG.uniform(0.5, 2, 4))
    _both(layer, RNG.standard_normal((6, 4)) * 2 + 1, ref_batchnorm(train), (train,))


@pytest.mark.parametrize("per_channel", [False, True])
@pytest.mark.parametrize("train", [True, False])
def test_batchnorm_4d_both_interfaces(per_channel, train):
    size = 3 if per_channel else 3 * 2 * 2
    layer = BatchNormalization(RNG.uniform(0.5, 1.5, size), RNG.standard_normal(size),
                               running_mean=np.zeros(size), running_var=np.ones(size))
    x = RNG.standard_normal((4, 3, 2, 2))
    assert layer.forward(x, train).shape == x.shape
    _both(layer, x, ref_batchnorm(train), (train,))


def test_batchnorm_training_normalises_and_updates_running_stats():
    x = RNG.standard_normal((8, 3)) * np.array([1.0, 2.0, 3.0]) + np.array([5.0, -1.0, 0.0])
    layer = BatchNormalization(np.ones(3), np.zeros(3), momentum=0.9)
    out = layer.forward(x, train_flg=True)
    np.testing.assert_allclose(out.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(out.std(axis=0), 1, atol=1e-5)
    np.testing.assert_allclose(layer.running_mean, 0.1 * x.mean(axis=0))
    np.testing.assert_allclose(layer.running_var, 0.1 * x.var(axis=0))
    layer.forward(x, train_flg=True)
    np.testing.assert_allclose(layer.running_mean, 0.19 * x.mean(axis=0))
    # test mode: the running statistics, not the batch's
    test_out = layer.forward(x[:2], train_flg=False)
    expect = (x[:2] - layer.running_mean) / np.sqrt(layer.running_var + 1e-6)
    np.testing.assert_allclose(test_out, expect)


def test_batchnorm_4d_running_stats_per_activation_and_per_channel():
    x = RNG.standard_normal((5, 2, 3, 3))
    book = BatchNormalization(np.ones(18), np.zeros(18), momentum=0.0)
    book.forward(x)
    np.testing.assert_allclose(book.running_mean, x.reshape(5, -1).mean(axis=0))
    spatial = BatchNormalization(np.ones(2), np.zeros(2), momentum=0.0)
    out = spatial.forward(x)
    np.testing.assert_allclose(spatial.running_mean, x.mean(axis=(0, 2, 3)))
    np.testing.assert_allclose(out.mean(axis=(0, 2, 3)), 0, atol=1e-12)
    # the engine path updates the same running statistics
    spatial(Node(x + 1.0))
    np.testing.assert_allclose(spatial.running_mean, x.mean(axis=(0, 2, 3)) + 1)


def test_batchnorm_keeps_the_books_intermediate_values():
    x = RNG.standard_normal((6, 4)) * 3 + 1
    bn = BatchNormalization(np.ones(4), np.zeros(4))
    assert bn.xc is None and bn.batch_size is None
    bn.forward(x)
    # the book's names and formulas: xc = x − μ, std = √(σ² + 1e-6), xn = xc / std
    np.testing.assert_allclose(bn.xc, x - x.mean(axis=0))
    np.testing.assert_allclose(bn.std, np.sqrt(x.var(axis=0) + 10e-7))
    np.testing.assert_allclose(bn.xn, bn.xc / bn.std)
    assert bn.batch_size == 6
    xc = bn.xc
    bn.forward(RNG.standard_normal((3, 4)), train_flg=False)
    assert bn.xc is xc and bn.batch_size == 6  # as in the book: only training forwards set them
    bn.forward(RNG.standard_normal((2, 4, 1, 1)))  # images: rows × C·H·W, as the book reshapes
    assert bn.xc.shape == (2, 4) and bn.batch_size == 2


def test_batchnorm_shape_error():
    with pytest.raises(ValueError, match="does not match gamma with 5 entries"):
        BatchNormalization(np.ones(5), np.zeros(5)).forward(np.zeros((2, 3, 2, 2)))


# ===================================================================== Convolution / Pooling
def _pairs(stride, pad):
    """(sh, sw), (ph, pw) from ints or pairs."""
    return tuple(v if isinstance(v, tuple) else (v, v) for v in (stride, pad))


def _naive_conv(x, W, b, stride, pad):
    (sh, sw), (ph, pw) = _pairs(stride, pad)
    N, C, H, Wd = x.shape
    FN, _, FH, FW = W.shape
    xp = np.pad(x, [(0, 0), (0, 0), (ph, ph), (pw, pw)])
    oh, ow = (H + 2 * ph - FH) // sh + 1, (Wd + 2 * pw - FW) // sw + 1
    out = np.zeros((N, FN, oh, ow))
    for n in range(N):
        for f in range(FN):
            for i in range(oh):
                for j in range(ow):
                    window = xp[n, :, i * sh:i * sh + FH, j * sw:j * sw + FW]
                    out[n, f, i, j] = np.sum(window * W[f]) + b[f]
    return out


@pytest.mark.parametrize(("stride", "pad", "expect"), [(1, 0, (2, 4, 5, 5)),
                                                       (2, 1, (2, 4, 4, 4)),
                                                       (3, 2, (2, 4, 3, 3)),
                                                       ((1, 2), (0, 1), (2, 4, 5, 4)),
                                                       ((3, 1), (2, 0), (2, 4, 3, 5))])
def test_convolution_shapes_and_values(stride, pad, expect):
    x, W, b = RNG.standard_normal((2, 3, 7, 7)), RNG.standard_normal((4, 3, 3, 3)), np.arange(4.0)
    out = Convolution(W, b, stride=stride, pad=pad).forward(x)
    assert out.shape == expect
    np.testing.assert_allclose(out, _naive_conv(x, W, b, stride, pad), atol=1e-12)


@pytest.mark.parametrize(("stride", "pad"), [(1, 0), (1, 1), (1, 2), (2, 0), (2, 1), (2, 2)])
def test_convolution_both_interfaces(stride, pad, book_im2col):
    # central differences for every input and parameter; odd sizes and a non-square filter
    layer = Convolution(RNG.standard_normal((3, 2, 3, 2)), RNG.standard_normal(3), stride, pad)
    _both(layer, RNG.standard_normal((2, 2, 5, 7)), ref_convolution(book_im2col))
    # fewer filters than channels: dx by the flipped filters when stride is 1
    layer = Convolution(RNG.standard_normal((2, 3, 3, 2)), RNG.standard_normal(2), stride, pad)
    _both(layer, RNG.standard_normal((2, 3, 5, 7)), ref_convolution(book_im2col))


@pytest.mark.parametrize("layer", [
    Convolution(RNG.standard_normal((3, 2, 3, 2)), RNG.standard_normal(3), (2, 1), (1, 0)),
    Convolution(RNG.standard_normal((2, 2, 2, 3)), RNG.standard_normal(2), (1, 3), [0, 2]),
    Pooling(3, 3, (2, 1), (1, 0)),
], ids=["conv-(2,1)-(1,0)", "conv-(1,3)-[0,2]", "pool-(2,1)-(1,0)"])
def test_stride_and_pad_pairs_backward_against_central_differences(layer):
    # distinct values 0.1 apart, so a pooling window's maximum does not switch under the step
    x = RNG.permutation(2 * 2 * 5 * 7).reshape(2, 2, 5, 7) / 10.0 - 3.5
    w = RNG.standard_normal(layer.forward(x).shape)
    dx = layer.backward(w)

    def f(_):
        return float(np.sum(layer.forward(x) * w))

    np.testing.assert_allclose(dx, numerical_gradient(f, x), atol=1e-7)
    for attr in layer.param_attrs:
        np.testing.assert_allclose(getattr(layer, "d" + attr),
                                   numerical_gradient(f, getattr(layer, attr)), atol=1e-7)
    # the engine's op takes the same pairs
    xn = Node(x.copy())
    layer(xn).backward(w)
    np.testing.assert_allclose(xn.grad, dx, atol=1e-12)


def test_convolution_takes_the_books_scalar_bias_and_rejects_none():
    # the book's apply_filter.py: Convolution(w, 0) with one filter
    W, x = RNG.standard_normal((2, 1, 3, 3)), RNG.standard_normal((1, 1, 6, 5))
    layer = Convolution(W, 0)
    np.testing.assert_array_equal(layer.b, [0.0, 0.0])
    np.testing.assert_allclose(layer.forward(x), _naive_conv(x, W, np.zeros(2), 1, 0), atol=1e-12)
    layer.backward(np.ones((1, 2, 4, 3)))
    np.testing.assert_allclose(layer.db, [12.0, 12.0])  # the book's db: one entry per filter
    np.testing.assert_allclose(Convolution(W, 0.5).forward(x), layer.forward(x) + 0.5)
    with pytest.raises(TypeError, match=r"b is None; for a convolution without bias pass "
                                        r"np.zeros\(2\)"):
        Convolution(W, None)


def test_convolution_errors_name_the_layer_and_leave_it_usable():
    W = RNG.standard_normal((4, 3, 3, 3))
    layer = Convolution(W, np.zeros(4))
    with pytest.raises(ValueError, match="input has 1 channels but the filters expect 3"):
        layer.forward(np.zeros((2, 1, 5, 5)))
    with pytest.raises(ValueError, match=r"shape \(N, C, H, W\)"):
        layer.forward(np.zeros((2, 75)))
    with pytest.raises(ValueError, match="does not fit"):
        layer.forward(np.zeros((2, 3, 2, 2)))
    x = RNG.standard_normal((1, 3, 5, 5))
    np.testing.assert_allclose(layer.forward(x), _naive_conv(x, W, np.zeros(4), 1, 0), atol=1e-12)
    with pytest.raises(ValueError, match=r"stride must be an int or a \(vertical, horizontal\) "
                                         r"pair, got \(1, 2, 3\)"):
        Convolution(W, np.zeros(4), stride=(1, 2, 3))
    with pytest.raises(ValueError, match="stride must be ≥ 1"):
        Convolution(W, np.zeros(4), stride=(1, 0)).forward(x)


def _naive_pool(x, ph, pw, stride, pad):
    (sh, sw), (padh, padw) = _pairs(stride, pad)
    N, C, H, W = x.shape
    xp = np.pad(x, [(0, 0), (0, 0), (padh, padh), (padw, padw)], constant_values=-np.inf)
    oh, ow = (H + 2 * padh - ph) // sh + 1, (W + 2 * padw - pw) // sw + 1
    out = np.zeros((N, C, oh, ow))
    for i in range(oh):
        for j in range(ow):
            out[:, :, i, j] = xp[:, :, i * sh:i * sh + ph, j * sw:j * sw + pw].max(axis=(2, 3))
    return out


@pytest.mark.parametrize(("pool", "stride", "pad", "expect"), [(2, 2, 0, (2, 3, 3, 3)),
                                                              (3, 2, 1, (2, 3, 4, 4)),
                                                              (3, 1, 0, (2, 3, 5, 5)),
                                                              (3, (1, 2), (0, 1), (2, 3, 5, 4))])
def test_pooling_shapes_and_values(pool, stride, pad, expect):
    x = RNG.standard_normal((2, 3, 7, 7)) - 3.0  # all negative: zero padding would be wrong
    out = Pooling(pool, pool, stride=stride, pad=pad).forward(x)
    assert out.shape == expect
    np.testing.assert_allclose(out, _naive_pool(x, pool, pool, stride, pad))


@pytest.mark.parametrize(("pool", "stride", "pad"), [(2, 2, 0), (3, 2, 1), (2, 1, 0), (3, 1, 1),
                                                     (3, 2, 2), (2, 2, 1)])
def test_pooling_both_interfaces(pool, stride, pad, book_im2col):
    # distinct values 0.1 apart: no two within the finite-difference step of each other, where
    # the maximum (and so the derivative) would switch
    x = RNG.permutation(2 * 2 * 5 * 7).reshape(2, 2, 5, 7) / 10.0 - 7.0
    _both(Pooling(pool, pool, stride, pad), x, ref_pooling(book_im2col))


def test_pooling_routes_gradient_to_the_maximum():
    layer = Pooling(2, 2, stride=2)
    x = np.array([[[[1.0, 2.0], [4.0, 3.0]]]])
    assert layer.forward(x).item() == 4.0
    np.testing.assert_array_equal(layer.backward(np.array([[[[5.0]]]])), [[[[0, 0], [5, 0]]]])


def test_pooling_padding_must_be_smaller_than_window():
    with pytest.raises(ValueError, match="pad=2 must be smaller"):
        Pooling(2, 2, pad=2)
    with pytest.raises(ValueError, match=r"pad=\(0, 3\) must be smaller"):
        Pooling(3, 3, pad=(0, 3))


def test_layers_are_exported_with_textbook_signatures():
    layer = nn.BatchNormalization(np.ones(2), np.zeros(2))
    assert layer.momentum == 0.9 and layer.running_mean is None
    assert nn.Dropout().dropout_ratio == 0.5
    pool = nn.Pooling(pool_h=2, pool_w=2)
    assert (pool.stride, pool.pad) == (2, 0)
    conv = nn.Convolution(np.zeros((1, 1, 2, 2)), np.zeros(1))
    assert (conv.stride, conv.pad) == (1, 0)


def test_conv_layers_are_not_twice_differentiable():
    conv = Convolution(RNG.standard_normal((1, 1, 2, 2)), np.zeros(1))
    x = Node(RNG.standard_normal((1, 1, 3, 3)))
    y = conv(x).sum()
    with pytest.raises(NotImplementedError, match="convolution"):
        y.backward(create_graph=True)


@pytest.mark.parametrize("make", [
    lambda: (Affine(RNG.standard_normal((4, 3)), np.zeros(3)), RNG.standard_normal((2, 4))),
    lambda: (Convolution(RNG.standard_normal((2, 1, 2, 2)), np.zeros(2)),
             RNG.standard_normal((2, 1, 3, 3))),
])
def test_data_batch_gets_no_gradient_but_parameters_do(make):
    layer, x = make()
    out = layer.forward(x)
    w = RNG.standard_normal(out.shape)
    assert layer.backward(w, need_dx=False) is None  # the first layer skips dx
    dW = layer.dW
    xn = Node(x, requires_grad=False)  # a data batch
    layer(xn).backward(w)
    assert xn.grad is None
    np.testing.assert_allclose(layer.parameter("W").grad, dW, rtol=1e-12)


# ===================================================================== the Layer base class
def test_a_parameter_lives_in_one_place():
    W = RNG.standard_normal((3, 2))
    layer = Affine(W, np.zeros(2))
    assert layer.W is W  # no copy before the engine asks for a Node ...
    node = layer.parameter("W")
    assert node.value is W and layer.parameter("W") is node  # ... nor after
    W -= 1.0  # the book's in-place update is seen by both interfaces
    np.testing.assert_array_equal(layer.forward(np.eye(3)), W)
    new = np.ones((3, 2))
    layer.W = new  # replacing the array (as load_params / astype do): the same Node follows
    assert layer.parameter("W") is node and node.value is new
    layer.W = np.arange(6).reshape(3, 2)  # integers become floats
    assert node.value.dtype == np.float64 and layer.W is node.value
    assert Affine.param_attrs == ("W", "b") and BatchNormalization.param_attrs == ("gamma", "beta")


def test_a_node_passed_in_becomes_the_parameter():
    Wn = Node(np.ones((2, 2)), name="W")
    layer = Affine(Wn, np.zeros(2))
    assert layer.parameter("W") is Wn and layer.W is Wn.value
    layer(Node(np.eye(2))).sum().backward()
    np.testing.assert_array_equal(Wn.grad, np.ones((2, 2)))
    # a Node assigned after recording replaces it in the next recordings
    other = Node(np.full((2, 2), 3.0))
    layer.W = other
    assert layer.parameters()[0] is other
    layer(Node(np.eye(2))).sum().backward()
    np.testing.assert_array_equal(other.grad, np.ones((2, 2)))
    np.testing.assert_array_equal(Wn.grad, np.ones((2, 2)))  # not touched again


def test_the_books_attributes_mean_what_they_mean_in_the_book():
    x = RNG.standard_normal((2, 3))
    sig = Sigmoid()
    out = sig.forward(x)
    assert sig.out is out
    np.testing.assert_allclose(sig.backward(np.ones_like(x)), (1.0 - sig.out) * sig.out)
    mul = MulLayer()
    mul.forward(3.0, 4.0)
    assert (mul.x, mul.y) == (3.0, 4.0)
    affine = Affine(RNG.standard_normal((3, 2)), np.zeros(2))
    affine.forward(x)
    assert affine.x is x
    loss_layer = SoftmaxWithLoss()
    loss = loss_layer.forward(x, np.array([0, 2]))
    assert loss_layer.loss == loss and list(loss_layer.t) == [0, 2]
    conv = Convolution(RNG.standard_normal((2, 1, 2, 2)), np.zeros(2))
    img = RNG.standard_normal((1, 1, 3, 3))
    conv.forward(img)
    assert conv.x is img  # conv.col and pool.arg_max: tests/nn/test_kernels.py


def test_backward_before_an_array_forward_says_what_to_do():
    layer = Relu()
    with pytest.raises(RuntimeError, match=r"Relu.backward: no forward on arrays"):
        layer.backward(np.ones(2))
    layer(Node(np.ones(2)))  # a forward on Nodes is undone by loss.backward(), not by this
    with pytest.raises(RuntimeError, match="loss.backward"):
        layer.backward(np.ones(2))


def test_batchnorm_running_stats_are_updated_by_the_layer_not_the_op():
    x = RNG.standard_normal((6, 3))
    layer = BatchNormalization(np.ones(3), np.zeros(3), momentum=0.5)
    rm, rv = np.zeros(3), np.ones(3)
    nn.BatchNormOp.forward(x, layer.gamma, layer.beta, rm, rv, True)
    np.testing.assert_array_equal(rm, 0)  # the op only computes
    np.testing.assert_array_equal(rv, 1)
    with autograd.no_grad():  # nothing recorded: the running statistics still move
        layer(Node(x))
    np.testing.assert_allclose(layer.running_mean, 0.5 * x.mean(axis=0))
    np.testing.assert_allclose(layer.running_var, 0.5 * x.var(axis=0))
