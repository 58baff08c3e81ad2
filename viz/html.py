"""One self-contained HTML page to explore a graph: step through backprop, click any node.

``viz.to_html(root, "page.html")`` writes a single file that holds

- the picture as inline SVG, laid out exactly as :func:`viz.render` lays it out (values above
  the arrows, gradients below), with the ids of :mod:`viz.layout` (``node7``, ``edge3_7``);
- the graph's data as JSON: per step what to highlight and which labels change, per node its
  op, formula, local derivative, value and gradient;
- a small script and style sheet of our own (``viz/explorer.js``, ``viz/explorer.css``).

Nothing is loaded from anywhere: the page opens from disk, works offline and can be mailed.
A Content-Security-Policy tag forbids every remote load and allows only our own script (by its
SHA-256 hash), names and values travel as JSON text (with ``<``, ``>``, ``&`` escaped) and the
script builds the page with ``textContent``, so a node named ``</script><img src=x
onerror=alert(1)>`` is shown as those characters and nothing else.

The steps come from :func:`autograd.backward_trace` (the engine's own order, the same as
:func:`viz.backward_steps`); step 0 is the forward pass alone. In Jupyter, ``viz.explore(root)``
shows the same page inline.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import html
import inspect
import json
import re
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

import autograd

from .backends import _svg_text, write_atomic
from .dot import GRAD_COLOR, layout_to_dot
from .labels import _plain, format_number, format_value, shape_text
from .layout import DEFAULT_MAX_NODES, GraphLayout, node_label
from .steps import explain_step, traced_layout

__all__ = ["Explorer", "explore", "to_html"]

#: How many numbers of an array the side panel lists before "…".
PANEL_VALUES = 6
#: Significant digits in the side panel (edges keep ``precision``): enough to see that
#: 2.2 is 2.2, not so many that float noise (2.2000000000000006) shows.
PANEL_PRECISION = 8

# JSON inside <script> must not contain "</script>" or "<!--"; escaping <, > and & makes any
# string inert. U+2028/U+2029 are escaped too: old JavaScript parsers read them as newlines.
_JSON_ESCAPES = str.maketrans(
    {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
)


def _asset(name: str) -> str:
    return resources.files("viz").joinpath(name).read_text(encoding="utf-8")


def _json_for_script(data: Any) -> str:
    """JSON text that is safe inside a ``<script type="application/json">`` element."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.translate(_JSON_ESCAPES)


def _summary(value: Any, precision: int) -> dict[str, Any] | None:
    """What the side panel shows of a value: the number, or shape, dtype, a few values, stats."""
    value = _plain(value)
    if value is None:
        return None
    arr = np.asarray(value)
    digits = max(precision, PANEL_PRECISION)
    if arr.ndim == 0:
        return {"text": format_number(float(arr), digits)}
    out: dict[str, Any] = {"shape": shape_text(arr.shape), "dtype": str(arr.dtype)}
    if arr.size == 0:
        out["values"] = "(empty)"
        return out
    flat = arr.ravel()
    shown = ", ".join(format_number(float(v), digits) for v in flat[:PANEL_VALUES])
    out["values"] = f"[{shown}{', …' if arr.size > PANEL_VALUES else ''}]"
    as_float = arr.astype(np.float64, copy=False)
    out["min"] = format_number(float(as_float.min()), digits)
    out["max"] = format_number(float(as_float.max()), digits)
    out["mean"] = format_number(float(as_float.mean()), digits)
    return out


def _op_doc(op: Any) -> str:
    """The op class's own docstring (not the generic one it would inherit from ``Op``)."""
    doc = vars(op).get("__doc__") if isinstance(op, type) else None
    return inspect.cleandoc(doc) if doc else ""


def _op_symbol(op: Any) -> str:
    return str(getattr(op, "symbol", None) or getattr(op, "name", None) or type(op).__name__)


