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
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, overload

from autograd.files import atomic_write

from .backends import dot_to_bytes
from .dot import layout_to_dot
from .layout import GraphLayout, LayoutEdge
from .messages import message
from .options import Options
from .picture import DotPicture
from .trace import EdgeUpdate, ReplayStep, replay

__all__ = ["BackwardSteps", "Frame", "backward_steps"]


@dataclasses.dataclass(frozen=True)
class Frame(DotPicture):
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
    dpi: float | None = None

    @property
    def source(self) -> str:
        """DOT text of this frame."""
        return layout_to_dot(self.layout)


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
            Image.open(io.BytesIO(dot_to_bytes(f.source, "png", dpi=f.dpi))).convert("RGB")
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
        with atomic_write(path) as f:
            padded[0].save(f, format="GIF", save_all=True, append_images=padded[1:],
                           duration=duration, loop=loop)
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


def backward_steps(
    root: Any, grad: Any = None, *, forward_frame: bool = False, **options: Any
) -> BackwardSteps:
    """Frames of the backward pass from ``root``, in the engine's own order.

    One frame per op node (``len(frames)`` == number of op nodes), plus a first frame with
    only the forward values when ``forward_frame=True``. ``grad`` is the seed gradient, as in
    ``root.backward(grad)`` (needed when the root is not a scalar). Uses
    ``autograd.backward_trace``, so ``.grad`` of the graph is left untouched. The other options
    are those of :class:`viz.Options` except ``show`` (the frames show values and gradients);
    ``dpi``/``scale`` set the size of PNG frames and of the GIF.
    """
    opts = Options.of("viz.backward_steps", options)
    rp = replay(root, grad, opts, "viz.backward_steps")
    by_edge: dict[str, list[tuple[int, EdgeUpdate]]] = {}
    for s in rp.steps:
        for u in s.updates:
            by_edge.setdefault(u.edge, []).append((s.index, u))
    frames = []
    if forward_frame:
        # the forward frame also says how to read the picture: its legend
        caption = (message("caption.forward_frame", opts.lang),
                   message("picture.legend", opts.lang))
        frames.append(Frame(0, None, _frame_layout(rp.layout, 0, None, by_edge, caption),
                            opts.dpi))
    for s in rp.steps:
        frames.append(Frame(s.index, s.step,
                            _frame_layout(rp.layout, s.index, s, by_edge, s.lines), opts.dpi))
    return BackwardSteps(frames)


def _frame_layout(
    base: GraphLayout,
    k: int,
    step: ReplayStep | None,
    by_edge: dict[str, list[tuple[int, EdgeUpdate]]],
    caption: tuple[str, ...],
) -> GraphLayout:
    """The picture at step `k`: texts not yet reached are kept, invisible, for a stable layout."""
    up, contrib, sums = (set(step.up), set(step.contrib), set(step.sums)) if step else ((),) * 3
    edges: list[LayoutEdge] = []
    for e in base.edges:
        history = by_edge.get(e.id)
        if not history:
            edges.append(e)  # no gradient flows here (e.g. requires_grad=False)
            continue
        reached = [(s, u) for s, u in history if s <= k]
        ghost: set[str] = set()
        if reached:
            at, shown = reached[-1]
            if at < k:
                ghost.add("calc")  # "upstream × local" belongs to its own step
        else:
            shown = history[-1][1]
            ghost.update(("grad", "calc", "total"))
        highlight = ""
        if e.id in contrib:
            highlight = "contribution"
        elif e.id in sums:
            highlight = "sum"
        elif e.id in up:
            highlight = "upstream"
        edges.append(
            dataclasses.replace(e, grad=shown.grad, calc=shown.calc, total=shown.total,
                                ghost=frozenset(ghost), highlight=highlight)
        )
    active = step.unit if step is not None else None
    nodes = [
        dataclasses.replace(n, highlight="active") if n.id == active else n for n in base.nodes
    ]
    return dataclasses.replace(base, nodes=nodes, edges=edges, caption=caption)
