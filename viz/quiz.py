"""Predict-the-gradient questions: what the quiz page and ``graphgrad.exercises`` ask and hint.

At each backward step of ``autograd.backward_trace`` the learner predicts the gradient that
flows to each input of the active node. :func:`questions` turns a graph into those questions,
each with its expected answer and two hints, so the HTML quiz (``viz.to_html(root, quiz=True)``)
and the notebook checker (``graphgrad.exercises.check``) say exactly the same things:

1. after a first wrong answer, the local derivative's formula
   (``× node: gradient to apple = upstream × ∂y/∂apple, and ∂y/∂apple = apple_num``);
2. after a second, the same with the numbers filled in (``1.1 × 2``), the result left to do.

Answers are compared with a relative tolerance (:data:`RTOL`), element by element for arrays.
An array with more than :data:`MAX_TYPED` elements is asked about one marked element.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

import autograd

from .labels import format_number, format_value
from .layout import node_label, param_names
from .messages import LANGS, MESSAGES, message

__all__ = ["MAX_TYPED", "RTOL", "Question", "is_right", "page_data", "parse_answer",
           "questions", "quiz_text"]

#: Relative tolerance of a right answer: a learner works from the 4 digits the picture shows.
RTOL = 0.005
#: Absolute tolerance, for answers whose expected value is 0.
ATOL = 1e-6
#: Arrays up to this many elements are typed in full; bigger ones are asked one element.
MAX_TYPED = 6

def quiz_text(key: str, lang: str = "en", **fields: Any) -> str:
    """One sentence of the quiz in `lang`: the catalogue's ``quiz.<key>``."""
    return message(f"quiz.{key}", lang, **fields)


# Local derivatives of the elementwise ops, one per input; {0}, {1} are the inputs, y the
# output, {c} a constant exponent. The hint is "upstream × this".
_LOCAL: dict[str, tuple[str, ...]] = {
    "add": ("1", "1"),
    "sub": ("1", "−1"),
    "mul": ("{1}", "{0}"),
    "div": ("1/{1}", "−{0}/{1}²"),
    "pow": ("{1}·{0}^({1}−1)", "y·ln {0}"),
    "pow_const": ("{c}·{0}^({c}−1)",),
    "neg": ("−1",),
    "exp": ("y",),
    "log": ("1/{0}",),
    "sqrt": ("1/(2·y)",),
    "tanh": ("1 − y²",),
    "sigmoid": ("y·(1 − y)",),
    "relu": ("(1 if {0} > 0 else 0)",),
}
# Whole gradient formulas of the array ops (G: upstream gradient).
_FORMULA: dict[str, tuple[str, ...]] = {
    "affine": ("G · {1}ᵀ", "{0}ᵀ · G", "Σ over the rows of G"),
    "matmul": ("G @ {1}ᵀ", "{0}ᵀ @ G"),
    "cross_entropy": ("(softmax({0}) − t) / N × G",),
    "sum": ("G copied to every element",),
    "mean": ("G / n copied to every element",),
}


@dataclasses.dataclass(frozen=True)
class Question:
    """One answer the learner types: the gradient step `step` sends to input `slot`.

    ``expected`` is a float, or an array when ``element`` is None and the input is an array;
    with ``element`` set, only that element of the input's gradient is asked.
    """

    step: int
    slot: int
    who: str
    node: Any
    head: Any
    expected: Any
    element: tuple[int, ...] | None
    hint: str
    hint_numbers: str
    gradient: Any  # the whole gradient sent to the input (== expected unless element is set)

    @property
    def shape(self) -> tuple[int, ...]:
        """Shape of what is typed: ``()`` for a number or a marked element."""
        return () if self.element is not None else tuple(np.shape(self.expected))


def _wrap(name: str) -> str:
    """A name inside a formula: in parentheses when it is an expression (``(a × b)``)."""
    if not re.search(r"\s", name):
        return name
    depth = 0
    for i, ch in enumerate(name):  # already one parenthesised whole?
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth == 0 and i < len(name) - 1:
            break
    else:
        if name.startswith("("):
            return name
    return f"({name})"


