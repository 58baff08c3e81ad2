"""DOT -> pictures (PNG, SVG, PDF), with or without a system Graphviz.

Backends, in order of preference:

1. ``pygraphviz`` (``pip install pygraphviz``): its wheels bundle the Graphviz libraries, so
   nothing has to be installed system-wide;
2. a ``dot`` executable on ``PATH`` (the system Graphviz package).

When neither is there, :class:`GraphvizNotFoundError` says what to install; ``.dot`` output
never needs a backend.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

from .dot import layout_to_dot, to_dot
from .layout import GraphLayout, build_layout

__all__ = [
    "Drawing",
    "GraphvizNotFoundError",
    "backend",
    "dot_to_bytes",
    "draw",
    "render",
    "render_svg",
]

#: File suffix -> Graphviz output format.
FORMATS = {".png": "png", ".svg": "svg", ".pdf": "pdf", ".dot": "dot", ".gv": "dot"}


class GraphvizNotFoundError(RuntimeError):
    """No way to turn DOT into a picture is installed."""


_INSTALL_HINT = (
    "no Graphviz renderer found. Install one with `pip install pygraphviz` (its wheel bundles "
    "Graphviz, nothing else needed), or install the system Graphviz package that provides the "
    "`dot` program. DOT text works without either: viz.to_dot(root) or "
    "viz.render(root, 'graph.dot')."
)


def backend() -> str | None:
    """Name of the renderer that will be used: ``"pygraphviz"``, ``"dot"`` or ``None``."""
    try:
        import pygraphviz  # noqa: F401  (imported only to see whether it is installed)
    except ImportError:
        return "dot" if shutil.which("dot") else None
    return "pygraphviz"


def dot_to_bytes(dot: str, fmt: str) -> bytes:
    """Lay out ``dot`` with Graphviz's ``dot`` engine and return the picture in ``fmt``.

    ``fmt`` is any Graphviz output format (``"png"``, ``"svg"``, ``"pdf"``, ...).
    """
    which = backend()
    if which == "pygraphviz":
        import pygraphviz

        graph = pygraphviz.AGraph(string=dot)
        return graph.draw(format=fmt, prog="dot")
    if which == "dot":
        done = subprocess.run(
            ["dot", f"-T{fmt}"], input=dot.encode("utf-8"), capture_output=True, check=False
        )
        if done.returncode != 0:
            raise RuntimeError(f"Graphviz dot failed: {done.stderr.decode(errors='replace')}")
        return done.stdout
    raise GraphvizNotFoundError(_INSTALL_HINT)


def _svg_text(dot: str, inline: bool) -> str:
    svg = dot_to_bytes(dot, "svg").decode("utf-8")
    if inline:
        # An XML prolog and DOCTYPE are not allowed inside an HTML page; the <svg> element is.
        svg = svg[svg.index("<svg") :]
    return svg


def render_svg(root: Any, *, inline: bool = False, **options: Any) -> str:
    """SVG text of the graph that produced ``root`` (same options as :func:`viz.to_dot`).

    Every node, edge and cluster element carries the ``id`` of its layout element
    (``node7``, ``edge3_7``, ``cluster_0``). ``inline=True`` drops the XML prolog so the
    result can be pasted into an HTML page.
    """
    return _svg_text(to_dot(root, **options), inline)


def _write(dot: str, path: str | Path) -> Path:
    path = Path(path)
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ValueError(
            f"cannot tell the picture format from {path.name!r}: "
            f"use one of {', '.join(sorted(FORMATS))}"
        )
    data = dot.encode("utf-8") if fmt == "dot" else dot_to_bytes(dot, fmt)
    return write_atomic(path, data)


def write_atomic(path: str | Path, data: bytes) -> Path:
    """Write `data` to a temporary file beside `path`, then rename it into place.

    An interrupted or failed write never leaves a half-written picture or page under the real
    name (and never destroys an older one). Missing folders are created.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_bytes(data)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def render(root: Any, path: str | Path, **options: Any) -> Path:
    """Draw the graph that produced ``root`` into ``path``; the suffix picks the format.

    ``.png``, ``.svg``, ``.pdf`` need a renderer (see :func:`backend`); ``.dot``/``.gv`` write
    the DOT source. Options are those of :func:`viz.to_dot`. Returns the path written.
    """
    return _write(to_dot(root, **options), path)


class Drawing:
    """A drawn graph: shows itself inline in Jupyter, and can be saved.

    Attributes:
        source: the DOT text.
        layout: the :class:`~viz.layout.GraphLayout` it was written from.
    """

    def __init__(self, layout: GraphLayout) -> None:
        self.layout = layout
        self.source = layout_to_dot(layout)

    def svg(self, inline: bool = False) -> str:
        """The SVG text (needs a renderer)."""
        return _svg_text(self.source, inline)

    def _repr_svg_(self) -> str:
        # Jupyter's inline display hook.
        return self.svg(inline=True)

    def render(self, path: str | Path) -> Path:
        """Save as ``.png``/``.svg``/``.pdf``/``.dot`` (by suffix); returns the path."""
        return _write(self.source, path)

    def __repr__(self) -> str:
        return f"<viz.Drawing: {len(self.layout.nodes)} nodes, {len(self.layout.edges)} edges>"


def draw(root: Any, **options: Any) -> Drawing:
    """A :class:`Drawing` of the graph that produced ``root``; in a notebook it shows inline.

    Options are those of :func:`viz.to_dot`.
    """
    return Drawing(build_layout(root, **options))


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
    return graphviz.Source(to_dot(root, **options))
