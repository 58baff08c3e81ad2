"""`make demo`: the textbook's apple/orange purchase as a graph, backpropagated and printed."""

from __future__ import annotations

from pathlib import Path

from autograd import Node


def _apple_orange_graph() -> tuple[Node, dict[str, Node]]:
    """The textbook's apple/orange graph (Fig. 5-17): the price and its leaves by name."""
    apple, apple_num = Node(100, name="apple"), Node(2, name="apple_num")
    orange, orange_num = Node(150, name="orange"), Node(3, name="orange_num")
    tax = Node(1.1, name="tax")
    price = (apple * apple_num + orange * orange_num) * tax
    price.name = "price"
    leaves = {n.name: n for n in (apple, apple_num, orange, orange_num, tax)}
    return price, leaves


def apple_orange() -> tuple[Node, dict[str, Node]]:
    """Build the textbook's apple/orange graph (Fig. 5-17) and run backward."""
    price, leaves = _apple_orange_graph()
    price.backward()
    return price, leaves


def draw_pictures(out: Path) -> list[Path]:
    """The apple/orange graph before and after backward, and the backward pass step by step."""
    import viz

    price, _ = _apple_orange_graph()
    written = [viz.render(price, out / "apple_orange_forward.png")]
    price.backward()
    written.append(viz.render(price, out / "apple_orange.png"))
    written.append(viz.render(price, out / "apple_orange.svg"))
    steps = viz.backward_steps(price, forward_frame=True)
    written.append(steps.save_gif(out / "apple_orange_backward.gif"))
    return written


def run(out: Path, train: bool = True) -> int:
    """Print the apple/orange values and gradients, draw them, and train on MNIST."""
    price, leaves = apple_orange()
    print("Apple/orange purchase (Deep Learning from Scratch, 5.4):")
    print(f"  price = (apple*apple_num + orange*orange_num) * tax = {price.value:g}")
    for name, node in leaves.items():
        print(f"  d price / d {name:<10} = {node.grad:g}")
    print("Pictures (values above each edge, gradients below in red):")
    for path in draw_pictures(Path(out)):
        print(f"  {path}")
    if train:
        from graphgrad import train as training

        print("\nTraining the textbook's TwoLayerNet on MNIST (5.7.4: 10,000 iterations, "
              "batch 100, lr 0.1):")
        training.run("two_layer", iters=10000, batch_size=100, lr=0.1,
                     plot=Path(out) / "two_layer_curves.png")
    return 0
