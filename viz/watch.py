"""Watch a network learn: one self-contained page that replays a real training run.

``viz.watch("spiral", path="watch.html")`` trains a small network on a 2-D data set with the
engine (:func:`nn.playground.record`), then writes a page with a scrubber over the snapshots:

- the data points and the decision regions at that step (``#gg-boundary``);
- train and test loss and accuracy against the step (log scale), with a marker at the step;
- each layer's gradient norm ‖∂L/∂W‖ over time, and each hidden layer's activation histogram
  at the step, as in the book's chapter 6 figures;
- the computational graph of one example (click a ringed point to choose it) with its forward
  values and gradients at that step (``#gg-example``), laid out by the same code as the
  explorer (:func:`viz.build_layout`): the graph is drawn once, and each step swaps its labels.

Every number on the page was computed in Python by the engine: the page only replays them.
Nothing is loaded from anywhere (the explorer's Content-Security-Policy), so the page opens
from disk, offline, and can be mailed.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from autograd import Node
from autograd.files import write_bytes
from nn.playground import Run, record

from .backends import dot_to_svg
from .dot import layout_to_dot
from .html import _asset, _json_for_script, page_head
from .labels import format_number
from .layout import build_layout
from .messages import check_lang, message, messages_for

__all__ = ["WatchPage", "watch", "watch_data"]

#: Bins of each activation histogram (the book's chapter 6 figures use 30 over (0, 1)).
HIST_BINS = 20
#: Significant digits of the edge labels of the example's graph.
PRECISION = 4


def _hist_range(activation: str, values: list[np.ndarray]) -> tuple[float, float]:
    """One range per layer for the whole run, so the histograms of two steps compare."""
    if activation == "sigmoid":
        return 0.0, 1.0
    if activation == "tanh":
        return -1.0, 1.0
    top = max(float(np.percentile(v, 99)) for v in values)
    return 0.0, float(format_number(top if top > 0 else 1.0, 2))


def _histograms(run: Run) -> tuple[list[list[float]], list[list[list[float]]]]:
    """Per hidden layer its range, and per snapshot per layer the fraction in each bin."""
    layers = len(run.config["hidden"])
    ranges = [_hist_range(run.config["activation"], [s.activations[i] for s in run.snapshots])
              for i in range(layers)]
    hists = []
    for snap in run.snapshots:
        per_layer = []
        for (lo, hi), a in zip(ranges, snap.activations):
            counts, _ = np.histogram(np.clip(a, lo, hi), bins=HIST_BINS, range=(lo, hi))
            per_layer.append([round(float(c) / a.size, 4) for c in counts])
        hists.append(per_layer)
    return [list(r) for r in ranges], hists


def _examples(run: Run, count: int) -> list[int]:
    """Indices of `count` training points to follow, spread over the classes."""
    per_class = [np.flatnonzero(run.t_train == c) for c in range(run.classes)]
    chosen: list[int] = []
    k = 0
    while len(chosen) < min(count, len(run.t_train)):
        for idx in per_class:
            if k < len(idx) and len(chosen) < count:
                chosen.append(int(idx[k]))
        k += 1
    return chosen


def _example_graph(net: Any, x: np.ndarray, t: int) -> tuple[Any, int]:
    """One example's loss, recorded and backpropagated: its graph's layout, predicted class."""
    loss = net.loss(Node(x[None, :], name="x", requires_grad=False), np.array([t]))
    net.zero_grad()  # the same net serves every example of a snapshot
    loss.backward()
    scores = loss.inputs[0].value
    return build_layout(loss, group=True, precision=PRECISION), int(np.argmax(scores))


class _Strings:
    """A string table: each distinct label is stored once and referred to by its index."""

    def __init__(self) -> None:
        self.items: list[str] = []
        self._index: dict[str, int] = {}

    def __call__(self, text: str) -> int:
        if text not in self._index:
            self._index[text] = len(self.items)
            self.items.append(text)
        return self._index[text]


def _example_data(run: Run, examples: list[int]) -> tuple[str, dict[str, Any]]:
    """The example graph's SVG (drawn once) and its labels at every snapshot, for each example."""
    strings = _Strings()
    labels: list[list[list[int]]] = []
    preds: list[list[int]] = []
    first = None
    for snap in run.snapshots:
        net = run.network(snap)
        per_example = []
        preds.append([])
        for i in examples:
            layout, pred = _example_graph(net, run.x_train[i], int(run.t_train[i]))
            preds[-1].append(pred)
            shape = [(n.kind, n.label) for n in layout.nodes]
            if first is None:
                first, first_shape = layout, shape
            elif shape != first_shape:  # pragma: no cover - the net's graph never changes shape
                raise RuntimeError("viz.watch: the example's graph changed shape between steps")
            per_example.append([strings(text) for e in layout.edges for text in (e.value, e.grad)])
        labels.append(per_example)
    assert first is not None
    svg = dot_to_svg(layout_to_dot(first), inline=True)
    return svg, {"edges": [e.id for e in first.edges], "strings": strings.items,
                 "labels": labels, "pred": preds}