def _fill(template: str, names: list[str], y: str, c: str = "c") -> str:
    """Put the inputs' names (or numbers), the output and a constant into a formula."""
    if re.fullmatch(r"\{\d\}", template):  # just the other input: no parentheses needed
        return names[int(template[1])]
    text = template.replace("{c}", c)
    for i, name in enumerate(names):
        text = text.replace("({" + str(i) + "})", f"({name})").replace("{" + str(i) + "}",
                                                                          _wrap(name))
    return re.sub(r"(?<![A-Za-z_])y(?![A-Za-z_])", y, text) if y != "y" else text


def _hints(step: autograd.Step, slot: int, label: Callable[[Any], str], precision: int,
           lang: str) -> tuple[str, str]:
    """(formula hint, numbers hint) for what `step` sends to input `slot`."""
    node = step.node
    op = node.op
    symbol = getattr(op, "symbol", None) or getattr(op, "name", "op")
    name = getattr(op, "name", "")
    inputs = node.inputs
    who = label(inputs[slot])
    names = [label(x) for x in inputs]

    def fmt(v: Any) -> str:
        return format_value(v, precision)

    const = ""
    if name == "pow_const":
        const = fmt(node.ctx[0])
        symbol = f"**{const}"  # the book draws the node of t² as **2
    scalar = all(np.size(x.value) == 1 for x in (*inputs, node))
    if name in _LOCAL and slot < len(_LOCAL[name]):
        template = _LOCAL[name][slot]
        local = _fill(template, names, "y", const or "c")
        key = "hint.local" if scalar else "hint.local_array"
        hint = quiz_text(key, lang, symbol=symbol, who=who, local=local)
        local_numbers = _fill(template, [fmt(x.value) for x in inputs],
                              _wrap(fmt(node.value)), const or "c")
        if scalar:
            calc = f"{fmt(step.upstream)} × {local_numbers}"
        else:
            values = [f"G = {fmt(step.upstream)}"] + [
                f"{label(x)} = {fmt(x.value)}" for x in inputs if label(x) in local] + (
                [f"y = {fmt(node.value)}"] if "y" in re.findall(r"[A-Za-z_]+", local) else [])
            calc = quiz_text("hint.where", lang, formula=f"G ⊙ {local}",
                             values=", ".join(values))
        return hint, quiz_text("hint.numbers", lang, calc=calc)
    if name in _FORMULA and slot < len(_FORMULA[name]):
        formula = _fill(_FORMULA[name][slot], names, "y")
        values = [f"G = {fmt(step.upstream)}"]
        if name == "cross_entropy":
            probs, t = node.ctx
            n = probs.shape[0]
            onehot = t if np.ndim(t) == 2 else np.eye(probs.shape[1])[t]
            values += [f"softmax({label(inputs[0])}) = {fmt(probs)}", f"t = {fmt(onehot)}",
                       f"N = {n}"]
        else:
            values += [f"{label(x)} = {fmt(x.value)}" for i, x in enumerate(inputs)
                       if "{" + str(i) + "}" in _FORMULA[name][slot]]
        hint = quiz_text("hint.formula", lang, symbol=symbol, who=who, formula=formula)
        calc = quiz_text("hint.where", lang, formula=formula, values=", ".join(values))
        return hint, quiz_text("hint.numbers", lang, calc=calc)
    # Any other op: its own derivative text, and the upstream gradient as the number.
    formula = getattr(op, "derivative", "") or "?"
    hint = quiz_text("hint.formula", lang, symbol=symbol, who=who, formula=formula)
    calc = quiz_text("hint.where", lang, formula=formula,
                     values=f"G = {fmt(step.upstream)}")
    return hint, quiz_text("hint.numbers", lang, calc=calc)


def _marked(expected: Any) -> tuple[int, ...] | None:
    """The element asked about in an array too big to type: the largest in size."""
    arr = np.asarray(expected)
    if arr.size <= MAX_TYPED:
        return None
    return tuple(int(i) for i in np.unravel_index(int(np.argmax(np.abs(arr))), arr.shape))


