"""Tests for nn/layers.py: textbook numbers, both interfaces, gradients vs finite differences."""

from __future__ import annotations

import pytest

from autograd import Node
from nn import AddLayer, MulLayer


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