def _digits(a: np.ndarray) -> str:
    return "".join(map(str, a.ravel().tolist()))


def _confidence_digits(conf: np.ndarray, classes: int) -> str:
    """The winner's probability as one digit per cell: 0 (a tie of all classes) to 9 (sure)."""
    floor = 1.0 / classes
    levels = np.clip(np.round((conf - floor) / (1.0 - floor) * 9), 0, 9).astype(np.int64)
    return _digits(levels)


def watch_data(run: Run, examples: int = 15) -> tuple[dict[str, Any], str]:
    """The page's JSON data and the example graph's SVG, from a recorded run."""
    cfg = run.config
    ranges, hists = _histograms(run)
    follow = _examples(run, examples)
    svg, example = _example_data(run, follow)
    r4 = lambda v: round(float(v), 4)  # noqa: E731 - four decimals keep the page small
    snaps = []
    for snap, hist in zip(run.snapshots, hists):
        snaps.append({
            "step": snap.step,
            "train_loss": r4(snap.train_loss), "test_loss": r4(snap.test_loss),
            "train_acc": r4(snap.train_acc), "test_acc": r4(snap.test_acc),
            "grad_norms": [float(format_number(g, 4)) for g in snap.grad_norms],
            "hist": hist,
            "regions": _digits(snap.regions),
            "confidence": _confidence_digits(snap.confidence, run.classes),
        })
    points = [[r4(x), r4(y), int(c)] for (x, y), c in zip(run.x_train, run.t_train)]
    test_points = [[r4(x), r4(y), int(c)] for (x, y), c in zip(run.x_test, run.t_test)]
    data = {
        "format": "graphgrad-watch/1",
        "config": {k: v for k, v in cfg.items()},
        "classes": run.classes,
        "bounds": list(run.bounds),
        "grid": cfg["grid"],
        "points": points,
        "test_points": test_points,
        "batch_losses": [r4(v) for v in run.batch_losses],
        "snapshots": snaps,
        "layers": [f"W{i}" for i in range(1, len(cfg["hidden"]) + 2)],
        "hidden_names": [f"{cfg['activation']}{i}" for i in range(1, len(cfg["hidden"]) + 1)],
        "hist_ranges": ranges,
        "examples": follow,
        "example": example,
        # formatted here, so page and command round alike (JS's toFixed rounds ties up)
        "final": {"train_acc": f"{run.final.train_acc:.2f}",
                  "test_acc": f"{run.final.test_acc:.2f}"},
    }
    return data, svg


def summary_line(run: Run, lang: str = "en") -> str:
    """"train accuracy 0.97 · test accuracy 0.93" (in `lang`), as the page and command say it."""
    return message("watch.summary", lang, train=f"{run.final.train_acc:.2f}",
                   test=f"{run.final.test_acc:.2f}")


