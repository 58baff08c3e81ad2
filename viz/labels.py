"""Text for the picture: numbers, array summaries, and escaping.

Everything a user controls (node names, scope names, parameter names) reaches DOT, HTML-like
labels and SVG only through :func:`html_text` or :func:`dot_string`, so a name like
``</script>`` or ``a"b{c}`` is drawn as text and can never become DOT or HTML syntax.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = ["display_name", "format_number", "format_value", "html_text", "dot_string",
           "shape_text"]

#: Arrays with at most this many elements are printed in full; bigger ones are summarised,
#: because an edge label with thousands of numbers is unreadable and slow to lay out.
MAX_ARRAY_VALUES = 6


def format_number(x: float, precision: int = 4) -> str:
    """Format one number with ``precision`` significant digits.

    ``715.0000000000001`` -> ``"715"``, ``2.2000000000000006`` -> ``"2.2"``: float noise from
    the backward pass would otherwise hide the textbook's numbers.
    """
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    text = f"{x:.{precision}g}"
    # -0.0 is a rounding artefact (e.g. -1e-20 at 4 digits); a learner would read it as a bug.
    return "0" if text in ("-0", "-0.0") else text


def shape_text(shape: tuple[int, ...]) -> str:
    """``(2, 3)`` -> ``"(2, 3)"``; ``(5,)`` -> ``"(5,)"`` (Python's own spelling)."""
    return str(tuple(int(d) for d in shape))


def _plain(value: Any) -> Any:
    """The number or array in a ``.value``/``.grad``: a gradient may be a Node (create_graph)."""
    inner = getattr(value, "value", None)
    if inner is not None and hasattr(value, "inputs"):
        value = inner  # a gradient that is itself a Node (backward(create_graph=True))
    return value


def format_value(value: Any, precision: int = 4) -> str:
    """Short text for a scalar or array value: never more than a handful of numbers.

    Scalars: ``"715"``. Small arrays: ``"[1, 2.5, 3]"``, with the shape first when not 1-D
    (``"(2, 2) [1, 2, 3, 4]"``). Big arrays: shape and summary statistics
    (``"(100, 784) μ=0.01 σ=0.98"``).
    """
    value = _plain(value)
    if value is None:
        return ""
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        # Not numeric (should not happen with the engine); still show something readable.
        return str(value)
    if arr.ndim == 0:
        return format_number(arr.item(), precision)
    if arr.size == 0:
        return f"{shape_text(arr.shape)} empty"
    tol = noise_level(value, arr)

    def number(v: float) -> str:
        return format_number(0.0 if abs(v) <= tol else v, precision)

    if arr.size <= MAX_ARRAY_VALUES:
        numbers = ", ".join(number(v) for v in arr.ravel())
        prefix = "" if arr.ndim == 1 else shape_text(arr.shape) + " "
        return f"{prefix}[{numbers}]"
    # Summary: mean and spread say more about a weight matrix than its first few entries.
    return f"{shape_text(arr.shape)} μ={number(float(arr.mean()))} σ={number(float(arr.std()))}"


def noise_level(value: Any, arr: np.ndarray) -> float:
    """How close to 0 a number of this array must be to count as 0: rounding noise.

    A gradient whose entries sum to 0 has a computed mean like ``-1.11e-18``; shown as data,
    it reads like a real (tiny) value. Relative to the array's largest entry, anything within
    √ε of the array's float type (1.5e-8 for float64, 3.5e-4 for float32) is noise.
    """
    dtype = getattr(value, "dtype", None)
    if dtype is None or not np.issubdtype(dtype, np.floating):
        dtype = np.float64 if arr.dtype.kind == "f" else None
    if dtype is None or arr.size == 0:
        return 0.0
    scale = float(np.max(np.abs(arr)))
    return float(np.sqrt(np.finfo(dtype).eps)) * scale if np.isfinite(scale) else 0.0


#: Longest name drawn in full; longer names (and scope names) are shortened with "…".
#: Graphviz refuses labels of many thousand characters ("Invalid Input").
MAX_NAME_CHARS = 60

# Characters that neither UTF-8 nor XML can carry: lone surrogates (a str can hold them, UTF-8
# cannot encode them) and the non-characters U+FFFE/U+FFFF (not allowed in XML). Each is
# drawn as U+FFFD, the replacement character, so the picture shows that something was there.
_UNCARRIABLE = {c: "\ufffd" for c in (*range(0xD800, 0xE000), 0xFFFE, 0xFFFF)}


def display_name(name: Any) -> str:
    """A user's name made drawable: uncarriable characters replaced, long names shortened.

    ``"a\ud800b"`` -> ``"a\ufffdb"``; a 20,000-character name -> its first 59 characters
    and ``"…"``. Empty stays empty. Every node and scope name goes through this.
    """
    text = "" if name is None else str(name).translate(_UNCARRIABLE)
    if len(text) > MAX_NAME_CHARS:
        text = text[: MAX_NAME_CHARS - 1] + "…"
    return text


# One translation table per target, built once: str.translate is fast enough for 100k labels.
_HTML_TABLE = {c: f"\\x{c:02x}" for c in (*range(32), 127)}  # invalid in XML: show the code
_HTML_TABLE.update(_UNCARRIABLE)
_HTML_TABLE.update(
    {
        ord("&"): "&amp;",
        ord("<"): "&lt;",
        ord(">"): "&gt;",
        ord('"'): "&quot;",
        ord("'"): "&#39;",
        # Graphviz HTML labels treat a raw newline as a space; show it as the two characters
        # "\\n" so a name with a newline is visibly different from one with a space.
        ord("\n"): "\\n",
        ord("\r"): "\\r",
        ord("\t"): "\\t",
    }
)
_DOT_TABLE = {c: " " for c in (*range(32), 127)}
_DOT_TABLE.update(_UNCARRIABLE)
_DOT_TABLE.update(
    {
        # Graphviz keeps entities it finds in plain strings, so escaping &, <, > here keeps
        # "&amp;" in a name as text in the SVG and keeps raw markup out of the DOT file.
        ord("&"): "&amp;",
        ord("<"): "&lt;",
        ord(">"): "&gt;",
        ord('"'): "&quot;",
        ord("\\"): "\\\\",
        ord("\n"): "\\n",
    }
)


def html_text(text: str) -> str:
    """Escape ``text`` for a Graphviz HTML-like label (and hence for the SVG it produces)."""
    return str(text).translate(_HTML_TABLE)


def dot_string(text: str) -> str:
    """Quote ``text`` as a DOT string literal (for tooltips and other non-HTML attributes).

    Markup characters become entities (Graphviz copies them into the SVG unchanged); a
    backslash is doubled because Graphviz expands ``\\N``, ``\\G``, ``\\l`` ... in these
    strings; newlines become ``\\n``, which Graphviz shows as a line break in tooltips.
    """
    return '"' + str(text).translate(_DOT_TABLE) + '"'
