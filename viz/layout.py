"""From an autograd graph to a drawing plan: which boxes, which arrows, which labels.

:func:`build_layout` does all the graph work (walk, naming, scope grouping, folding big
graphs) and returns a :class:`GraphLayout`, a plain data object with no Graphviz in it. The DOT
writer (:mod:`viz.dot`), the backward-pass animation (:mod:`viz.steps`) and the HTML explorer
(:mod:`viz.html`) all start from it, so every picture of a graph agrees on ids, labels and folding.

Ids are derived from ``Node.id`` (``node7``, ``edge3_7``, ``scope0``, ``cluster_0``,
``folded``, ``output``) and become the ``id`` attributes of the SVG elements. What an element
is never has to be read back from its id: nodes carry a ``kind``, edges a ``kind``.
"""

from __future__ import annotations

import dataclasses
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import autograd

from .labels import display_name, format_value, shape_text
from .messages import message
from .options import DEFAULT_MAX_NODES, Options

__all__ = [
    "DEFAULT_MAX_NODES",
    "GraphLayout",
    "LayoutCluster",
    "LayoutEdge",
    "LayoutNode",
    "build_layout",
]



@dataclass(frozen=True)
class LayoutNode:
    """One box or circle in the picture.

    ``kind`` is ``"op"`` (circle with the op symbol), ``"param"`` (leaf with
    ``requires_grad=True``), ``"input"`` (leaf without gradient: data or a constant),
    ``"scope"`` (a collapsed layer), ``"folded"`` (the nodes cut off by ``max_nodes``) or
    ``"output"`` (the marker the root's value flows into).
    """

    id: str
    kind: str
    label: str
    detail: str = ""
    tooltip: str = ""
    node_id: int | None = None
    scope: str | None = None
    highlight: str = ""


@dataclass(frozen=True)
class LayoutEdge:
    """One arrow, carrying the value of ``tail_node`` forward and its gradient backward.

    ``main`` marks the arrows of the main data path (drawn as one straight chain).

    The label has up to four rows: ``value`` (black), ``grad`` (red), ``calc`` (how the
    gradient was computed, animation only) and ``total`` (where contributions from several
    paths were summed, animation only). Empty rows are left out; rows named in ``ghost`` are
    drawn invisible so that every animation frame has the same layout.
    """

    id: str
    tail: str
    head: str
    tail_node: int
    head_node: int | None
    slot: int | None
    #: ``"plain"`` (one input slot between two drawn nodes), ``"merged"`` (every path from one
    #: value into a collapsed scope or the folded box) or ``"output"`` (into the output marker)
    kind: str = "plain"
    value: str = ""
    grad: str = ""
    calc: str = ""
    total: str = ""
    ghost: frozenset[str] = frozenset()
    highlight: str = ""
    main: bool = False


@dataclass(frozen=True)
class LayoutCluster:
    """A dashed frame around the nodes of one ``autograd.scope`` (``group=True``)."""

    id: str
    path: str
    label: str
    parent: str | None
    members: tuple[str, ...]


