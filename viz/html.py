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

Every word of the page is in English and Chinese, from :mod:`viz.messages`: the texts of the
page's opening language sit in the data as they are, the other language's beside them under
``i18n``, and the page's own labels ship as the catalogue's entries. A 中文 / English switch
changes the words and leaves the numbers and the current step alone. The opening language is
``lang=``, else the browser's preferred one.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import html
import inspect
import json
from collections.abc import Callable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from autograd.files import write_bytes

from .backends import dot_to_svg
from .dot import GRAD_COLOR, layout_to_dot
from .labels import _plain, display_name, format_number, shape_text
from .layout import GraphLayout, op_symbol, words_in
from .messages import LANGS, message, messages_for, op_description, op_term
from .options import Options
from .quiz import page_data as quiz_page_data
from .text import Names, local_derivatives, plain_doc
from .trace import Replay, replay

__all__ = ["Explorer", "explore", "to_html"]

#: How many numbers of an array the side panel lists before "…".
PANEL_VALUES = 6
#: Significant digits in the side panel (edges keep ``precision``): enough to see that
#: 2.2 is 2.2, not so many that float noise (2.2000000000000006) shows.
PANEL_PRECISION = 8

# JSON inside <script> must not contain "</script>" or "<!--"; escaping <, > and & makes any
# string inert. U+2028/U+2029 are escaped too: old JavaScript parsers read them as newlines.
_JSON_ESCAPES = str.maketrans(
    {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029",
     # lone surrogates cannot be written as UTF-8; JSON can spell them as escapes
     **{chr(c): f"\\u{c:04x}" for c in range(0xD800, 0xE000)}}
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
        out["values"] = message("panel.empty")
        out["empty"] = True  # the script words it in the page's language
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


def _texts(make: Callable[[str], dict[str, Any]], lang: str) -> dict[str, Any]:
    """The texts ``make(lang)`` for the page's language, and under ``i18n`` those of every
    other language that differ (a name or a number is the same in both: it is stored once)."""
    own = make(lang)
    i18n = {}
    for other in LANGS:
        if other != lang:
            diff = {k: v for k, v in make(other).items() if v != own.get(k)}
            if diff:
                i18n[other] = diff
    return {**own, "i18n": i18n} if i18n else own


def _backward_json(rp: Replay) -> list[dict[str, Any] | str]:
    """Per backward step: the caption, what to highlight, and the arrow labels that change.

    A step with nothing drawn (inside the folded part) is just its op symbol: the script
    writes its one-line caption from ``caption.folded_backward``, so the page grows with the
    drawn nodes, not with the folded ones.
    """
    captions = {lang: rp.backward_captions(lang, hidden=False) for lang in LANGS}
    return [
        op_symbol(s.step.node.op) if s.hidden else
        {
            "unit": s.unit,
            **_texts(lambda lang, i=i: {"lines": list(captions[lang][i])}, rp.names.lang),
            "up": list(s.up),
            "set": [[u.edge, u.grad, u.before] for u in s.updates],
            "contrib": list(s.contrib),
            "sums": list(s.sums),
        }
        for i, s in enumerate(rp.steps)
    ]


def _forward_json(rp: Replay) -> tuple[list[dict[str, Any] | str], dict[int, int]]:
    """Per forward step (one per op node, inputs before outputs): what is computed and shown."""
    leaving: dict[int, list[str]] = {}
    for e in rp.layout.edges:
        leaving.setdefault(e.tail_node, []).append(e.id)
    computed_at: dict[int, int] = {n.id: 0 for n in rp.order if n.op is None}
    captions = {lang: [lines for _, lines in rp.forward_lines(lang, hidden=False)]
                for lang in LANGS}
    steps = []
    for j, node in enumerate((n for n in rp.order if n.op is not None), start=1):
        computed_at[node.id] = j
        unit, show = rp.layout.units[node.id], leaving.get(node.id, [])
        steps.append(op_symbol(node.op) if unit == "folded" and not show else
                     {"unit": unit,
                      **_texts(lambda lang, j=j: {"lines": captions[lang][j - 1]},
                               rp.names.lang),
                      "show": show})
    return steps, computed_at


def _op_texts(op: Any, lang: str) -> dict[str, str]:
    """An op's name and description in `lang`: in English its own name and docstring, in
    Chinese the book's term (乘法节点) and the catalogue's description."""
    doc = plain_doc(_op_doc(op)) or op_description(op, "en")
    if lang == "en":
        return {"op": str(getattr(op, "name", op_symbol(op))), "doc": doc}
    return {"op": op_term(op, lang), "doc": op_description(op, lang, fallback=doc)}


def _layouts(rp: Replay) -> dict[str, GraphLayout]:
    """The drawing plan's words in every language (the same plan, ids and all: only the
    words of the output marker, the folded box, scopes and the note differ)."""
    base = rp.options.lang
    return {code: rp.layout if code == base else
            words_in(rp.layout, rp.root, rp.order, dataclasses.replace(rp.options, lang=code))
            for code in LANGS}


def _node_info(rp: Replay, computed_at: Mapping[int, int],
               layouts: Mapping[str, GraphLayout]) -> dict[str, dict[str, Any]]:
    """What the side panel shows for each drawn element, keyed by its SVG id."""
    precision = rp.options.precision
    layout, names, lang = rp.layout, rp.names, rp.names.lang
    names_in: dict[str, Names] = {code: rp.names_in(code) for code in LANGS}

    def history(node_id: int) -> list[list[Any]]:
        """The gradients a drawn node received, by step (the folded ones are never shown)."""
        return [[k, _summary(g, precision)] for k, g in rp.history.get(node_id, [])]

    step_of = {s.step.node.id: s.step for s in rp.steps}
    info: dict[str, dict[str, Any]] = {}
    for node in rp.order:
        unit = layout.units[node.id]
        if not layout.is_single(unit):
            continue
        op = node.op
        entry: dict[str, Any] = {
            "value": _summary(node.value, precision),
            "grad": history(node.id),
            "requires_grad": bool(node.requires_grad),
            "computed_at": computed_at.get(node.id, 0),
            "scope": display_name(node.scope),
        }
        if op is None:
            entry["kind"] = "parameter" if node.requires_grad else "input / constant"
            entry.update(_texts(lambda code, node=node: {"title": names_in[code][node]}, lang))
        else:
            step = step_of.get(node.id)
            local = local_derivatives(step, names) if step is not None else []
            entry.update(
                kind="operation",
                symbol=op_symbol(op),
                formula=str(getattr(op, "formula", "")),
                derivative="\n".join(local) or str(getattr(op, "derivative", "")),
            )
            entry.update(_texts(lambda code, node=node: {
                "title": names_in[code][node],
                **_op_texts(node.op, code),
                "inputs": [names_in[code][x] for x in node.inputs],
            }, lang))
        info[unit] = entry
    root = rp.root
    drawn = {code: {n.id: n for n in layouts[code].nodes} for code in LANGS}
    for n in layout.nodes:
        if n.id not in info and n.node_id is not None:  # a shared leaf drawn once per use
            info[n.id] = info[layout.units[n.node_id]]
        elif n.kind in ("scope", "folded"):
            info[n.id] = {"kind": n.kind, **_texts(lambda code, i=n.id: {
                "title": drawn[code][i].label, "detail": drawn[code][i].detail,
                "doc": drawn[code][i].tooltip}, lang)}
        elif n.kind == "output":
            info[n.id] = {
                **_texts(lambda code: {"title": drawn[code]["output"].label,
                                       "doc": message("panel.output_doc", code)}, lang),
                "kind": "output",
                "value": _summary(root.value, precision),
                "grad": history(root.id)[:1],
                "requires_grad": True,
                "computed_at": computed_at.get(root.id, 0),
            }
    return info


def _svg_words(layouts: Mapping[str, GraphLayout]) -> dict[str, dict[str, list[str]]]:
    """The words drawn inside the picture that the switch rewrites: per element id and
    language, its lines of text (label, then detail): the unnamed output marker, the folded
    box and collapsed scopes. A name the user gave is the same in both and left out."""
    words: dict[str, dict[str, list[str]]] = {}
    for code, layout in layouts.items():
        for n in layout.nodes:
            if n.kind in ("output", "folded", "scope"):
                words.setdefault(n.id, {})[code] = [t for t in (n.label, n.detail) if t]
    return {i: w for i, w in words.items() if len({tuple(t) for t in w.values()}) > 1}


#: The catalogue entries the page's script words itself with: the toolbar, the panel, the
#: captions of step 0 and of the folded steps.
PAGE_MESSAGES = ("explorer.", "panel.", "caption.backward_start", "caption.backward_none",
                 "caption.forward_start", "caption.folded_")


def _page_parts(rp: Replay, title: str | None, lang: str | None = None
                ) -> tuple[dict[str, Any], str]:
    """The page's JSON data and its SVG picture.

    `lang` is the language the page opens in (None: the browser's); the texts are in all.
    """
    fsteps, computed_at = _forward_json(rp)
    base = rp.layout
    # The picture is the last step: every gradient present, so the layout has room for it;
    # the script hides what has not been computed yet. The note goes above the picture.
    picture = dataclasses.replace(
        base,
        edges=[dataclasses.replace(e, grad=rp.final.get(e.id, "")) for e in base.edges],
        note="",
    )
    svg = dot_to_svg(layout_to_dot(picture), inline=True)
    layouts = _layouts(rp)
    data = {
        "format": "graphgrad-explorer/1",
        "lang": lang,
        **_texts(lambda code: {
            "title": title or message("explorer.title", code, name=rp.names_in(code)[rp.root]),
            "note": layouts[code].note}, rp.names.lang),
        "messages": messages_for(PAGE_MESSAGES),
        "svg_text": _svg_words(layouts),
        "grad_color": GRAD_COLOR,
        "forward": {"steps": fsteps},
        "backward": {"steps": _backward_json(rp), "edges": sorted(rp.final)},
        "nodes": _node_info(rp, computed_at, layouts),
        "layout": {k: v for k, v in picture.to_dict().items() if k != "units"},
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


def page_head(title: str, script: str, style: str, generator: str, lang: str = "en") -> str:
    """The start of a self-contained page, up to ``<body>``: its policy, title and style.

    `title` is escaped here; `script` is the page's one script, allowed by its hash.
    """
    return f"""<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{html.escape(_csp(script))}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="graphgrad {generator}">
<title>{html.escape(title)}</title>
<style>
{style}</style>
</head>
<body>
"""


def _page(data: dict[str, Any], svg: str) -> str:
    script = _asset("explorer.js")
    style = _asset("explorer.css")
    if "quiz" in data:  # one script, so the Content-Security-Policy hash covers both
        script += _asset("quiz.js")
        style += _asset("quiz.css")
    # What shows before the script runs; the script then words everything in the page's
    # language (lang=, else the browser's) through the data-msg* attributes.
    lang = data["lang"] or "en"

    def m(key: str) -> str:
        return html.escape(message(key, lang))

    def button(bid: str, key: str, title_key: str) -> str:
        return (f'<button type="button" id="{bid}" data-msg="{key}" data-msg-title="{title_key}"'
                f' title="{m(title_key)}">{m(key)}</button>')

    def pressed(code: str) -> str:
        return "true" if data["lang"] == code else "false"

    title = html.escape(data["title"])
    note = html.escape(data["note"])
    return page_head(data["title"], script, style, "viz.to_html",
                     "zh-CN" if lang == "zh" else "en") + f"""<header class="gg-header">
<span class="gg-lang" role="group" aria-label="{m("explorer.language")}"
 data-msg-label="explorer.language">
<button type="button" id="gg-lang-zh" data-lang="zh" lang="zh-CN" aria-pressed="{pressed("zh")}"
>中文</button>
<button type="button" id="gg-lang-en" data-lang="en" lang="en" aria-pressed="{pressed("en")}"
>English</button>
</span>
<h1 id="gg-title">{title}</h1>
<p id="gg-note" class="gg-note"{"" if note else " hidden"}>{note}</p>
</header>
<div class="gg-toolbar" role="toolbar" aria-label="{m("explorer.toolbar")}"
 data-msg-label="explorer.toolbar">
<span class="gg-modes" role="group" aria-label="{m("explorer.which_pass")}"
 data-msg-label="explorer.which_pass">
<button type="button" id="gg-mode-forward" aria-pressed="false" data-msg="explorer.forward"
>{m("explorer.forward")}</button>
<button type="button" id="gg-mode-backward" aria-pressed="true" data-msg="explorer.backward"
>{m("explorer.backward")}</button>
</span>
{button("gg-first", "explorer.first", "explorer.first_title")}
{button("gg-prev", "explorer.prev", "explorer.prev_title")}
{button("gg-next", "explorer.next", "explorer.next_title")}
{button("gg-last", "explorer.last", "explorer.last_title")}
<input type="range" id="gg-slider" min="0" max="0" value="0" step="1"
 aria-label="{m("explorer.slider")}" data-msg-label="explorer.slider">
<span id="gg-counter" class="gg-counter"></span>
<span class="gg-zoom" role="group" aria-label="{m("explorer.zoom")}"
 data-msg-label="explorer.zoom">
<button type="button" id="gg-zoom-out" title="{m("explorer.zoom_out_title")}"
 data-msg-title="explorer.zoom_out_title">−</button>
<button type="button" id="gg-zoom-in" title="{m("explorer.zoom_in_title")}"
 data-msg-title="explorer.zoom_in_title">+</button>
{button("gg-fit", "explorer.fit", "explorer.fit_title")}
</span>
</div>
<section id="gg-caption" class="gg-caption" aria-live="polite"></section>
<div class="gg-main">
<div id="gg-graph" class="gg-graph">
{svg}</div>
<aside id="gg-panel" class="gg-panel" aria-live="polite">
<p class="gg-hint" data-msg="explorer.hint">{m("explorer.hint")}</p>
</aside>
</div>
<footer class="gg-legend"><span data-msg="explorer.legend">{m("explorer.legend")}</span>
<span data-msg="explorer.legend_zoom">{m("explorer.legend_zoom")}</span></footer>
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
    quiz: bool = False,
    lang: str | None = None,
    **options: Any,
) -> str | Path:
    """A self-contained HTML page that steps through the backward pass of ``root``'s graph.

    Args:
        root: the output Node. ``backward()`` need not have run: the steps come from
            :func:`autograd.backward_trace`, which leaves every ``.grad`` untouched.
        path: where to write the page (folders are created); ``None`` returns the HTML text.
        grad: seed gradient, as in ``root.backward(grad)`` (needed for a non-scalar root).
        title: the page's title (default: "graphgrad explorer: " and the output's name).
        quiz: quiz mode (:mod:`viz.quiz`): the gradients start hidden and at each backward
            step the learner types the gradient sent to each input of the active node; a
            wrong answer gets a hint, a right one reveals the arrow's gradient; a score at
            the end.
        lang: the language the page opens in, ``"en"`` or ``"zh"`` (the book's Chinese
            terms); ``None`` (default): the browser's preferred language. The page holds its
            words in both, and its 中文 / English switch changes them without changing the
            numbers or the step.
        options: those of :class:`viz.Options` (``precision``, ``params``, ``group``,
            ``collapse_scopes``, ``max_nodes``, ``rankdir``); big graphs are folded to
            ``max_nodes`` nodes.

    Returns:
        The HTML text when ``path`` is None, else the path written.

    Needs a Graphviz renderer for the layout (see :func:`viz.backend`).
    """
    if lang is not None:
        options["lang"] = lang  # checked with the other options; the picture's words too
    opts = Options.of("viz.to_html", options)
    rp = replay(root, grad, opts, "viz.to_html")
    data, svg = _page_parts(rp, title, lang)
    if quiz:
        data["quiz"] = quiz_page_data(rp, grad, opts.lang)
    page = _page(data, svg)
    if path is None:
        return page
    return write_bytes(path, page.encode("utf-8"))


class Explorer:
    """The explorer page for one graph; in Jupyter it shows inline (an iframe of the page).

    Attributes:
        html: the page's HTML text (the same as ``viz.to_html(root)``).
    """

    def __init__(self, page: str) -> None:
        self.html = page

    def save(self, path: str | Path) -> Path:
        """Write the page to ``path`` (an ``.html`` file); returns the path."""
        return write_bytes(path, self.html.encode("utf-8"))

    def _repr_html_(self) -> str:
        # srcdoc keeps the page self-contained; the sandbox lets our script run but gives it
        # no access to the notebook around it.
        # The page fits the picture into whatever height it gets (and zooms and pans), so a
        # fixed height that shows the controls, the caption and a useful picture will do.
        height = 640
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
