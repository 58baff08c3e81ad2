"""GraphLayout -> DOT text (plain string building: fast, and byte-identical run to run)."""

from __future__ import annotations

import dataclasses
from typing import Any

from .fonts import font_stack
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


#: Above this many drawn nodes (only with ``max_nodes`` raised above the default fold), a
#: frame around a single op is left out (see ``_unframe_lone_ops``) and Graphviz's placement
#: within the ranks stops after NSLIMIT network-simplex iterations per node. That placement is
#: most of the layout time of a labelled graph (56-73% for 2,000 drawn nodes, see
#: ``benchmarks/bench_layout.py``); the cap saves a sixth to a quarter on a tangled graph (a
#: scalar MLP, +2% total arrow length) and changes nothing where the placement converges anyway
#: (chains, layer stacks: their main path stays straight). Smaller graphs, the book's among
#: them, are laid out without either.
BIG_LAYOUT = 500
NSLIMIT = 3


#: Smallest text in any picture, in points: 20 px at the default 144 dpi (12 px even at 86 dpi).
SMALL_FONT = 10


def _node_label(n: LayoutNode) -> str:
    if n.kind in ("scope", "op") and n.detail:
        # A name goes inside its node, under the symbol: outside (an xlabel) Graphviz puts it
        # wherever there is room, where it reads like the label of a nearby arrow.
        head = f"<b>{html_text(n.label)}</b>" if n.kind == "scope" else html_text(n.label)
        return f'<{head}<br/><font point-size="{SMALL_FONT}">{html_text(n.detail)}</font>>'
    return f"<{html_text(n.label)}>"


def _node_stmt(n: LayoutNode, indent: str, main: bool = False) -> str:
    style = n.kind
    if style == "op" and (len(n.label) > 4 or len(n.detail) > 5):
        style = "layer"
    attrs = [f'id="{n.id}"', _NODE_STYLE[style], f"label={_node_label(n)}"]
    if main:
        attrs.append("group=main")  # one straight line for the main data path
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
    hidden = []
    ghost = e.ghost
    for part, text, color, size in (
        ("value", e.value, VALUE_COLOR, ""),
        ("grad", e.grad, GRAD_COLOR, ""),
        ("calc", e.calc, CALC_COLOR, str(SMALL_FONT)),
        ("total", e.total, TOTAL_COLOR, str(SMALL_FONT)),
    ):
        if not text:
            continue
        if part in ghost:
            hidden.append(_row(text, GHOST_COLOR, size))
        else:
            rows.append(_row(text, color, size))
    if not rows and not hidden:
        return ""
    # Graphviz draws the arrow along the bottom of its label: rows not shown yet (kept for a
    # stable layout) go on top, so the visible ones sit right on their arrow.
    return (
        '<<table border="0" cellborder="0" cellspacing="0" cellpadding="0">'
        + "".join(hidden + rows)
        + "</table>>"
    )


def _edge_stmt(e: LayoutEdge, make_room: bool = False) -> str:
    attrs = [f'id="{e.id}"']
    label = _edge_label(e)
    if label:
        attrs.append(f"label={label}")
    if e.highlight:
        attrs.append(_EDGE_HIGHLIGHT[e.highlight])
    if e.main:
        # the main data path pulls hardest for a straight line. Where a layer's parameters
        # stand beside it, two ranks more: the parameters take the rank before the layer, and
        # the arrow's label (Graphviz puts it half-way) comes before them, outside the layer's
        # frame, so the arrow enters the frame on its left side with nothing drawn across it.
        attrs.append("weight=8 minlen=3" if make_room else "weight=8")
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
    layout: GraphLayout, by_id: dict[str, LayoutNode], lines: list[str], main: set[str]
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
            # the layer's name on top: at the bottom, the frame is drawn across the label of
            # a parameter's arrow when that parameter stands at the top (a Graphviz quirk)
            'style="rounded,dashed" color="#6b7280" fontcolor="#374151" labeljust=l labelloc=t];'
        )
        for nid in cluster.members:
            lines.append(_node_stmt(by_id[nid], indent + "  ", nid in main))
            placed.add(nid)
        lines.extend(f"{indent}  {chain}" for chain in _input_order(layout, cluster, by_id))
        stack.append((cluster, True))
        stack.extend((c, False) for c in reversed(children.get(cluster.id, [])))
    return placed


