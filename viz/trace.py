"""One replay of the backward pass, shared by the frames (:mod:`viz.steps`) and the page
(:mod:`viz.html`): per step, the caption, which arrows carry what, and what to highlight.

:func:`replay` asks the engine for its steps (``autograd.backward_trace``, which leaves every
``.grad`` alone), lays the graph out once with forward values only, and walks the steps in the
engine's order, recording for every arrow the gradient text it shows from which step on.
"""

from __future__ import annotations

import bisect
import dataclasses
from typing import Any

import autograd

from .labels import format_value
from .layout import GraphLayout, check_root, graph_order, layout_of, op_symbol, param_names
from .messages import message
from .options import Options
from .text import Names, backward_lines, forward_lines

__all__ = ["EdgeUpdate", "Replay", "ReplayStep", "replay"]


@dataclasses.dataclass(frozen=True)
class EdgeUpdate:
    """From this step on, arrow `edge` shows gradient `grad`.

    ``calc`` (``"upstream × local = value"``) belongs to this step only; ``total``
    (``"Σ a + b = total"``) is set where a value used on several paths has its gradients added.
    ``before`` is the text the arrow showed until now (None: none).
    """

    edge: str
    grad: str
    calc: str = ""
    total: str = ""
    before: str | None = None


@dataclasses.dataclass(frozen=True)
class ReplayStep:
    """Backward step ``index`` (1-based): the engine's ``step`` and how to show it."""

    index: int
    step: Any
    unit: str  # the drawn element processing it (``node7``, ``scope0``, ``folded``)
    lines: tuple[str, ...]
    updates: tuple[EdgeUpdate, ...]
    up: tuple[str, ...]  # arrows carrying the node's value out: its gradient arrives on them
    contrib: tuple[str, ...]  # arrows whose gradient this step sets
    sums: tuple[str, ...]  # earlier arrows of an input whose gradients are added at this step

    @property
    def hidden(self) -> bool:
        """Nothing of this step is drawn (it is inside the folded part of a big graph)."""
        return _hidden(self.unit, self.updates, self.up)


def _hidden(unit: str, *drawn: Any) -> bool:
    return unit == "folded" and not any(drawn)


@dataclasses.dataclass
class Replay:
    """The whole backward pass, ready to draw (see :func:`replay`).

    Attributes:
        root: the output Node.
        layout: the drawing plan with forward values only.
        names: one unique name per engine node (:class:`viz.text.Names`).
        order: the engine nodes, inputs before outputs (by creation).
        steps: one :class:`ReplayStep` per op node, in the engine's backward order.
        history: engine node id -> ``[(step, gradient received so far)]``.
        final: edge id -> the gradient text it shows after the last step.
    """

    root: Any
    options: Options
    layout: GraphLayout
    names: Names
    order: list[Any]
    steps: list[ReplayStep]
    history: dict[int, list[tuple[int, Any]]]
    final: dict[str, str]

    _names: dict[str, Names] = dataclasses.field(default_factory=dict, repr=False)

    def names_in(self, lang: str) -> Names:
        """The node names in `lang` (they differ only where a name is spelled in words)."""
        if lang not in self._names:
            self._names[lang] = self.names.in_lang(lang)
        return self._names[lang]

    def backward_captions(self, lang: str, hidden: bool = True
                          ) -> list[tuple[str, ...] | None]:
        """The caption of every backward step in `lang` (``steps[k].lines`` are in one).

        ``hidden=False``: None for a step with nothing drawn (a big folded graph has thousands).
        """
        if lang == self.names.lang:
            return [s.lines if hidden or not s.hidden else None for s in self.steps]
        names = self.names_in(lang)
        n_steps = len(self.steps)
        out: list[tuple[str, ...] | None] = []
        for s in self.steps:
            if s.hidden:
                out.append((message("caption.folded_backward", lang, k=s.index, n=n_steps,
                                    symbol=op_symbol(s.step.node.op)),) if hidden else None)
                continue
            # what each input had received before this step, so paths that meet add up
            received = {}
            for x in s.step.node.inputs:
                got = self.history.get(x.id, [])  # in step order
                i = bisect.bisect_left(got, s.index, key=lambda entry: entry[0])
                if i:
                    received[x.id] = got[i - 1][1]
            out.append(tuple(backward_lines(s.step, s.index, n_steps, names, received,
                                            lang)[0]))
        return out

    def forward_lines(self, lang: str | None = None, hidden: bool = True
                      ) -> list[tuple[Any, list[str] | None]]:
        """``(node, caption)`` per forward step: one per op node, inputs before outputs.

        ``hidden=False``: None for a step with nothing drawn.
        """
        lang = lang or self.names.lang
        names = self.names_in(lang)
        ops = [n for n in self.order if n.op is not None]
        drawn = {e.tail_node for e in self.layout.edges}
        out: list[tuple[Any, list[str] | None]] = []
        for j, n in enumerate(ops, start=1):
            if self.layout.units[n.id] == "folded" and n.id not in drawn:
                lines = [message("caption.folded_forward", lang, k=j, n=len(ops),
                                 symbol=op_symbol(n.op))] if hidden else None
            else:
                lines = forward_lines(n, j, len(ops), names, lang)
            out.append((n, lines))
        return out