def _forward_text(node: Any, names: Mapping[int, str], precision: int) -> str:
    """``100 × 2 = 200`` for the textbook's operators, ``exp(1.5) = 4.482`` for functions."""
    symbol = _op_symbol(node.op)
    ins = [format_value(x.value, precision) for x in node.inputs]
    out = format_value(node.value, precision)
    if len(ins) == 2 and len(symbol) <= 2:
        return f"{ins[0]} {symbol} {ins[1]} = {out}"
    if len(ins) == 1 and symbol.isalpha():
        return f"{symbol}({ins[0]}) = {out}"
    who = ", ".join(
        f"{node_label(x, names, precision)} = {v}" for x, v in zip(node.inputs, ins)
    )
    return f"inputs: {who}  →  output {out}"


#: Longest description built from a node's inputs before falling back to "output of ×".
DESCRIBE_LIMIT = 48


def _describe(node: Any, names: Mapping[int, str], precision: int) -> str:
    """How the captions name a node: its name, else what it computes (``apple × apple_num``).

    Unnamed results are spelled out from their inputs, two levels deep at most, as long as the
    text stays short; beyond that, ``node_label``'s "output of ×".
    """

    def short(x: Any) -> str | None:
        if names.get(x.id) or x.name or x.op is None:
            return node_label(x, names, precision)
        return None

    def spelled(x: Any, parts: list[tuple[str, bool] | None]) -> tuple[str, bool] | None:
        """``(text, atomic)``: atomic texts need no parentheses inside a bigger expression."""
        symbol = _op_symbol(x.op)
        if any(p is None for p in parts):
            return None
        texts = [p[0] if p[1] else f"({p[0]})" for p in parts]  # type: ignore[index]
        if len(texts) == 2 and len(symbol) <= 2:
            return f"{texts[0]} {symbol} {texts[1]}", False
        if len(texts) == 1 and symbol.isalpha():
            return f"{symbol}({parts[0][0]})", True  # type: ignore[index]
        return None

    def one_level(x: Any) -> tuple[str, bool] | None:
        text = short(x)
        if text is not None:
            return text, True
        return spelled(x, [(t, True) if (t := short(i)) else None for i in x.inputs])

    text = short(node)
    if text is not None:
        return text
    found = spelled(node, [one_level(i) for i in node.inputs])
    if found is None or len(found[0]) > DESCRIBE_LIMIT:
        return node_label(node, names, precision)
    return found[0]


@dataclasses.dataclass
class _Edges:
    """Where each gradient of the trace is drawn (see ``build_layout`` for the edge kinds)."""

    plain: dict[tuple[int, int | None, int | None], str]
    merged: dict[tuple[int, str], str]
    leaving: dict[int, list[str]]  # engine node id -> ids of the edges carrying its value

    @classmethod
    def of(cls, layout: GraphLayout) -> _Edges:
        plain: dict[tuple[int, int | None, int | None], str] = {}
        merged: dict[tuple[int, str], str] = {}
        leaving: dict[int, list[str]] = {}
        for e in layout.edges:
            leaving.setdefault(e.tail_node, []).append(e.id)
            if e.head == "output" or (e.tail.startswith("node") and e.head.startswith("node")):
                plain[(e.tail_node, e.head_node, e.slot)] = e.id
            else:
                merged[(e.tail_node, e.head)] = e.id
        return cls(plain, merged, leaving)