def _page(data: dict[str, Any], svg: str, lang: str | None) -> str:
    script = _asset("watch.js")
    style = _asset("watch.css")
    # the templates themselves ("step {step} / {steps}"): the script fills in the fields
    data = dict(data, messages=messages_for(("watch.",)), lang=lang)
    shown = lang or "en"
    head = html.escape(message("watch.title", shown))
    cfg = data["config"]
    net = " × ".join(["2", *map(str, cfg["hidden"]), str(data["classes"])])
    setup = (f"{cfg['data']} · {net} · {cfg['activation']} · init {cfg['init']} · "
             f"{cfg['optimizer']} lr {cfg['lr']:g} · {cfg['steps']} steps")
    summary = html.escape(message("watch.summary", shown, train=data["final"]["train_acc"],
                                  test=data["final"]["test_acc"]))
    page_lang = "zh-CN" if shown == "zh" else "en"
    return page_head(message("watch.title", shown), script, style, "viz.watch",
                     page_lang) + f"""<header class="gg-header">
<h1 data-msg="watch.title">{head}</h1>
<p class="gg-setup">{html.escape(setup)}</p>
<p id="gg-summary" class="gg-summary">{summary}</p>
<span class="gg-lang" role="group" data-msg-label="watch.lang">
<button type="button" data-lang="zh" aria-pressed="false">中文</button>
<button type="button" data-lang="en" aria-pressed="false">English</button>
</span>
</header>
<div class="gg-toolbar" role="toolbar">
<button type="button" id="gg-play" data-msg="watch.play">Play</button>
<input type="range" id="gg-scrubber" min="0" max="{len(data['snapshots']) - 1}" value="0"
 step="1" aria-label="step">
<span id="gg-step" class="gg-counter"></span>
</div>
<div class="gg-grid">
<section class="gg-card">
<h2 data-msg="watch.boundary"></h2>
<canvas id="gg-boundary" width="360" height="360"></canvas>
<p class="gg-hint" data-msg="watch.boundary_hint"></p>
</section>
<section class="gg-card">
<h2 data-msg="watch.curves"></h2>
<svg id="gg-curves" viewBox="0 0 420 330" role="img"></svg>
</section>
<section class="gg-card">
<h2 data-msg="watch.grad_norms"></h2>
<svg id="gg-grads" viewBox="0 0 420 200" role="img"></svg>
<h2 data-msg="watch.histograms"></h2>
<div id="gg-hists"></div>
</section>
</div>
<section class="gg-card gg-wide">
<h2 data-msg="watch.example"></h2>
<p id="gg-example-caption" class="gg-caption"></p>
<div id="gg-example" class="gg-graph">
{svg}</div>
</section>
<script type="application/json" id="gg-data">{_json_for_script(data)}</script>
<script>{script}</script>
</body>
</html>
"""


class WatchPage:
    """A recorded run and its page; in Jupyter it shows inline (an iframe of the page).

    Attributes:
        run: the :class:`nn.playground.Run` (snapshots, losses, parameters).
        html: the page's HTML text.
    """

    def __init__(self, run: Run, page: str) -> None:
        self.run = run
        self.html = page

    @property
    def train_accuracy(self) -> float:
        """Training accuracy at the last step."""
        return self.run.final.train_acc

    def save(self, path: str | Path) -> Path:
        """Write the page to `path`; returns the path."""
        return write_bytes(path, self.html.encode("utf-8"))

    def _repr_html_(self) -> str:
        return (f'<iframe srcdoc="{html.escape(self.html, quote=True)}" sandbox="allow-scripts" '
                'title="graphgrad watch" style="width:100%;height:1100px;'
                'border:1px solid #d1d5db;border-radius:4px"></iframe>')

    def __repr__(self) -> str:
        return (f"<viz.WatchPage: {len(self.run.snapshots)} snapshots, "
                f"{summary_line(self.run)}, {len(self.html) / 1024:.0f} kB>")


def watch(data: str | Run = "spiral", path: str | Path | None = None, *,
          hidden: Sequence[int] = (10, 10), activation: str = "relu",
          init: str | float = "he", optimizer: str = "sgd", lr: float | None = None,
          steps: int = 2000, batch_size: int | None = None, snapshots: int = 40,
          seed: int = 0, examples: int = 15, lang: str | None = None) -> WatchPage:
    """Train a small network on a 2-D data set and build the page that replays it.

    Args:
        data: "spiral", "moons" or "circles", or a :class:`nn.playground.Run` already
            recorded (then the training options are not used).
        path: where to write the page (``None``: only return it).
        hidden, activation, init, optimizer, lr, steps, batch_size, snapshots, seed: the run's
            settings, as in :func:`nn.playground.record`.
        examples: how many training points carry their own graph (click one on the page).
        lang: "en" or "zh" for the page's text; ``None`` follows the browser's language.

    Returns:
        A :class:`WatchPage` (``.run``, ``.html``, ``.save(path)``; shows inline in Jupyter).
    """
    if lang is not None:
        check_lang(lang)
    if isinstance(examples, bool) or not isinstance(examples, int) or examples < 1:
        raise ValueError(f"viz.watch: examples must be a whole number ≥ 1, got {examples!r}")
    if isinstance(data, Run):
        run = data
    else:
        run = record(data, hidden=hidden, activation=activation, init=init,
                     optimizer=optimizer, lr=lr, steps=steps, batch_size=batch_size,
                     snapshots=snapshots, seed=seed)
    page_data, svg = watch_data(run, examples)
    page = WatchPage(run, _page(page_data, svg, lang))
    if path is not None:
        page.save(path)
    return page