def replay(root: Any, grad: Any, opts: Options, caller: str, lang: str | None = None) -> Replay:
    """Replay the backward pass of `root` (seed `grad`) for drawing with `opts`.

    `caller` names the public function in the error for a root that is not a Node. The
    captions are in `lang`, by default ``opts.lang`` (:meth:`Replay.backward_captions` gives
    them in another).
    """
    lang = lang or opts.lang
    check_root(root, caller)
    opts.check(caller)
    order = graph_order(root)
    layout = layout_of(root, dataclasses.replace(opts, show="values"), order)
    trace = autograd.backward_trace(root, grad)
    names = Names(order, param_names(opts.params), opts.precision, lang)
    precision = opts.precision

    def fmt(v: Any) -> str:
        return format_value(v, precision)

    units = layout.units
    plain: dict[tuple[int, int | None, int | None], str] = {}
    merged: dict[tuple[int, str], str] = {}
    leaving: dict[int, list[str]] = {}  # engine node id -> ids of the edges carrying its value
    for e in layout.edges:
        leaving.setdefault(e.tail_node, []).append(e.id)
        if e.kind == "merged":
            merged[(e.tail_node, e.head)] = e.id
        else:
            plain[(e.tail_node, e.head_node, e.slot)] = e.id

    shown: dict[str, str] = {}
    received: dict[int, Any] = {}
    merged_sum: dict[tuple[int, str], Any] = {}
    history: dict[int, list[tuple[int, Any]]] = {}
    carriers: dict[int, list[str]] = {}  # engine node id -> edges its gradient came back on
    steps: list[ReplayStep] = []
    n_steps = len(trace)

    for k, step in enumerate(trace, start=1):
        node = step.node
        head_unit = units[node.id]
        updates: list[EdgeUpdate] = []

        def update(eid: str | None, grad_text: str, calc: str = "", total: str = "",
                   updates: list[EdgeUpdate] = updates) -> None:
            if eid is not None:
                updates.append(EdgeUpdate(eid, grad_text, calc, total, shown.get(eid)))
                shown[eid] = grad_text

        if k == 1:  # the seed gradient enters from the output marker
            received[root.id] = step.upstream
            history.setdefault(root.id, []).append((1, step.upstream))
            update(plain.get((root.id, None, None)), fmt(step.upstream))
        # a step of the folded part that leaves no arrow is not drawn: its numbers still add
        # up, but no caption is written for it (a big folded graph has thousands of these)
        unseen = k > 1 and head_unit == "folded" and node.id not in leaving
        lines, sent = backward_lines(step, k, n_steps, names, received, lang, words=not unseen)
        sums: list[str] = []
        for slot, x, c, before, calc in sent:
            if c is None:
                continue
            history.setdefault(x.id, []).append((k, received[x.id]))
            if units[x.id] == head_unit:
                continue  # inside a collapsed scope or the folded box: no arrow to label
            eid = plain.get((x.id, node.id, slot))
            if eid is not None:
                total = "" if before is None else \
                    f"Σ {fmt(before)} + {fmt(c)} = {fmt(received[x.id])}"
                update(eid, fmt(c), calc, total)
            else:
                # One arrow stands for every path from x into a box: label it with their sum.
                key = (x.id, head_unit)
                merged_sum[key] = c if key not in merged_sum else merged_sum[key] + c
                eid = merged.get(key)
                update(eid, fmt(merged_sum[key]))
            carried = carriers.setdefault(x.id, [])
            if before is not None:
                sums.extend(e for e in carried if e not in sums)  # the paths that add up
            if eid is not None and eid not in carried:
                carried.append(eid)
        up = tuple(leaving.get(node.id, ()))
        if _hidden(head_unit, updates, up):
            # nothing of this step is drawn: one short line (the page stores only the symbol)
            lines = [message("caption.folded_backward", lang, k=k, n=n_steps,
                             symbol=op_symbol(node.op))]
        steps.append(
            ReplayStep(
                index=k,
                step=step,
                unit=head_unit,
                lines=tuple(lines),
                updates=tuple(updates),
                up=up,
                # the seed arriving from the output marker is upstream, not a contribution
                contrib=tuple(u.edge for u in updates if u.edge not in up),
                sums=tuple(sums),
            )
        )
    return Replay(root, opts, layout, names, order, steps, history, dict(shown))
