"""DOT text -> picture bytes (PNG, SVG, PDF), with or without a system Graphviz.

This module knows nothing of graphs: it takes DOT text and gives bytes (or writes them).

Backends, in order of preference:

1. ``pygraphviz`` (``pip install pygraphviz``): its wheels bundle the Graphviz libraries, so
   nothing has to be installed system-wide;
2. a ``dot`` executable on ``PATH`` (the system Graphviz package).

When neither is there, :class:`GraphvizNotFoundError` says what to install; ``.dot`` output
never needs a backend.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

from autograd.files import write_bytes

from .fonts import warn_if_missing

__all__ = [
    "FORMATS",
    "GraphvizNotFoundError",
    "backend",
    "dot_to_bytes",
    "dot_to_svg",
    "write_atomic",
    "write_dot",
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


#: Formats made of pixels: the only ones a ``dpi`` changes.
BITMAPS = ("png", "gif", "jpg", "jpeg", "bmp")


# Graphviz (and the fontconfig inside pygraphviz's wheel) is not thread-safe, and the stderr
# redirection below must not interleave between threads.
_LIBRARY_LOCK = threading.Lock()


@contextlib.contextmanager
def _without_fontconfig_chatter() -> Iterator[None]:
    """Drop fontconfig's warnings, which the C library writes straight to file descriptor 2.

    The fontconfig bundled with pygraphviz's wheel is older than many systems' configuration
    files and says so on every first use ("Fontconfig warning: ... unknown element"): noise a
    learner cannot act on. Anything else written to stderr meanwhile is passed on.
    """
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError, AttributeError):  # no usable fd 2: nothing to filter
        yield
        return
    try:
        with tempfile.TemporaryFile() as caught:
            os.dup2(caught.fileno(), 2)
            try:
                yield
            finally:
                os.dup2(saved, 2)
                caught.seek(0)
                text = caught.read().decode("utf-8", errors="replace")
                kept = [line for line in text.splitlines(keepends=True)
                        if not line.startswith("Fontconfig ")]
                if kept:
                    sys.stderr.write("".join(kept))
    finally:
        os.close(saved)


def dot_to_bytes(dot: str, fmt: str, *, dpi: float | None = None) -> bytes:
    """Lay out ``dot`` with Graphviz's ``dot`` engine and return the picture in ``fmt``.

    ``fmt`` is any Graphviz output format (``"png"``, ``"svg"``, ``"pdf"``, ...). ``dpi``
    (pixels per inch, Graphviz's own default is 96) applies to bitmap formats only.
    """
    args = [f"-T{fmt}"]
    if dpi is not None and fmt in BITMAPS:
        args.append(f"-Gdpi={float(dpi):g}")
    which = backend()
    if which is not None:
        warn_if_missing(dot, fmt)  # Chinese text and no CJK font: one warning with the fix
    if which == "pygraphviz":
        import pygraphviz

        with _LIBRARY_LOCK, _without_fontconfig_chatter():
            graph = pygraphviz.AGraph(string=dot)
            return graph.draw(format=fmt, prog="dot", args=" ".join(args[1:]))
    if which == "dot":
        done = subprocess.run(
            ["dot", *args], input=dot.encode("utf-8"), capture_output=True, check=False
        )
        if done.returncode != 0:
            raise RuntimeError(f"Graphviz dot failed: {done.stderr.decode(errors='replace')}")
        return done.stdout
    raise GraphvizNotFoundError(_INSTALL_HINT)


def dot_to_svg(dot: str, inline: bool = False) -> str:
    """SVG text of `dot`; ``inline=True`` drops the XML prolog, for pasting into HTML."""
    svg = dot_to_bytes(dot, "svg").decode("utf-8")
    if inline:
        # An XML prolog and DOCTYPE are not allowed inside an HTML page; the <svg> element is.
        svg = svg[svg.index("<svg") :]
    return svg


def write_dot(dot: str, path: str | Path, dpi: float | None = None) -> Path:
    """Write `dot` as the picture its suffix names (``.png``, ``.svg``, ``.pdf``, ``.dot``)."""
    path = Path(path)
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ValueError(
            f"cannot tell the picture format from {path.name!r}: "
            f"use one of {', '.join(sorted(FORMATS))}"
        )
    data = dot.encode("utf-8") if fmt == "dot" else dot_to_bytes(dot, fmt, dpi=dpi)
    return write_bytes(path, data)


#: The safe write of :mod:`autograd.files` under its older name (unique temporary file,
#: fsync, rename); new code calls ``autograd.files.write_bytes``.
write_atomic = write_bytes