def _input_order(
    layout: GraphLayout, cluster: LayoutCluster, by_id: dict[str, LayoutNode]
) -> list[str]:
    """Invisible arrows that keep a layer's parameters in the order of its expression (W, b).

    ``ordering=in`` does that for the whole graph, but Graphviz does not keep it inside a
    cluster (graphviz issue 1235, "clusters and ordered edges don't go together"); an
    invisible arrow between two nodes of one rank does hold there. Inside a cluster of a
    left-to-right (or right-to-left) graph Graphviz stacks such an arrow's head above its
    tail, so the arrow points from the later input to the earlier one; top-to-bottom it runs
    left to right. ``tests/viz/test_dot.py`` checks the drawn order, for when Graphviz changes.
    """
    members = set(cluster.members)
    uses: dict[str, int] = {}
    for e in layout.edges:
        uses[e.tail] = uses.get(e.tail, 0) + 1
    leaves: dict[str, list[str]] = {}  # head -> its leaf inputs in this frame, by slot
    for e in sorted(layout.edges, key=lambda e: (e.slot is None, e.slot or 0)):
        if (e.head in members and e.tail in members and uses[e.tail] == 1
                and by_id[e.tail].kind in ("param", "input")):
            leaves.setdefault(e.head, []).append(e.tail)
    upward = layout.rankdir in ("LR", "RL")
    chains = []
    for ins in leaves.values():
        for first, then in zip(ins, ins[1:]):
            tail, head = (then, first) if upward else (first, then)
            chains.append(f"{{rank=same; {tail} -> {head} [style=invis];}}")
    return chains


def _unframe_lone_ops(layout: GraphLayout) -> GraphLayout:
    """`layout` without the frames that hold one op and nothing else; the op shows the name.

    For big layouts only: each frame costs Graphviz a share of its placement and crossing
    work (the frames around 400 lone ReLUs are 45% of a 2,000-node layer stack's layout time),
    and a frame around one node says no more than the layer's name written in that node.
    """
    has_children = {c.parent for c in layout.clusters}
    kinds = {n.id: n.kind for n in layout.nodes}
    lone = {c.id: c for c in layout.clusters
            if len(c.members) == 1 and c.id not in has_children and kinds[c.members[0]] == "op"}
    if not lone:
        return layout
    named = {c.members[0]: c.label for c in lone.values()}
    moved: dict[str, list[str]] = {}  # a lone op inside a bigger frame stays in that frame
    for c in lone.values():
        if c.parent is not None:
            moved.setdefault(c.parent, []).extend(c.members)
    return dataclasses.replace(
        layout,
        nodes=[dataclasses.replace(n, detail=n.detail or named[n.id]) if n.id in named else n
               for n in layout.nodes],
        clusters=[dataclasses.replace(c, members=c.members + tuple(moved.get(c.id, ())))
                  for c in layout.clusters if c.id not in lone],
    )


def layout_to_dot(layout: GraphLayout) -> str:
    """Write a :class:`~viz.layout.GraphLayout` as a DOT ``digraph``.

    Node and edge statements carry ``id`` attributes (``node7``, ``edge3_7``) that Graphviz
    copies into the SVG, so scripts can find elements; no label text is ever used as a DOT
    identifier, which is what makes hostile names harmless.
    """
    lines = [
        "digraph graphgrad {",
        # ordering=in: a node's inputs are drawn in the order of the expression (a above b)
        f'  graph [rankdir={layout.rankdir} fontname="{FONT}" fontsize=11 bgcolor="white" '
        "nodesep=0.25 ranksep=0.35 labelloc=b labeljust=l ordering=in];",
        f'  node [fontname="{FONT}" fontsize=12 height=0.3];',
        f'  edge [fontname="{FONT}" fontsize=11 arrowsize=0.7];',
    ]
    if len(layout.nodes) > BIG_LAYOUT:
        lines.append(f"  graph [nslimit={NSLIMIT}];")
        layout = _unframe_lone_ops(layout)
    label = _graph_label(layout)
    if label:
        lines.append(f"  graph [label={label}];")
    by_id = {n.id: n for n in layout.nodes}
    main = {e.tail for e in layout.edges if e.main} | {e.head for e in layout.edges if e.main}
    placed = _cluster_blocks(layout, by_id, lines, main) if layout.clusters else set()
    for n in layout.nodes:
        if n.id not in placed:
            lines.append(_node_stmt(n, "  ", n.id in main))
    # heads whose parameters stand beside the main path (see _edge_stmt)
    side = {e.head for e in layout.edges if not e.main and by_id[e.tail].kind == "param"}
    for e in layout.edges:
        lines.append(_edge_stmt(e, bool(layout.clusters) and e.head in side))
    lines.append("}")
    text = "\n".join(lines) + "\n"
    # Chinese names or captions: the CJK fonts after DejaVu (see viz.fonts)
    font = font_stack(FONT, text)
    return text if font == FONT else text.replace(f'fontname="{FONT}"', f'fontname="{font}"')


def to_dot(root: Any, **options: Any) -> str:
    """DOT source for the graph that produced ``root``.

    Options are those of :class:`viz.Options`: ``show``, ``precision``, ``params``,
    ``group``, ``collapse_scopes``, ``max_nodes``, ``rankdir``.
    """
    check_root(root, "viz.to_dot")
    return layout_to_dot(layout_of(root, Options.of("viz.to_dot", options)))