@dataclass
class GraphLayout:
    """Everything needed to draw one graph; see :func:`build_layout`."""

    nodes: list[LayoutNode]
    edges: list[LayoutEdge]
    clusters: list[LayoutCluster] = field(default_factory=list)
    note: str = ""
    caption: tuple[str, ...] = ()
    rankdir: str = "LR"
    total_nodes: int = 0
    folded_nodes: int = 0
    #: engine ``Node.id`` -> id of the element that draws it (``"node7"``, ``"scope0"``,
    #: ``"folded"``): lets a click, a highlight or an animation find a node's box.
    units: dict[int, str] = field(default_factory=dict)

    def kind_of(self, unit: str) -> str:
        """The ``kind`` of the drawn node with id `unit` (``"op"``, ``"scope"``, ...)."""
        kinds = self.__dict__.get("_kinds")
        if kinds is None or len(kinds) != len(self.nodes):
            kinds = {n.id: n.kind for n in self.nodes}
            self.__dict__["_kinds"] = kinds
        return kinds[unit]

    def is_single(self, unit: str) -> bool:
        """Whether `unit` draws exactly one engine node (not a collapsed scope or the fold)."""
        return self.kind_of(unit) in SINGLE_KINDS

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (lists, strings, ints) for embedding next to the SVG."""
        return {
            "nodes": [_node_dict(n) for n in self.nodes],
            "edges": [_edge_dict(e) for e in self.edges],
            "clusters": [
                {
                    "id": c.id,
                    "path": c.path,
                    "label": c.label,
                    "parent": c.parent,
                    "members": list(c.members),
                }
                for c in self.clusters
            ],
            "note": self.note,
            "caption": list(self.caption),
            "rankdir": self.rankdir,
            "total_nodes": self.total_nodes,
            "folded_nodes": self.folded_nodes,
            "units": {str(k): v for k, v in self.units.items()},
        }


def _node_dict(n: LayoutNode) -> dict[str, Any]:
    return {
        "id": n.id,
        "kind": n.kind,
        "label": n.label,
        "detail": n.detail,
        "tooltip": n.tooltip,
        "node_id": n.node_id,
        "scope": n.scope,
    }


def _edge_dict(e: LayoutEdge) -> dict[str, Any]:
    return {
        "id": e.id,
        "tail": e.tail,
        "head": e.head,
        "tail_node": e.tail_node,
        "head_node": e.head_node,
        "slot": e.slot,
        "kind": e.kind,
        "value": e.value,
        "grad": e.grad,
    }


def check_root(root: Any, caller: str) -> None:
    """Fail early with a clear message when ``root`` is not an autograd Node."""
    if not (hasattr(root, "inputs") and hasattr(root, "id") and hasattr(root, "value")):
        raise TypeError(
            f"{caller}: expected an autograd.Node (the output of a computation), "
            f"got {type(root).__name__}"
        )


def param_names(params: Mapping[str, Any] | None) -> dict[int, str]:
    """``{engine node id: name}`` from a ``{name: Node}`` dict (checked)."""
    if params is None:
        return {}
    if not isinstance(params, Mapping):
        raise TypeError(
            "params: expected a dict {name: Node} (like torchviz make_dot(params=...)), "
            f"got {type(params).__name__}"
        )
    names: dict[int, str] = {}
    for name, node in params.items():
        if not hasattr(node, "id"):
            raise TypeError(
                f"params[{name!r}]: expected an autograd.Node, got {type(node).__name__}"
            )
        names[node.id] = str(name)
    return names


def op_symbol(op: Any) -> str:
    """The symbol an op is drawn with (``×``, ``Affine``), else its name."""
    return str(getattr(op, "symbol", None) or getattr(op, "name", None) or type(op).__name__)


def leaf_label(node: Any, name: str | None, precision: int) -> str:
    """A leaf's text: its name, else its value (a constant like ``2``) or its shape."""
    if name:
        return name
    if node.ndim == 0:
        return format_value(node.value, precision)
    return shape_text(node.shape)


def _name(node: Any, names: Mapping[int, str]) -> str:
    """The name to draw: from ``params=``, else ``Node.name``; made drawable (see display_name)."""
    return display_name(names.get(node.id) or node.name)


def node_label(node: Any, names: Mapping[int, str], precision: int) -> str:
    """Short human name for any node: its name, else its symbol or value.

    Captions use :class:`viz.text.Names`, which also spells out expressions and never gives two
    nodes the same name; this is the quick version for one node on its own.
    """
    name = _name(node, names)
    if node.op is None:
        return leaf_label(node, name, precision)
    return name or f"output of {op_symbol(node.op)}"


#: A leaf with more uses than this is drawn once per use (see ``layout_of``, step 4b).
SPLIT_USES = 4

#: Node kinds that draw exactly one engine node.
SINGLE_KINDS = ("op", "param", "input")


def build_layout(root: Any, **options: Any) -> GraphLayout:
    """Plan the drawing of the graph that produced ``root``.

    Args:
        root: the output Node; everything it was computed from is drawn.
        options: the drawing options of :class:`viz.Options` (``show``, ``precision``,
            ``params``, ``group``, ``collapse_scopes``, ``max_nodes``, ``rankdir``; ``dpi``
            is for pictures and ignored here).
    """
    check_root(root, "viz.build_layout")
    return layout_of(root, Options.of("viz.build_layout", options))


