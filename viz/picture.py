"""Pictures of a graph: ``render`` to a file, ``render_svg``, ``draw`` for Jupyter.

Each goes graph -> :class:`~viz.layout.GraphLayout` -> DOT (:mod:`viz.dot`) -> bytes
(:mod:`viz.backends`), with the options of :class:`viz.Options`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .backends import dot_to_svg, write_dot
from .dot import layout_to_dot
from .layout import GraphLayout, check_root, layout_of
from .options import Options

__all__ = ["Drawing", "draw", "render", "render_svg", "to_graphviz"]


def render_svg(root: Any, *, inline: bool = False, **options: Any) -> str:
    """SVG text of the graph that produced ``root`` (options of :class:`viz.Options`).

    Every node, edge and cluster element carries the ``id`` of its layout element
    (``node7``, ``edge3_7``, ``cluster_0``). ``inline=True`` drops the XML prolog so the
    result can be pasted into an HTML page.
    """
    return draw(root, **options).svg(inline=inline)


def render(root: Any, path: str | Path, **options: Any) -> Path:
    """Draw the graph that produced ``root`` into ``path``; the suffix picks the format.

    ``.png``, ``.svg``, ``.pdf`` need a renderer (see :func:`viz.backend`); ``.dot``/``.gv`` write
    the DOT source. Options are those of :class:`viz.Options` (``dpi=``/``scale=`` set the
    size of a PNG). Returns the path written.
    """
    check_root(root, "viz.render")
    opts = Options.of("viz.render", options)
    return Drawing(layout_of(root, opts), dpi=opts.dpi).render(path)


class DotPicture:
    """What every picture made from DOT text can do: give its SVG, show inline, be saved.

    A subclass provides ``source`` (the DOT text) and ``dpi`` (pixels per inch of a PNG).
    """

    source: str
    dpi: float | None

    def svg(self, inline: bool = False) -> str:
        """The SVG text (needs a renderer, see :func:`viz.backend`)."""
        return dot_to_svg(self.source, inline)

    def _repr_svg_(self) -> str:
        # Jupyter's inline display hook.
        return self.svg(inline=True)

    def render(self, path: str | Path) -> Path:
        """Save as ``.png``/``.svg``/``.pdf``/``.dot`` (by suffix); returns the path."""
        return write_dot(self.source, path, dpi=self.dpi)


class Drawing(DotPicture):
    """A drawn graph: shows itself inline in Jupyter, and can be saved.

    Attributes:
        source: the DOT text.
        layout: the :class:`~viz.layout.GraphLayout` it was written from.
        dpi: pixels per inch when saved as PNG.
    """

    def __init__(self, layout: GraphLayout, dpi: float | None = None) -> None:
        self.layout = layout
        self.source = layout_to_dot(layout)
        self.dpi = dpi

    def __repr__(self) -> str:
        return f"<viz.Drawing: {len(self.layout.nodes)} nodes, {len(self.layout.edges)} edges>"


def draw(root: Any, **options: Any) -> Drawing:
    """A :class:`Drawing` of the graph that produced ``root``; in a notebook it shows inline.

    Options are those of :class:`viz.Options`.
    """
    check_root(root, "viz.draw")
    opts = Options.of("viz.draw", options)
    return Drawing(layout_of(root, opts), dpi=opts.dpi)


def to_graphviz(root: Any, **options: Any) -> Any:
    """The graph as a ``graphviz.Source``, for code written around the `graphviz` package.

    torchviz users get the same kind of object from ``make_dot``. Its ``.source`` is our DOT;
    its own rendering calls the system ``dot`` program, so to draw without one use
    :func:`render` or :func:`draw`, which go through pygraphviz.
    """
    try:
        import graphviz
    except ImportError:
        raise ImportError("to_graphviz needs the graphviz package: pip install graphviz") from None
    return graphviz.Source(draw(root, **options).source)
