"""graphgrad's engine: a traced `Node` graph with reverse-topological backward.

    >>> from autograd import Node
    >>> apple, num, tax = Node(100, name="apple"), Node(2, name="apple_num"), Node(1.1, name="tax")
    >>> price = apple * num * tax
    >>> price.backward()
    >>> round(price.value, 6), round(apple.grad, 6), num.grad, tax.grad
    (220.0, 2.2, 110.0, 200.0)
"""

from autograd.gradcheck import GradcheckReport, gradcheck, numerical_gradient
from autograd.node import (
    Node,
    Op,
    Step,
    as_node,
    backward_order,
    backward_reference,
    backward_trace,
    detect_anomaly,
    enable_grad,
    is_anomaly_enabled,
    is_grad_enabled,
    no_grad,
    scope,
    topological_order,
)
from autograd.ops import (
    accuracy,
    add,
    apply,
    broadcast_to,
    clip,
    cos,
    cross_entropy,
    div,
    dropout,
    exp,
    flatten,
    getitem,
    leaky_relu,
    linear,
    log,
    log_softmax,
    matmul,
    max,
    mean,
    mean_squared_error,
    min,
    mul,
    neg,
    pow,
    relu,
    reshape,
    sigmoid,
    sin,
    softmax,
    sqrt,
    sub,
    sum,
    sum_to,
    tanh,
    transpose,
)

__all__ = [
    "GradcheckReport", "Node", "Op", "Step", "accuracy", "add", "apply", "as_node",
    "backward_order", "backward_reference", "backward_trace", "broadcast_to", "clip", "cos",
    "cross_entropy", "detect_anomaly", "div", "dropout", "enable_grad", "exp", "flatten",
    "getitem", "gradcheck", "is_anomaly_enabled", "is_grad_enabled", "leaky_relu", "linear",
    "log", "log_softmax", "matmul", "max", "mean", "mean_squared_error", "min", "mul", "neg",
    "no_grad", "numerical_gradient", "pow", "relu", "reshape", "scope", "sigmoid", "sin",
    "softmax", "sqrt", "sub", "sum", "sum_to", "tanh", "topological_order", "transpose",
]