def questions(root: Any, grad: Any = None, *, params: Mapping[str, Any] | None = None,
              label: Callable[[Any], str] | None = None, precision: int = 4,
              lang: str = "en") -> list[Question]:
    """The questions of a quiz on the backward pass from `root`, in the engine's step order.

    One per input of each op node that receives a gradient (inputs with
    ``requires_grad=False`` are not asked). ``label`` names a node as the page shows it
    (default: its name, else what :func:`viz.layout.node_label` calls it).
    """
    names = param_names(params)
    if label is None:
        def label(x: Any) -> str:
            return node_label(x, names, precision)
    out = []
    for k, step in enumerate(autograd.backward_trace(root, grad), start=1):
        for slot, (x, c) in enumerate(zip(step.node.inputs, step.contributions)):
            if c is None:
                continue
            element = _marked(c)
            expected = float(np.asarray(c)[element]) if element is not None else (
                float(c) if np.ndim(c) == 0 else np.asarray(c, dtype=float))
            hint, numbers = _hints(step, slot, label, precision, lang)
            out.append(Question(k, slot, label(x), x, step.node, expected, element, hint,
                                numbers, c))
    return out


_NUMBER = re.compile(r"[-+−]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def parse_answer(text: str) -> list[float]:
    """The numbers in what a learner typed: ``"2.2"``, ``"[1, -2; 3 4]"``, ``"−0.5"``."""
    return [float(m.replace("−", "-")) for m in _NUMBER.findall(str(text))]


def is_right(answer: Any, expected: Any, rtol: float = RTOL, atol: float = ATOL) -> bool:
    """Whether `answer` (numbers or typed text) matches `expected` element by element."""
    got = np.asarray(parse_answer(answer) if isinstance(answer, str) else answer, dtype=float)
    want = np.asarray(expected, dtype=float)
    if got.size != want.size:
        return False
    got, want = got.ravel(), want.ravel()
    return bool(np.all(np.abs(got - want) <= rtol * np.abs(want) + atol)) and not any(
        math.isnan(v) for v in got)


def _answer_text(value: Any, precision: int) -> str:
    """A gradient as the learner would type it: ``2.2`` or ``[[1, 2], [3, 4]]``."""
    arr = np.asarray(value, dtype=float)
    if arr.ndim == 0:
        return format_number(float(arr), precision)
    return str(np.vectorize(lambda v: format_number(v, precision), otypes=[object])(arr)
               .tolist()).replace("'", "")


def page_data(rp: Any, grad: Any = None, lang: str = "en") -> dict[str, Any]:
    """What the explorer's quiz mode needs (``data.quiz`` of the page), from a trace replay.

    `rp` is the page's :class:`viz.trace.Replay`: the questions name nodes as the page does
    and each points to the arrow its gradient is drawn on, with the text drawn there.
    """
    precision = rp.options.precision
    names = rp.names
    edge_of = {(e.tail_node, e.head_node, e.slot): e.id for e in rp.layout.edges
               if getattr(e, "kind", "plain") != "merged"}
    asked = {code: questions(rp.root, grad, label=lambda x: names[x], precision=precision,
                             lang=code) for code in LANGS}
    steps: list[list[dict[str, Any]]] = [[] for _ in rp.steps]
    out = names[rp.root] if grad is None else "L"
    for i, q in enumerate(asked["en"]):
        shown = {u.edge: u.grad for u in rp.steps[q.step - 1].updates}
        eid = edge_of.get((q.node.id, q.head.id, q.slot))
        value = q.expected
        if q.element is not None:
            index = "[" + ", ".join(map(str, q.element)) + "]"
            detail = {code: quiz_text("ask.element", code, index=index) for code in LANGS}
        elif np.ndim(value):
            detail = {code: f"{np.shape(value)}: " + quiz_text("ask.matrix", code,
                                                               n=np.size(value))
                      for code in LANGS}
        else:
            detail = None
        steps[q.step - 1].append({
            "node": q.who,
            "label": f"∂{out}/∂{_wrap(q.who)}",
            "edge": eid if eid in shown else None,  # None: inside a collapsed box
            "grad": shown.get(eid, ""),
            "expected": [float(v) for v in np.ravel(value)],
            "answer": _answer_text(value, precision),
            "detail": detail,
            "hint": {code: asked[code][i].hint for code in LANGS},
            "numbers": {code: asked[code][i].hint_numbers for code in LANGS},
        })
    page = ("check", "show_answers", "score", "ask", "done_step", "final", "final_hints",
            "no_hints", "revealed", "nothing")
    return {
        "rtol": RTOL,
        "atol": ATOL,
        "lang": lang,
        "steps": steps,
        # templates: the page's script fills in the {fields}
        "text": {code: {f"page.{key}": MESSAGES[f"quiz.page.{key}"][code] for key in page}
                 for code in LANGS},
    }
