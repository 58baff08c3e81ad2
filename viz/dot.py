"""GraphLayout -> DOT text (plain string building: fast, and byte-identical run to run)."""

from __future__ import annotations

from typing import Any

from .labels import dot_string, html_text
from .layout import GraphLayout, LayoutCluster, LayoutEdge, LayoutNode, check_root, layout_of
from .options import Options

__all__ = ["layout_to_dot", "to_dot", "FONT"]

#: DejaVu ships with most Linux distributions and has ×, ∂, Σ, μ, σ; Graphviz falls back to
#: its default font where it is missing.
FONT = "DejaVu Sans"

VALUE_COLOR = "black"
GRAD_COLOR = "#d00000"
CALC_COLOR = "#b45309"
TOTAL_COLOR = "#1d4ed8"
GHOST_COLOR = "transparent"

_NODE_STYLE = {
    "op": 'shape=circle style=filled fillcolor="white" color="black" margin=0.04',
    # Long symbols (Affine, Softmax-with-Loss) make huge circles; the textbook draws layers
    # as boxes anyway.
    "layer": 'shape=box style="rounded,filled" fillcolor="white" color="black"',
    "param": 'shape=box style="rounded,filled" fillcolor="#dbeafe" color="#1d4ed8"',
    "input": 'shape=plaintext fillcolor="white"',
    "scope": 'shape=box3d style=filled fillcolor="#f3f4f6" color="#4b5563"',
    "folded": 'shape=note style="dashed,filled" fillcolor="#fafafa" color="#6b7280" '
    'fontcolor="#374151"',
    "output": "shape=plaintext",
}
_NODE_HIGHLIGHT = {
    "active": 'style=filled fillcolor="#fde68a" color="#d97706" penwidth=2.5',
}
_EDGE_HIGHLIGHT = {
    # the gradient arriving at the node being processed
    "upstream": 'color="#d97706" penwidth=2.2',
    # the contributions it sends to its inputs
    "contribution": f'color="{GRAD_COLOR}" penwidth=2.2',
    # earlier arrows of an input whose gradients are added up at this step
    "sum": f'color="{TOTAL_COLOR}" penwidth=2.2 style=dashed',
}


def _node_label(n: LayoutNode) -> str:
    if n.kind == "scope":
        text = f"<b>{html_text(n.label)}</b>"
        if n.detail:
            text += f'<br/><font point-size="9">{html_text(n.detail)}</font>'
        return f"<{text}>"
    # An op node's name goes outside (xlabel, see _node_stmt): inside, it would blow the
    # small circle up to the width of the name.
    return f"<{html_text(n.label)}>"


def _node_stmt(n: LayoutNode, indent: str) -> str:
    style = n.kind
    if style == "op" and len(n.label) > 4:
        style = "layer"
    attrs = [f'id="{n.id}"', _NODE_STYLE[style], f"label={_node_label(n)}"]
    if n.detail and n.kind != "scope":
        attrs.append(f'xlabel=<<font point-size="9">{html_text(n.detail)}</font>>')
    if n.tooltip:
        attrs.append(f"tooltip={dot_string(n.tooltip)}")
    if n.highlight:
        attrs.append(_NODE_HIGHLIGHT[n.highlight])
    return f"{indent}{n.id} [{' '.join(attrs)}];"


def _row(text: str, color: str, size: str = "") -> str:
    font = f' point-size="{size}"' if size else ""
    return f'<tr><td><font color="{color}"{font}>{html_text(text)}</font></td></tr>'


def _edge_label(e: LayoutEdge) -> str:
    rows = []
    ghost = e.ghost
    if e.value:
        rows.append(_row(e.value, GHOST_COLOR if "value" in ghost else VALUE_COLOR))
    if e.grad:
        rows.append(_row(e.grad, GHOST_COLOR if "grad" in ghost else GRAD_COLOR))
    if e.calc:
        rows.append(_row(e.calc, GHOST_COLOR if "calc" in ghost else CALC_COLOR, "10"))
    if e.total:
        rows.append(_row(e.total, GHOST_COLOR if "total" in ghost else TOTAL_COLOR, "10"))
    if not rows:
        return ""
    return (
        '<<table border="0" cellborder="0" cellspacing="0" cellpadding="0">'
        + "".join(rows)
        + "</table>>"
    )


