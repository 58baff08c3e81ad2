"""The backward pass as a sequence of pictures, one per op node the engine processes.

Frame ``k`` highlights the node being processed (yellow), the gradient arriving at it
(orange arrows), and what it sends to each input (red arrows, with
``upstream × local = contribution`` under the edge). When an input receives its second or
later contribution, the edge also shows the sum (``Σ a + b = total``, blue): that is the
"gradients from several paths add up" rule of the chain rule.

All frames share one layout: text not yet revealed is drawn invisible rather than left out,
so Graphviz places every box in the same spot in every frame and the animation does not jump.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, overload

import autograd

from .backends import _svg_text, _write, dot_to_bytes
from .dot import layout_to_dot
from .labels import format_value
from .layout import (
    DEFAULT_MAX_NODES,
    GraphLayout,
    LayoutEdge,
    build_layout,
    check_root,
    node_label,
    param_names,
)

__all__ = ["BackwardSteps", "Frame", "backward_steps"]


@dataclasses.dataclass(frozen=True)
class Frame:
    """One picture of the backward pass.

    Attributes:
        index: 0 for the forward-only frame, ``k`` for the k-th backward step.
        step: the engine's ``Step`` (``node``, ``upstream``, ``contributions``, ``local``),
            ``None`` for the forward frame.
        layout: the drawing plan (labels already set for this moment).
    """

    index: int
    step: Any
    layout: GraphLayout

    @property
    def source(self) -> str:
        """DOT text of this frame."""
        return layout_to_dot(self.layout)

    def svg(self, inline: bool = False) -> str:
        """SVG text of this frame (needs a renderer, see :func:`viz.backend`)."""
        return _svg_text(self.source, inline)

    def _repr_svg_(self) -> str:
        return self.svg(inline=True)

    def render(self, path: str | Path) -> Path:
        """Save this frame as ``.png``/``.svg``/``.pdf``/``.dot``."""
        return _write(self.source, path)


class BackwardSteps(Sequence[Frame]):
    """The frames of one backward pass; index it, iterate it, or save it.

    ``save_gif`` needs Pillow, ``widget`` needs ipywidgets; both are imported only when used.
    """

    def __init__(self, frames: list[Frame]) -> None:
        self.frames = frames

    def __len__(self) -> int:
        return len(self.frames)

    @overload
    def __getitem__(self, i: int) -> Frame: ...
    @overload
    def __getitem__(self, i: slice) -> list[Frame]: ...
    def __getitem__(self, i: int | slice) -> Frame | list[Frame]:
        return self.frames[i]

    def __iter__(self) -> Iterator[Frame]:
        return iter(self.frames)

    def __repr__(self) -> str:
        return f"<viz.BackwardSteps: {len(self.frames)} frames>"

    def save_frames(
        self, directory: str | Path, *, fmt: str = "png", prefix: str = "step"
    ) -> list[Path]:
        """Write ``step_00.png``, ``step_01.png``, ... (or ``.svg``/``.dot``) into ``directory``.

        Numbers are zero-padded so the files sort in order. Returns the paths written.
        """
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        width = max(2, len(str(len(self.frames))))
        return [f.render(directory / f"{prefix}_{f.index:0{width}d}.{fmt}") for f in self.frames]

    def save_gif(self, path: str | Path, *, duration: int = 1500, loop: int = 0) -> Path:
        """Write an animated GIF (``duration`` ms per frame; ``loop=0`` repeats forever)."""
        try:
            from PIL import Image
        except ImportError as err:
            raise ImportError(
                "BackwardSteps.save_gif needs Pillow: pip install pillow "
                "(or save numbered frames with save_frames, which does not)"
            ) from err
        import io

        if not self.frames:
            raise ValueError("no frames to save: the graph has no op nodes")
        images = [
            Image.open(io.BytesIO(dot_to_bytes(f.source, "png"))).convert("RGB")
            for f in self.frames
        ]
        # Captions differ in length, so frames differ slightly in size; pad them all to the
        # largest, top-left aligned, so the graph stays put.
        w = max(im.width for im in images)
        h = max(im.height for im in images)
        padded = []
        for im in images:
            canvas = Image.new("RGB", (w, h), "white")
            canvas.paste(im, (0, 0))
            padded.append(canvas)
        path = Path(path)
        padded[0].save(path, save_all=True, append_images=padded[1:], duration=duration, loop=loop)
        return path

    def widget(self) -> Any:
        """A slider to step through the frames in Jupyter (needs ``pip install ipywidgets``)."""
        try:
            import ipywidgets
        except ImportError as err:
            raise ImportError(
                "BackwardSteps.widget needs ipywidgets: pip install ipywidgets "
                "(or show single frames: steps[3] displays inline)"
            ) from err
        svgs = [f.svg(inline=True) for f in self.frames]
        slider = ipywidgets.IntSlider(value=0, min=0, max=max(0, len(svgs) - 1), description="step")
        view = ipywidgets.HTML(value=svgs[0] if svgs else "")

        def show(change: dict[str, Any]) -> None:
            view.value = svgs[change["new"]]

        slider.observe(show, names="value")
        return ipywidgets.VBox([slider, view])

    def _ipython_display_(self) -> None:
        from IPython.display import SVG, display

        try:
            display(self.widget())
        except ImportError:
            # Without ipywidgets, show every frame one below the other.
            for f in self.frames:
                display(SVG(f.svg()))


@dataclasses.dataclass
class _EdgeEvent:
    step: int
    grad: str
    calc: str
    total: str


@dataclasses.dataclass(frozen=True)
class Contribution:
    """What one backward step sends to one input: ``upstream × local = value``."""

    slot: int  # which input of the op
    input: Any  # the engine Node receiving it
    value: Any  # the contribution (None: the input needs no gradient)
    calc: str  # "upstream × local = value" for scalars, else ""
    before: Any  # what the input had received from earlier steps (None: nothing yet)
    total: Any  # before + value


def explain_step(step: autograd.Step, k: int, n_steps: int, received: dict[int, Any],
                 label: Callable[[Any], str], precision: int = 4,
                 ) -> tuple[list[str], list[Contribution]]:
    """The caption of backward step `k` and what it sends to each input.

    `received` (engine node id -> gradient summed so far) is updated, so calling this for the
    steps in order shows where contributions from several paths add up. Used by both the
    frames here and the HTML explorer, so the two always say the same thing.
    """
    node, op = step.node, step.node.op

    def fmt(v: Any) -> str:
        return format_value(v, precision)

    symbol = getattr(op, "symbol", None) or getattr(op, "name", "op")
    formula = getattr(op, "formula", "")
    lines = [f"Step {k}/{n_steps}: backward through {symbol}"
             + (f"   ({formula})" if formula else ""),
             f"upstream gradient arriving at {label(node)}: {fmt(step.upstream)}"]
    if getattr(op, "derivative", ""):
        lines.append(f"local derivatives: {op.derivative}")
    sent = []
    for slot, (x, c) in enumerate(zip(node.inputs, step.contributions)):
        who = label(x)
        if c is None:
            lines.append(f"→ {who}: no gradient (requires_grad=False)")
            sent.append(Contribution(slot, x, None, "", None, None))
            continue
        calc = ""
        if step.local is not None and step.local[slot] is not None:
            calc = f"{fmt(step.upstream)} × {fmt(step.local[slot])} = {fmt(c)}"
        lines.append(f"→ {who}: {calc or fmt(c)}")
        before = received.get(x.id)
        total = c if before is None else before + c
        received[x.id] = total
        if before is not None:
            lines.append(f"   {who} is used on several paths, gradients add: "
                         f"{fmt(before)} + {fmt(c)} = {fmt(total)}")
        sent.append(Contribution(slot, x, c, calc, before, total))
    return lines, sent


def traced_layout(
    root: Any,
    grad: Any,
    caller: str,
    *,
    precision: int,
    params: Mapping[str, Any] | None,
    group: bool,
    collapse_scopes: bool,
    max_nodes: int | None,
    rankdir: str,
) -> tuple[GraphLayout, dict[int, str], list[autograd.Step]]:
    """What the frames here and the HTML explorer both start from.

    Returns the layout with forward values only (each step adds the gradients it has reached),
    the names given in `params` by node id, and the engine's backward steps from
    ``autograd.backward_trace`` (which leaves ``.grad`` untouched). `caller` names the public
    function in the error for a root that is not a Node.
    """
    check_root(root, caller)
    base = build_layout(
        root,
        show="values",
        precision=precision,
        params=params,
        group=group,
        collapse_scopes=collapse_scopes,
        max_nodes=max_nodes,
        rankdir=rankdir,
    )
    return base, param_names(params), list(autograd.backward_trace(root, grad))


def backward_steps(
    root: Any,
    grad: Any = None,
    *,
    forward_frame: bool = False,
    precision: int = 4,
    params: Mapping[str, Any] | None = None,
    group: bool = False,
    collapse_scopes: bool = False,
    max_nodes: int | None = DEFAULT_MAX_NODES,
    rankdir: str = "LR",
) -> BackwardSteps:
    """Frames of the backward pass from ``root``, in the engine's own order.

    One frame per op node (``len(frames)`` == number of op nodes), plus a first frame with
    only the forward values when ``forward_frame=True``. ``grad`` is the seed gradient, as in
    ``root.backward(grad)`` (needed when the root is not a scalar). Uses
    ``autograd.backward_trace``, so ``.grad`` of the graph is left untouched. The other options
    are those of :func:`viz.to_dot` except ``show`` (the frames show values and gradients).
    """
    base, names, trace = traced_layout(
        root, grad, "viz.backward_steps", precision=precision, params=params, group=group,
        collapse_scopes=collapse_scopes, max_nodes=max_nodes, rankdir=rankdir,
    )
    n_steps = len(trace)

    def fmt(v: Any) -> str:
        return format_value(v, precision)

    # Replay the trace once, recording what each edge shows and from which step on.
    by_key: dict[tuple[int, int | None, int | None], _EdgeEvent] = {}
    tail_history: dict[int, list[tuple[int, str]]] = {}  # for merged (collapsed) edges
    captions: list[tuple[str, ...]] = []
    received: dict[int, Any] = {}
    if trace:
        by_key[(root.id, None, None)] = _EdgeEvent(1, fmt(trace[0].upstream), "", "")
    def label(x: Any) -> str:
        return node_label(x, names, precision)

    for k, step in enumerate(trace, start=1):
        lines, sent = explain_step(step, k, n_steps, received, label, precision)
        for c in sent:
            if c.value is None:
                continue
            total = "" if c.before is None else \
                f"Σ {fmt(c.before)} + {fmt(c.value)} = {fmt(c.total)}"
            by_key[(c.input.id, step.node.id, c.slot)] = _EdgeEvent(k, fmt(c.value), c.calc,
                                                                    total)
            tail_history.setdefault(c.input.id, []).append((k, fmt(c.total)))
        captions.append(tuple(lines))

    frames = []
    if forward_frame:
        frames.append(
            Frame(
                0,
                None,
                _frame_layout(
                    base,
                    0,
                    None,
                    by_key,
                    tail_history,
                    ("Forward pass: values flow left to right",),
                ),
            )
        )
    for k, step in enumerate(trace, start=1):
        frames.append(
            Frame(k, step, _frame_layout(base, k, step, by_key, tail_history, captions[k - 1]))
        )
    return BackwardSteps(frames)


def _frame_layout(
    base: GraphLayout,
    k: int,
    step: Any,
    by_key: dict[tuple[int, int | None, int | None], _EdgeEvent],
    tail_history: dict[int, list[tuple[int, str]]],
    caption: tuple[str, ...],
) -> GraphLayout:
    active = step.node.id if step is not None else None
    active_unit = base.units.get(active) if active is not None else None
    edges: list[LayoutEdge] = []
    for e in base.edges:
        plain = e.tail.startswith("node") and (e.head.startswith("node") or e.head == "output")
        ghost: set[str] = set()
        highlight = ""
        if plain:
            ev = by_key.get((e.tail_node, e.head_node, e.slot))
            if ev is None:
                edges.append(e)  # no gradient flows here (e.g. requires_grad=False)
                continue
            grad, calc, total = ev.grad, ev.calc, ev.total
            if ev.step > k:
                ghost.update(("grad", "calc", "total"))
            elif ev.step < k:
                ghost.add("calc")
            if ev.step == k and e.head != "output":
                highlight = "contribution"
        else:
            # A merged edge stands for several paths; show the running total of its value.
            history = tail_history.get(e.tail_node, [])
            if e.head == "output" and (e.tail_node, None, None) in by_key:
                history = [(1, by_key[(e.tail_node, None, None)].grad)]
            if not history:
                edges.append(e)
                continue
            grad, calc, total = history[-1][1], "", ""
            seen = [text for s, text in history if s <= k]
            if seen:
                grad = seen[-1]
            else:
                ghost.add("grad")
            if (
                active_unit is not None
                and e.head == active_unit
                and any(s == k for s, _ in history)
            ):
                highlight = "contribution"
        if active is not None and e.tail_node == active and not highlight:
            highlight = "upstream"
        edges.append(
            dataclasses.replace(
                e, grad=grad, calc=calc, total=total, ghost=frozenset(ghost), highlight=highlight
            )
        )
    nodes = [
        dataclasses.replace(n, highlight="active") if n.id == active_unit else n for n in base.nodes
    ]
    return dataclasses.replace(base, nodes=nodes, edges=edges, caption=caption)