def main_path(root: Any) -> list[Any]:
    """The main data path, from the output back: at each op its first input that is itself
    computed (else its first input that is data, not a parameter).

    For a layer network this is x -> Affine1 -> ReLU -> Affine2 -> loss, the straight line of
    the textbook's layer diagrams; parameters hang beside it.
    """
    path = [root]
    seen = {root.id}
    node = root
    while node.op is not None:
        ins = node.inputs
        nxt = next((x for x in ins if x.op is not None), None)
        if nxt is None:
            nxt = next((x for x in ins if not x.requires_grad), None)
        if nxt is None or nxt.id in seen:
            break
        path.append(nxt)
        seen.add(nxt.id)
        node = nxt
    return path


def graph_order(root: Any) -> list[Any]:
    """Every node of `root`'s graph by creation: inputs always precede outputs.

    Sorting by the creation counter gives an order that does not depend on how the engine
    walks the graph, so goldens survive engine refactors.
    """
    return sorted(autograd.topological_order(root), key=lambda n: n.id)


def layout_of(root: Any, opts: Options, order: list[Any] | None = None) -> GraphLayout:
    """:func:`build_layout` with the options already checked; `order` is
    :func:`graph_order` of `root` where the caller has it already."""
    precision, max_nodes, group = opts.precision, opts.max_nodes, opts.group
    names = param_names(opts.params)
    if order is None:
        order = graph_order(root)

    # 1. Map every engine node to the unit that draws it: itself, or its collapsed scope.
    unit_of: dict[int, str] = {}
    scope_units: dict[str, str] = {}  # top-level scope name -> "scope{k}"
    single: set[str] = set()  # units that draw one engine node
    for node in order:
        top = node.scope.split("/", 1)[0] if (opts.collapse_scopes and node.scope) else None
        if top is None:
            unit_of[node.id] = f"node{node.id}"
            single.add(unit_of[node.id])
        else:
            if top not in scope_units:
                scope_units[top] = f"scope{len(scope_units)}"
            unit_of[node.id] = scope_units[top]

    # 2. Fold everything but the max_nodes units nearest the root (breadth-first from it).
    n_units = len(set(unit_of.values()))
    if max_nodes is not None and n_units > max_nodes:
        unit_inputs: dict[str, list[str]] = {}
        for node in order:
            hu = unit_of[node.id]
            ins = unit_inputs.setdefault(hu, [])
            for x in node.inputs:
                tu = unit_of[x.id]
                if tu != hu:
                    ins.append(tu)
        keep = {unit_of[root.id]}
        queue = deque([unit_of[root.id]])
        while queue and len(keep) < max_nodes:
            for tu in unit_inputs.get(queue.popleft(), ()):
                if tu not in keep:
                    keep.add(tu)
                    queue.append(tu)
                    if len(keep) >= max_nodes:
                        break
        for node in order:
            if unit_of[node.id] not in keep:
                unit_of[node.id] = "folded"
                single.discard(f"node{node.id}")

    # 3. Nodes, in order of first appearance; scope boxes and the fold are filled in once all
    # their members are known.
    nodes: list[LayoutNode] = []
    emitted: set[str] = set()
    members: dict[str, list[Any]] = {}
    for node in order:
        unit = unit_of[node.id]
        if unit not in single:
            members.setdefault(unit, []).append(node)
        if unit in emitted:
            continue
        emitted.add(unit)
        if unit in single:
            nodes.append(_plain_node(node, unit, names, precision, group, opts.lang))
        else:
            nodes.append(LayoutNode(id=unit, kind="folded" if unit == "folded" else "scope",
                                    label=""))
    scope_name = {u: s for s, u in scope_units.items()}
    folded_count = len(members.get("folded", ()))
    for i, lnode in enumerate(nodes):
        if lnode.kind == "scope":
            nodes[i] = _scope_node(lnode.id, scope_name[lnode.id], members[lnode.id], names,
                                   opts.lang)
        elif lnode.kind == "folded":
            nodes[i] = _folded_node(folded_count, opts)

    # 4. Edges: one per (input slot) between drawn nodes; edges touching a scope box or the
    # folded box are merged per (value, box), since they would carry identical labels.
    want_value = opts.show in ("both", "values")
    want_grad = opts.show in ("both", "grads")
    path = main_path(root)
    main = {(x.id, y.id) for y, x in zip(path, path[1:])}
    edges: list[LayoutEdge] = []
    merged: set[tuple[int, str]] = set()
    for node in order:
        hu = unit_of[node.id]
        if hu == "folded":
            continue
        n_in = len(node.inputs)
        for slot, x in enumerate(node.inputs):
            tu = unit_of[x.id]
            if tu == hu:
                continue  # inside a collapsed scope
            if tu in single and hu in single:
                kind = "plain"
                repeated = n_in > 1 and sum(1 for y in node.inputs if y is x) > 1
                eid = f"edge{x.id}_{node.id}" + (f"_{slot}" if repeated else "")
            else:
                kind = "merged"
                key = (x.id, hu)
                if key in merged:
                    continue
                merged.add(key)
                eid = f"edge{x.id}_{node.id if hu in single else hu}"
            edges.append(
                LayoutEdge(
                    id=eid,
                    tail=tu,
                    head=hu,
                    tail_node=x.id,
                    head_node=node.id,
                    slot=slot,
                    kind=kind,
                    value=format_value(x.value, precision) if want_value else "",
                    grad=format_value(x.grad, precision) if want_grad else "",
                    main=kind == "plain" and (x.id, node.id) in main,
                )
            )

    # 4b. A leaf used many times (a weight shared by every step of a recurrence) is drawn once
    # per use, beside the op that uses it: arrows from one box to ops all along the graph
    # cross everything and make Graphviz's layout take minutes.
    uses: dict[str, int] = {}
    for e in edges:
        uses[e.tail] = uses.get(e.tail, 0) + 1
    shared = {n.id for n in nodes
              if n.kind in ("param", "input") and uses.get(n.id, 0) > SPLIT_USES}
    if shared:
        by_id = {n.id: n for n in nodes}
        copies: dict[str, list[LayoutNode]] = {}
        for i, e in enumerate(edges):
            if e.tail in shared:
                made = copies.setdefault(e.tail, [])
                if made:  # the first use keeps the original box
                    copy = dataclasses.replace(by_id[e.tail], id=f"{e.tail}use{len(made) + 1}")
                    edges[i] = dataclasses.replace(e, tail=copy.id)
                    made.append(copy)
                else:
                    made.append(by_id[e.tail])
        nodes = [c for n in nodes for c in (copies.get(n.id) or [n])]

    # 5. The output marker, as in the textbook: the root's value leaves to the right, the
    # seed gradient (1) comes back in.
    nodes.append(_output_node(root, names, opts.lang))
    edges.append(
        LayoutEdge(
            id=f"edge{root.id}_output",
            tail=unit_of[root.id],
            head="output",
            tail_node=root.id,
            head_node=None,
            slot=None,
            kind="output",
            value=format_value(root.value, precision) if want_value else "",
            grad=format_value(root.grad, precision) if want_grad else "",
            main=True,
        )
    )

    clusters = _clusters(nodes) if group else []
    return GraphLayout(
        nodes=nodes,
        edges=edges,
        clusters=clusters,
        note=_note(len(order), folded_count, opts),
        rankdir=opts.rankdir,
        total_nodes=len(order),
        folded_nodes=folded_count,
        units=unit_of,
    )


