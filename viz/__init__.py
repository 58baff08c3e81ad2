"""Pictures of autograd graphs, drawn like the figures of "Deep Learning from Scratch" ch. 5.

Op nodes are circles with their symbol (×, +, exp, ReLU, ...), parameters are blue boxes,
inputs and constants plain text; each edge shows the forward value above and, after
``backward()``, the gradient below in red::

    import viz
    price.backward()
    viz.draw(price)                     # inline in Jupyter
    viz.render(price, "price.png")      # .png / .svg / .pdf / .dot by suffix
    viz.backward_steps(price).save_gif("backward.gif")
    viz.watch("spiral", "watch.html")   # train a small net, replay the run in a page

Common options (all keyword-only, declared once in :class:`viz.Options`): ``show`` ("both" |
"values" | "grads"), ``precision`` (significant digits, default 4), ``params`` ({name: Node}),
``group`` (frame each ``autograd.scope``), ``collapse_scopes`` (one box per scope),
``max_nodes`` (fold the rest, default 150, ``None`` for no limit), ``rankdir`` ("LR"), ``dpi``
or ``scale`` (PNG and GIF size, default 144 dpi = 2x).

Layers, each using only the ones before it: ``labels`` (numbers, escaping) -> ``options`` ->
``layout`` (graph -> boxes and arrows) -> ``text`` (names and step captions) -> ``trace`` (one
replay of the backward pass) -> ``dot`` (layout -> DOT) -> ``picture`` / ``steps`` (frames) /
``html`` (the explorer page); ``backends`` only turns DOT text into bytes.

Rendering uses ``pygraphviz`` (``pip install pygraphviz``, bundles Graphviz) or a system
``dot``; DOT text needs neither.
"""

from .backends import GraphvizNotFoundError, backend, dot_to_bytes
from .dot import layout_to_dot, to_dot
from .html import Explorer, explore, to_html
from .labels import format_number, format_value
from .layout import GraphLayout, LayoutCluster, LayoutEdge, LayoutNode, build_layout
from .options import DEFAULT_MAX_NODES, Options
from .picture import Drawing, draw, render, render_svg, to_graphviz
from .steps import BackwardSteps, Frame, backward_steps
from .watch import WatchPage, watch

__all__ = [
    "DEFAULT_MAX_NODES",
    "BackwardSteps",
    "Drawing",
    "Explorer",
    "Frame",
    "GraphLayout",
    "GraphvizNotFoundError",
    "LayoutCluster",
    "LayoutEdge",
    "LayoutNode",
    "Options",
    "WatchPage",
    "backend",
    "backward_steps",
    "build_layout",
    "dot_to_bytes",
    "draw",
    "explore",
    "format_number",
    "format_value",
    "layout_to_dot",
    "render",
    "render_svg",
    "to_dot",
    "to_html",
    "to_graphviz",
    "watch",
]