def _backward_data(
    root: Any,
    trace: list[Any],
    layout: GraphLayout,
    edges: _Edges,
    names: Mapping[int, str],
    precision: int,
) -> tuple[list[dict[str, Any]], dict[str, str], dict[int, list[list[Any]]]]:
    """Replay the trace: per step the caption, highlights and edge-label changes.

    Returns the steps, the final gradient text of every edge, and per engine node the list of
    ``[step, summary]`` of its gradient as it accumulates.
    """
    units = layout.units

    def fmt(v: Any) -> str:
        return format_value(v, precision)

    shown: dict[str, str] = {}  # edge id -> gradient text shown on it so far
    received: dict[int, Any] = {}  # engine node id -> gradient accumulated so far
    merged_sum: dict[tuple[int, str], Any] = {}
    history: dict[int, list[list[Any]]] = {}
    carriers: dict[int, list[str]] = {}  # engine node id -> edges its gradient came back on
    steps: list[dict[str, Any]] = []
    n_steps = len(trace)

    def change(changes: list[list[Any]], eid: str | None, text: str) -> None:
        if eid is not None:
            changes.append([eid, text, shown.get(eid)])
            shown[eid] = text

    for k, step in enumerate(trace, start=1):
        node = step.node
        head_unit = units[node.id]
        changes: list[list[Any]] = []
        sums: list[str] = []
        if k == 1:  # the seed gradient enters from the output marker
            received[root.id] = step.upstream
            history.setdefault(root.id, []).append([1, _summary(step.upstream, precision)])
            change(changes, edges.plain.get((root.id, None, None)), fmt(step.upstream))
        lines, sent = explain_step(step, k, n_steps, received,
                                   lambda x: _describe(x, names, precision), precision)
        for contribution in sent:
            x, c, prev, now = (contribution.input, contribution.value, contribution.before,
                               contribution.total)
            slot = contribution.slot
            if c is None:
                continue
            history.setdefault(x.id, []).append([k, _summary(now, precision)])
            if units[x.id] == head_unit:
                continue  # inside a collapsed scope or the folded box: no arrow to label
            eid = edges.plain.get((x.id, node.id, slot))
            if eid is not None:
                change(changes, eid, fmt(c))
            else:
                # One arrow stands for every path from x into a box: label it with their sum.
                key = (x.id, head_unit)
                merged_sum[key] = c if key not in merged_sum else merged_sum[key] + c
                eid = edges.merged.get(key)
                change(changes, eid, fmt(merged_sum[key]))
            carried = carriers.setdefault(x.id, [])
            if prev is not None:
                sums.extend(e for e in carried if e not in sums)  # the paths that add up
            if eid is not None and eid not in carried:
                carried.append(eid)
        leaving = edges.leaving.get(node.id, [])
        steps.append(
            {
                "unit": units.get(node.id),
                "lines": lines,
                "up": leaving,
                "set": changes,
                # the seed arriving from the output marker is upstream, not a contribution
                "contrib": [c[0] for c in changes if c[0] not in leaving],
                "sums": sums,
            }
        )
    return steps, shown, history


def _forward_data(
    order: list[Any], layout: GraphLayout, edges: _Edges, names: Mapping[int, str], precision: int
) -> tuple[list[dict[str, Any]], dict[int, int]]:
    """Per forward step (one per op node, inputs before outputs): what is computed and shown."""
    ops = [n for n in order if n.op is not None]
    steps = []
    fallback = "output of "  # node_label's name for results that have no better one
    computed_at: dict[int, int] = {n.id: 0 for n in order if n.op is None}
    for j, node in enumerate(ops, start=1):
        computed_at[node.id] = j
        op = node.op
        who = _describe(node, names, precision)
        formula = getattr(op, "formula", "")
        steps.append(
            {
                "unit": layout.units.get(node.id),
                "lines": [
                    f"Step {j}/{len(ops)}: forward through {_op_symbol(op)}"
                    + (f"   ({formula})" if formula else ""),
                    ("" if who.startswith(fallback) else f"{who} = ")
                    + _forward_text(node, names, precision),
                ],
                "show": edges.leaving.get(node.id, []),
            }
        )
    return steps, computed_at