def words_in(layout: GraphLayout, root: Any, order: list[Any], opts: Options) -> GraphLayout:
    """`layout` (made by :func:`layout_of` with `order`) with the words of its output marker,
    folded box, collapsed scopes and note in ``opts.lang``, without laying the graph out again.

    Ids and arrows stay as they are; so do the op and leaf boxes, whose tooltips are not
    rewritten.
    """
    names = param_names(opts.params)
    members: dict[str, list[Any]] = {n.id: [] for n in layout.nodes if n.kind == "scope"}
    for node in order:
        unit = layout.units[node.id]
        if unit in members:
            members[unit].append(node)
    nodes = []
    for n in layout.nodes:
        if n.kind == "scope":
            scope = members[n.id][0].scope.split("/", 1)[0]
            n = _scope_node(n.id, scope, members[n.id], names, opts.lang)
        elif n.kind == "folded":
            n = _folded_node(layout.folded_nodes, opts)
        elif n.kind == "output":
            n = _output_node(root, names, opts.lang)
        nodes.append(n)
    return dataclasses.replace(layout, nodes=nodes,
                               note=_note(layout.total_nodes, layout.folded_nodes, opts))


def _folded_node(count: int, opts: Options) -> LayoutNode:
    return LayoutNode(
        id="folded",
        kind="folded",
        label=message("picture.folded", opts.lang, n=count),
        tooltip=message("picture.folded_tooltip", opts.lang, n=count, max_nodes=opts.max_nodes),
    )