def _edge_stmt(e: LayoutEdge) -> str:
    attrs = [f'id="{e.id}"']
    label = _edge_label(e)
    if label:
        attrs.append(f"label={label}")
    if e.highlight:
        attrs.append(_EDGE_HIGHLIGHT[e.highlight])
    return f"  {e.tail} -> {e.head} [{' '.join(attrs)}];"


def _graph_label(layout: GraphLayout) -> str:
    rows = []
    if layout.note:
        rows.append(
            f'<tr><td align="left"><font color="#b45309">{html_text(layout.note)}</font></td></tr>'
        )
    for line in layout.caption:
        rows.append(f'<tr><td align="left">{html_text(line) or " "}</td></tr>')
    if not rows:
        return ""
    return '<<table border="0" cellspacing="0" cellpadding="1">' + "".join(rows) + "</table>>"


def _cluster_blocks(
    layout: GraphLayout, by_id: dict[str, LayoutNode], lines: list[str]
) -> set[str]:
    """Write nested ``subgraph cluster_k`` blocks; return the node ids placed in them.

    Clusters come parents-first (see ``layout._clusters``), so a stack of open blocks is
    enough to nest them without recursion.
    """
    children: dict[str | None, list[LayoutCluster]] = {}
    for c in layout.clusters:
        children.setdefault(c.parent, []).append(c)
    parents = {c.id: c.parent for c in layout.clusters}
    placed: set[str] = set()
    # Each stack entry is (cluster, opened?); a closed marker closes the block on the way out.
    stack: list[tuple[LayoutCluster, bool]] = [(c, False) for c in reversed(children.get(None, []))]
    while stack:
        cluster, opened = stack.pop()
        depth = 1
        parent = cluster.parent
        while parent is not None:
            depth += 1
            parent = parents[parent]
        indent = "  " * depth
        if opened:
            lines.append(f"{indent}}}")
            continue
        lines.append(f"{indent}subgraph {cluster.id} {{")
        lines.append(
            f'{indent}  graph [id="{cluster.id}" label=<{html_text(cluster.label)}> '
            'style="rounded,dashed" color="#6b7280" fontcolor="#374151" labeljust=l];'
        )
        for nid in cluster.members:
            lines.append(_node_stmt(by_id[nid], indent + "  "))
            placed.add(nid)
        stack.append((cluster, True))
        stack.extend((c, False) for c in reversed(children.get(cluster.id, [])))
    return placed


def layout_to_dot(layout: GraphLayout) -> str:
    """Write a :class:`~viz.layout.GraphLayout` as a DOT ``digraph``.

    Node and edge statements carry ``id`` attributes (``node7``, ``edge3_7``) that Graphviz
    copies into the SVG, so scripts can find elements; no label text is ever used as a DOT
    identifier, which is what makes hostile names harmless.
    """
    lines = [
        "digraph graphgrad {",
        f'  graph [rankdir={layout.rankdir} fontname="{FONT}" fontsize=11 bgcolor="white" '
        "nodesep=0.25 ranksep=0.35 labelloc=b labeljust=l];",
        f'  node [fontname="{FONT}" fontsize=12 height=0.3];',
        f'  edge [fontname="{FONT}" fontsize=11 arrowsize=0.7];',
    ]
    label = _graph_label(layout)
    if label:
        lines.append(f"  graph [label={label}];")
    by_id = {n.id: n for n in layout.nodes}
    placed = _cluster_blocks(layout, by_id, lines) if layout.clusters else set()
    for n in layout.nodes:
        if n.id not in placed:
            lines.append(_node_stmt(n, "  "))
    for e in layout.edges:
        lines.append(_edge_stmt(e))
    lines.append("}")
    return "\n".join(lines) + "\n"


def to_dot(root: Any, **options: Any) -> str:
    """DOT source for the graph that produced ``root``.

    Options are those of :class:`viz.Options`: ``show``, ``precision``, ``params``,
    ``group``, ``collapse_scopes``, ``max_nodes``, ``rankdir``.
    """
    check_root(root, "viz.to_dot")
    return layout_to_dot(layout_of(root, Options.of("viz.to_dot", options)))