def _node_info(
    root: Any,
    order: list[Any],
    layout: GraphLayout,
    names: Mapping[int, str],
    precision: int,
    history: Mapping[int, list[list[Any]]],
    computed_at: Mapping[int, int],
) -> dict[str, dict[str, Any]]:
    """What the side panel shows for each drawn element, keyed by its SVG id."""
    info: dict[str, dict[str, Any]] = {}
    for node in order:
        unit = layout.units.get(node.id, "")
        if not unit.startswith("node"):
            continue
        op = node.op
        entry: dict[str, Any] = {
            "title": _describe(node, names, precision),
            "value": _summary(node.value, precision),
            "grad": history.get(node.id, []),
            "requires_grad": bool(node.requires_grad),
            "computed_at": computed_at.get(node.id, 0),
            "scope": node.scope or "",
        }
        if op is None:
            entry["kind"] = "parameter" if node.requires_grad else "input / constant"
        else:
            entry.update(
                kind="operation",
                op=str(getattr(op, "name", _op_symbol(op))),
                symbol=_op_symbol(op),
                formula=str(getattr(op, "formula", "")),
                derivative=str(getattr(op, "derivative", "")),
                doc=_op_doc(op),
                inputs=[node_label(x, names, precision) for x in node.inputs],
            )
        info[unit] = entry
    for n in layout.nodes:
        if n.kind in ("scope", "folded"):
            info[n.id] = {"title": n.label, "kind": n.kind, "detail": n.detail, "doc": n.tooltip}
        elif n.kind == "output":
            info[n.id] = {
                "title": n.label,
                "kind": "output",
                "doc": "The output of the graph. Backward starts here with the seed gradient "
                "∂output/∂output (1 for a scalar).",
                "value": _summary(root.value, precision),
                "grad": history.get(root.id, [])[:1],
                "requires_grad": True,
                "computed_at": computed_at.get(root.id, 0),
            }
    return info


def _page_parts(
    root: Any,
    base: GraphLayout,
    names: Mapping[int, str],
    trace: list[Any],
    title: str | None,
    precision: int,
) -> tuple[dict[str, Any], str]:
    """The page's JSON data and its SVG picture (`base`, `names`, `trace`: `traced_layout`)."""
    order = sorted(autograd.topological_order(root), key=lambda n: n.id)
    edges = _Edges.of(base)
    bsteps, final_grads, history = _backward_data(root, trace, base, edges, names, precision)
    fsteps, computed_at = _forward_data(order, base, edges, names, precision)
    # The picture is the last step: every gradient present, so the layout has room for it;
    # the script hides what has not been computed yet. The note goes above the picture.
    picture = dataclasses.replace(
        base,
        edges=[dataclasses.replace(e, grad=final_grads.get(e.id, "")) for e in base.edges],
        note="",
    )
    svg = _svg_text(layout_to_dot(picture), inline=True)
    data = {
        "format": "graphgrad-explorer/1",
        "title": title or f"graphgrad explorer: {_describe(root, names, precision)}",
        "note": base.note,
        "grad_color": GRAD_COLOR,
        "forward": {"steps": fsteps},
        "backward": {"steps": bsteps, "edges": sorted(final_grads)},
        "nodes": _node_info(root, order, base, names, precision, history, computed_at),
        "layout": picture.to_dict(),
    }
    return data, svg


def _csp(script: str) -> str:
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    # Only our own script (by hash) may run; nothing may be fetched from anywhere.
    return (
        "default-src 'none'; "
        f"script-src 'sha256-{digest}'; "
        "style-src 'unsafe-inline'; "
        "img-src data:; "
        "base-uri 'none'; "
        "form-action 'none'"
    )


