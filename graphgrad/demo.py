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


def _have(module: str) -> bool:
    try:
        __import__(module)
    except ImportError:
        return False
    return True


def draw_pictures(out: Path, lang: str | None = None) -> list[Path | str]:
    """The apple/orange graph before and after backward, the backward pass step by step, and
    the explorer page; returns the paths written, and a note for anything left out (the GIF
    without Pillow).

    `lang`: the language of the note and of the page when it opens (``None``: English notes,
    the page in the browser's language).
    """
    import viz
    from viz.messages import message

    words = lang or "en"  # of the pictures; the page opens in `lang`, else the browser's
    price, _ = _apple_orange_graph()
    written: list[Path | str] = [viz.render(price, out / "apple_orange_forward.png", lang=words)]
    price.backward()
    written.append(viz.render(price, out / "apple_orange.png", lang=words))
    written.append(viz.render(price, out / "apple_orange.svg", lang=words))
    gif = out / "apple_orange_backward.gif"
    if _have("PIL"):
        written.append(viz.backward_steps(price, forward_frame=True, lang=words).save_gif(gif))
    else:
        written.append(message("demo.no_pillow", words, path=gif))
    written.append(viz.to_html(price, out / "apple_orange.html", lang=lang))
    return written


def run(out: Path, train: bool = True, lang: str | None = None) -> int:
    """Print the apple/orange values and gradients, draw them, write the explorer page, and
    train on MNIST.

    Every line it prints comes from :mod:`viz.messages`, in `lang` (``"zh"``: Chinese, as
    ``graphgrad demo --lang zh``); ``None`` prints English and lets the page open in the
    browser's language.

    Works with a plain ``pip install`` (no extras): without Pillow there is no GIF, without
    matplotlib no training curves, each with a one-line note naming the extra. Without MNIST
    (and no network to fetch it) the training part is skipped with a short message saying
    which four files to put where; the exit status stays 0 because the graph part worked.
    """
    from viz.messages import check_lang, message

    text = check_lang(lang or "en")
    out = Path(out)
    price, leaves = apple_orange()
    print(message("demo.title", text))
    print(message("demo.price", text, price=f"{price.value:g}"))
    for name, node in leaves.items():
        print(message("demo.grad", text, name=name, grad=f"{node.grad:g}",
                      meaning=message(f"demo.leaf.{name}", text)))
    print(message("demo.pictures", text))
    written = draw_pictures(out, lang)
    for item in written:  # a path, or the note saying what was left out (a message)
        print(message("demo.file", text, path=item) if isinstance(item, Path) else item)
    print(message("demo.page", text, path=out / "apple_orange.html"))
    if train:
        from graphgrad import train as training
        from nn.datasets import MNIST_FILES, MNISTError, mnist_cache_dir

        print()
        print(message("demo.train", text))
        plot = out / "two_layer_curves.png"
        if not _have("matplotlib"):
            print(message("demo.no_matplotlib", text))
            plot = None
        try:
            training.run("two_layer", iters=10000, batch_size=100, lr=0.1, plot=plot, lang=text)
        except MNISTError as err:
            reason = str(err).splitlines()[0]
            reason = reason if len(reason) <= 160 else reason[:159] + "…"
            print(message("demo.no_mnist", text, reason=reason,
                          files=", ".join(MNIST_FILES.values()), cache=mnist_cache_dir()))
    return 0