def _output_node(root: Any, names: Mapping[int, str], lang: str) -> LayoutNode:
    """The output marker, named by the user's name of the root, else in words."""
    return LayoutNode(id="output", kind="output",
                      label=_name(root, names) or message("picture.output", lang),
                      tooltip=message("picture.output_tooltip", lang))


def _note(total: int, folded: int, opts: Options) -> str:
    """The line above a folded picture; none when nothing is folded."""
    if not folded:
        return ""
    return message("picture.folded_note", opts.lang, total=total, shown=total - folded,
                   n=folded, max_nodes=opts.max_nodes)


def _plain_node(
    node: Any, unit: str, names: Mapping[int, str], precision: int, group: bool, lang: str
) -> LayoutNode:
    name = _name(node, names)
    scope = node.scope if group else None
    if node.op is None:
        kind = "param" if node.requires_grad else "input"
        label = leaf_label(node, name, precision)
        what = message("picture.param" if node.requires_grad else "picture.input", lang)
        tooltip = message("picture.leaf_tooltip", lang, label=label, what=what,
                          shape=_shape_words(node.shape, lang))
        return LayoutNode(unit, kind, label, "", tooltip, node.id, scope)
    op = node.op
    formula = getattr(op, "formula", "")
    derivative = getattr(op, "derivative", "")
    tooltip = f"{getattr(op, 'name', op_symbol(node.op))}: {formula}"
    if derivative:
        tooltip += f"\n{derivative}"
    tooltip += f"\n{_shape_words(node.shape, lang)}"
    return LayoutNode(unit, "op", op_symbol(node.op), name or "", tooltip, node.id, scope)


def _shape_words(shape: tuple[int, ...], lang: str) -> str:
    if shape == ():
        return message("picture.scalar", lang)
    return message("picture.shape", lang, shape=shape_text(shape))


def _scope_node(unit: str, scope: str, members: list[Any], names: Mapping[int, str],
                lang: str) -> LayoutNode:
    n_ops = sum(1 for n in members if n.op is not None)
    params = [n for n in members if n.op is None and n.requires_grad]
    shown = [f"{_name(p, names) or 'param'} {shape_text(p.shape)}" for p in params[:3]]
    if len(params) > 3:
        shown.append(message("picture.scope_more", lang, n=len(params) - 3))
    ops = message("picture.scope_one_op" if n_ops == 1 else "picture.scope_ops", lang, n=n_ops)
    detail = ops + (" · " + ", ".join(shown) if shown else "")
    tooltip = message("picture.scope_tooltip", lang, scope=display_name(scope), n=len(members))
    return LayoutNode(unit, "scope", display_name(scope), detail, tooltip, None, None)


def _clusters(nodes: list[LayoutNode]) -> list[LayoutCluster]:
    """Nested frames for scope paths ``"A"``, ``"A/B"``, numbered by first appearance."""
    ids: dict[str, str] = {}
    members: dict[str, list[str]] = {}
    for n in nodes:
        if not n.scope:
            continue
        parts = n.scope.split("/")
        for depth in range(1, len(parts) + 1):
            path = "/".join(parts[:depth])
            if path not in ids:
                ids[path] = f"cluster_{len(ids)}"
                members[path] = []
        members[n.scope].append(n.id)
    out = []
    for path, cid in ids.items():
        parent = path.rsplit("/", 1)[0] if "/" in path else None
        out.append(
            LayoutCluster(
                id=cid,
                path=path,
                label=display_name(path.rsplit("/", 1)[-1]),
                parent=ids[parent] if parent else None,
                members=tuple(members[path]),
            )
        )
    return out