def _page(data: dict[str, Any], svg: str) -> str:
    script = _asset("explorer.js")
    style = _asset("explorer.css")
    title = html.escape(data["title"])
    note = html.escape(data["note"])
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{html.escape(_csp(script))}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="graphgrad viz.to_html">
<title>{title}</title>
<style>
{style}</style>
</head>
<body>
<header class="gg-header">
<h1>{title}</h1>
<p class="gg-note"{"" if note else " hidden"}>{note}</p>
</header>
<div class="gg-toolbar" role="toolbar" aria-label="step controls">
<span class="gg-modes" role="group" aria-label="which pass">
<button type="button" id="gg-mode-forward" aria-pressed="false">Forward pass</button>
<button type="button" id="gg-mode-backward" aria-pressed="true">Backward pass</button>
</span>
<button type="button" id="gg-first" title="first step (Home)">« first</button>
<button type="button" id="gg-prev" title="previous step (←)">◀ prev</button>
<button type="button" id="gg-next" title="next step (→)">next ▶</button>
<button type="button" id="gg-last" title="last step (End)">last »</button>
<input type="range" id="gg-slider" min="0" max="0" value="0" step="1" aria-label="step">
<span id="gg-counter" class="gg-counter"></span>
</div>
<section id="gg-caption" class="gg-caption" aria-live="polite"></section>
<div class="gg-main">
<div id="gg-graph" class="gg-graph">
{svg}</div>
<aside id="gg-panel" class="gg-panel" aria-live="polite">
<p class="gg-hint">Click a node to see its formula, local derivative, value and gradient.</p>
</aside>
</div>
<footer class="gg-legend">Values flow forward above the arrows (black); gradients flow back
below them (<span class="gg-red">red</span>). Keys: ← → step, Home / End jump.</footer>
<script type="application/json" id="gg-data">{_json_for_script(data)}</script>
<script>{script}</script>
</body>
</html>
"""


def to_html(
    root: Any,
    path: str | Path | None = None,
    *,
    grad: Any = None,
    title: str | None = None,
    precision: int = 4,
    params: Mapping[str, Any] | None = None,
    group: bool = False,
    collapse_scopes: bool = False,
    max_nodes: int | None = DEFAULT_MAX_NODES,
    rankdir: str = "LR",
) -> str | Path:
    """A self-contained HTML page that steps through the backward pass of ``root``'s graph.

    Args:
        root: the output Node. ``backward()`` need not have run: the steps come from
            :func:`autograd.backward_trace`, which leaves every ``.grad`` untouched.
        path: where to write the page (folders are created); ``None`` returns the HTML text.
        grad: seed gradient, as in ``root.backward(grad)`` (needed for a non-scalar root).
        title: the page's title (default: "graphgrad explorer: " and the output's name).
        precision, params, group, collapse_scopes, max_nodes, rankdir: as in
            :func:`viz.build_layout`; big graphs are folded to ``max_nodes`` nodes.

    Returns:
        The HTML text when ``path`` is None, else the path written.

    Needs a Graphviz renderer for the layout (see :func:`viz.backend`).
    """
    base, names, trace = traced_layout(
        root, grad, "viz.to_html", precision=precision, params=params, group=group,
        collapse_scopes=collapse_scopes, max_nodes=max_nodes, rankdir=rankdir,
    )
    data, svg = _page_parts(root, base, names, trace, title, precision)
    page = _page(data, svg)
    if path is None:
        return page
    return write_atomic(path, page.encode("utf-8"))


_SVG_HEIGHT = re.compile(r'<svg[^>]*?\sheight="([\d.]+)pt"')


class Explorer:
    """The explorer page for one graph; in Jupyter it shows inline (an iframe of the page).

    Attributes:
        html: the page's HTML text (the same as ``viz.to_html(root)``).
    """

    def __init__(self, page: str) -> None:
        self.html = page

    def save(self, path: str | Path) -> Path:
        """Write the page to ``path`` (an ``.html`` file); returns the path."""
        return write_atomic(path, self.html.encode("utf-8"))

    def _repr_html_(self) -> str:
        # srcdoc keeps the page self-contained; the sandbox lets our script run but gives it
        # no access to the notebook around it.
        m = _SVG_HEIGHT.search(self.html)
        svg_px = float(m.group(1)) * 4 / 3 if m else 300.0
        height = int(min(900, max(420, svg_px + 300)))
        return (
            f'<iframe srcdoc="{html.escape(self.html, quote=True)}" sandbox="allow-scripts" '
            f'title="graphgrad explorer" style="width:100%;height:{height}px;'
            'border:1px solid #d1d5db;border-radius:4px"></iframe>'
        )

    def __repr__(self) -> str:
        return f"<viz.Explorer: {len(self.html) / 1024:.0f} kB page>"


def explore(root: Any, **options: Any) -> Explorer:
    """The explorer page of ``root``'s graph as an object that Jupyter shows inline.

    Options are those of :func:`to_html`; ``viz.explore(root).save("page.html")`` writes it.
    """
    page = to_html(root, **options)
    assert isinstance(page, str)
    return Explorer(page)
