"""Printable worksheets: the graphs of chapter 5 with blank boxes where the gradients go.

``graphgrad worksheet --kind apple_orange --count 30 --seed 7 --lang zh -o sheets.pdf`` writes
one exercise per A4 page, and beside it an answer key (``sheets-答案.pdf``, or
``sheets-answer-key.pdf`` in English) with the same graphs and the boxes filled in.

Each exercise is drawn by `viz` exactly as the explorer draws it (values above the arrows);
under every arrow a gradient flows back on there is an empty box (one cell per element for
arrays), lettered (a), (b), … . Numbers are drawn from a seeded generator so that every answer
is exact to two decimals, and the answers are computed here from the chapter's formulas
(``∂price/∂apple = apple_num × tax``), independently of the engine; the tests check them
against the engine's own backward pass.

Graphviz draws each page as PDF; `pypdf` (the ``worksheet`` extra:
``pip install 'graphgrad[worksheet]'``) places them on A4 and joins them.
"""

from __future__ import annotations

import dataclasses
import io
import math
import textwrap
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

import autograd
from autograd import Node
from viz.messages import check_lang, message

__all__ = ["KINDS", "Answer", "Exercise", "answer_key_path", "make_exercises", "write_worksheets"]

def _text(key: str, lang: str, **fields: Any) -> str:
    return message(f"worksheet.{key}", lang, **fields)


def _two(x: float) -> str:
    """A number exact to two decimals, written the short way: 2.2, 110, -0.7, 0.25."""
    text = f"{float(x):.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _numbers(a: Any) -> str:
    """An array written for the story line: ``[1, -2.5]`` or ``[[1, 2], [3, 4]]``."""
    arr = np.asarray(a, dtype=float)
    if arr.ndim == 0:
        return _two(float(arr))
    if arr.ndim == 1:
        return "[" + ", ".join(_two(v) for v in arr) + "]"
    return "[" + ", ".join(_numbers(row) for row in arr) + "]"


@dataclasses.dataclass(frozen=True)
class Answer:
    """One box: the gradient flowing back along the arrow from `tail` into `head`."""

    tail: Node
    head: Node
    slot: int
    who: str  # how the key names the value on the arrow ("apple", "apple × apple_num")
    value: Any  # float, or an ndarray for array-valued nodes


@dataclasses.dataclass
class Exercise:
    """One worksheet exercise: the graph, what the page says, and the answers."""

    kind: str
    root: Node
    out: str  # the output's name (price, z, L)
    story: dict[str, Any]  # the fields of the story line (the prices, quantities, ...)
    answers: list[Answer]
    seed_grad: Any = None  # the gradient arriving at the output, when it is not 1

    def story_text(self, lang: str) -> str:
        """The exercise's situation in words, with its numbers."""
        return _text(f"{self.kind}.story", lang, **self.story)


def _leaf(value: Any, name: str) -> Node:
    return Node(value, name=name)


# --------------------------------------------------------------------- the kinds
# Each maker draws its numbers from `rng`, builds the graph with the engine, and writes the
# answers from the chapter's formulas (never from the engine's gradients).
def _apple(rng: np.random.Generator) -> Exercise:
    apple = int(rng.integers(5, 31)) * 10
    num = int(rng.integers(2, 6))
    tax = float(rng.choice([1.05, 1.08, 1.1, 1.2]))
    a, n, t = _leaf(apple, "apple"), _leaf(num, "apple_num"), _leaf(tax, "tax")
    apple_price = a * n
    price = apple_price * t
    price.name = "price"
    answers = [
        Answer(a, apple_price, 0, "apple", num * tax),
        Answer(n, apple_price, 1, "apple_num", apple * tax),
        Answer(apple_price, price, 0, "apple × apple_num", tax),
        Answer(t, price, 1, "tax", apple * num),
    ]
    story = {"apple": apple, "apple_num": num, "tax": _two(tax), "price": _two(apple * num * tax)}
    return Exercise("apple", price, "price", story, answers)


def _apple_orange(rng: np.random.Generator) -> Exercise:
    apple, orange = (int(rng.integers(5, 31)) * 10 for _ in range(2))
    num_a, num_o = (int(rng.integers(1, 6)) for _ in range(2))
    tax = float(rng.choice([1.05, 1.08, 1.1, 1.2]))
    a, na = _leaf(apple, "apple"), _leaf(num_a, "apple_num")
    o, no = _leaf(orange, "orange"), _leaf(num_o, "orange_num")
    t = _leaf(tax, "tax")
    pa, po = a * na, o * no
    total = pa + po
    price = total * t
    price.name = "price"
    answers = [
        Answer(a, pa, 0, "apple", num_a * tax),
        Answer(na, pa, 1, "apple_num", apple * tax),
        Answer(o, po, 0, "orange", num_o * tax),
        Answer(no, po, 1, "orange_num", orange * tax),
        Answer(pa, total, 0, "apple × apple_num", tax),
        Answer(po, total, 1, "orange × orange_num", tax),
        Answer(total, price, 0, "apple × apple_num + orange × orange_num", tax),
        Answer(t, price, 1, "tax", apple * num_a + orange * num_o),
    ]
    story = {"apple": apple, "apple_num": num_a, "orange": orange, "orange_num": num_o,
             "tax": _two(tax), "price": _two((apple * num_a + orange * num_o) * tax)}
    return Exercise("apple_orange", price, "price", story, answers)


def _square_of_sum(rng: np.random.Generator) -> Exercise:
    # one decimal each: t = x + y has one decimal, so t² and 2t are exact to two
    xv, yv = (int(rng.integers(-30, 31)) / 10 for _ in range(2))
    x, y = _leaf(xv, "x"), _leaf(yv, "y")
    t = x + y
    z = t**2
    z.name = "z"
    tv = round(xv + yv, 1)
    answers = [
        Answer(x, t, 0, "x", 2 * tv),  # ∂z/∂x = ∂z/∂t · ∂t/∂x = 2t · 1
        Answer(y, t, 1, "y", 2 * tv),
        Answer(t, z, 0, "t", 2 * tv),
    ]
    story = {"x": _two(xv), "y": _two(yv), "t": _two(tv), "z": _two(tv * tv)}
    return Exercise("square_of_sum", z, "z", story, answers)


def _relu(rng: np.random.Generator) -> Exercise:
    xs = rng.integers(1, 31, size=4) * rng.choice([-1, 1], size=4) / 10  # never 0: no kink
    g = rng.integers(-20, 21, size=4) / 10
    x = _leaf(xs, "x")
    y = autograd.relu(x)
    y.name = "y"
    answers = [Answer(x, y, 0, "x", np.where(xs > 0, g, 0.0))]  # the mask passes g or blocks it
    story = {"x": _numbers(xs), "y": _numbers(np.maximum(xs, 0)), "g": _numbers(g)}
    return Exercise("relu", y, "L", story, answers, seed_grad=g)


def _sigmoid(rng: np.random.Generator) -> Exercise:
    # y(1 − y) has two decimals for these y, and g is a whole number
    ys = rng.choice([0.1, 0.2, 0.4, 0.5, 0.6, 0.8, 0.9], size=3)
    g = rng.integers(1, 6, size=3) * rng.choice([-1, 1], size=3)
    xs = np.log(ys / (1 - ys))
    x = _leaf(xs, "x")
    y = autograd.sigmoid(x)
    y.name = "y"
    answers = [Answer(x, y, 0, "x", g * ys * (1 - ys))]
    story = {"x": "[" + ", ".join(f"{v:.4g}" for v in xs) + "]", "y": _numbers(ys),
             "g": _numbers(g)}
    return Exercise("sigmoid", y, "L", story, answers, seed_grad=g.astype(float))


def _affine(rng: np.random.Generator) -> Exercise:
    from nn.layers import Affine

    Xv = rng.integers(-3, 4, size=(2, 2)).astype(float)
    Wv = rng.integers(-10, 11, size=(2, 3)) / 10
    bv = rng.integers(-10, 11, size=3) / 10
    G = rng.integers(-2, 3, size=(2, 3)).astype(float)
    X, W, b = _leaf(Xv, "X"), _leaf(Wv, "W"), _leaf(bv, "b")
    Y = Affine(W, b)(X)
    Y.name = "Y"
    answers = [
        Answer(X, Y, 0, "X", G @ Wv.T),
        Answer(W, Y, 1, "W", Xv.T @ G),
        Answer(b, Y, 2, "b", G.sum(axis=0)),
    ]
    story = {"X": _numbers(Xv), "W": _numbers(Wv), "b": _numbers(bv), "G": _numbers(G)}
    return Exercise("affine", Y, "L", story, answers, seed_grad=G)


def _softmax_with_loss(rng: np.random.Generator) -> Exercise:
    from nn.layers import SoftmaxWithLoss

    # scores ln k: softmax gives k / Σk, exact to two decimals when Σk is 10 or 20
    total = int(rng.choice([10, 20]))
    while True:
        k = rng.integers(1, total - 1, size=2)
        if k.sum() < total:
            break
    ks = np.array([k[0], k[1], total - k.sum()])
    label = int(rng.integers(0, 3))
    t = np.eye(3)[label]
    a = _leaf(np.log(ks).reshape(1, 3), "a")
    loss = SoftmaxWithLoss()(a, t.reshape(1, 3))
    loss.name = "L"
    p = ks / total
    answers = [Answer(a, loss, 0, "a", (p - t).reshape(1, 3))]  # (y − t) / N with N = 1
    story = {"k0": int(ks[0]), "k1": int(ks[1]), "k2": int(ks[2]),
             "a": "[" + ", ".join(f"{v:.4g}" for v in np.log(ks)) + "]",
             "y": _numbers(p), "label": label, "t": _numbers(t),
             "L": f"{-math.log(p[label]):.4g}"}
    return Exercise("softmax_with_loss", loss, "L", story, answers)


MAKERS: dict[str, Callable[[np.random.Generator], Exercise]] = {
    "apple": _apple,
    "apple_orange": _apple_orange,
    "square_of_sum": _square_of_sum,
    "relu": _relu,
    "sigmoid": _sigmoid,
    "affine": _affine,
    "softmax_with_loss": _softmax_with_loss,
}
#: The kinds of exercise, in the order of the chapter; ``mixed`` cycles through all of them.
KINDS = (*MAKERS, "mixed")


def make_exercises(kind: str, count: int, seed: int) -> list[Exercise]:
    """`count` exercises of `kind`, the same for the same `seed`."""
    if kind not in KINDS:
        raise ValueError(f"worksheet: unknown kind {kind!r}; choose one of {', '.join(KINDS)}")
    if count < 1:
        raise ValueError(f"worksheet: --count must be at least 1, got {count}")
    rng = np.random.default_rng(seed)
    kinds = list(MAKERS) if kind == "mixed" else [kind]
    return [MAKERS[kinds[i % len(kinds)]](rng) for i in range(count)]


# --------------------------------------------------------------------- drawing
_BOX_CELL = 46  # width of one blank cell, in points


def _box(value: Any, shape: tuple[int, ...], letter: str, filled: bool) -> str:
    """The HTML-like label of a box: a grid of cells (one per element), blank or filled."""
    from viz.dot import GRAD_COLOR

    if len(shape) == 0:
        rows = [[value]]
    elif len(shape) == 1:
        rows = [list(np.asarray(value).ravel())] if filled else [[None] * shape[0]]
    else:
        arr = np.asarray(value).reshape(shape[0], -1) if filled else np.empty((shape[0], 0))
        rows = [list(r) for r in arr] if filled else [[None] * shape[1]] * shape[0]
    cells = []
    for row in rows:
        tds = "".join(
            f'<td width="{_BOX_CELL}" height="18">'
            + (f'<font color="{GRAD_COLOR}">{_two(v)}</font>' if filled else " ")
            + "</td>"
            for v in row
        )
        cells.append(f"<tr>{tds}</tr>")
    grid = ('<table border="0" cellborder="1" cellspacing="0" cellpadding="2" bgcolor="white">'
            + "".join(cells) + "</table>")
    return (f'<table border="0" cellborder="0" cellspacing="2" cellpadding="0"><tr>'
            f'<td valign="top"><font point-size="9" color="#6b7280">({letter})</font></td>'
            f"<td>{grid}</td></tr></table>")


def _letters(n: int) -> list[str]:
    return [chr(ord("a") + i) if i < 26 else f"a{i}" for i in range(n)]


def exercise_dot(ex: Exercise, k: int, n: int, lang: str, answers: bool) -> str:
    """DOT text of one page: title, story, instructions, and the graph with boxes."""
    import viz
    from viz.layout import build_layout

    layout = build_layout(ex.root, show="values", precision=6)
    by_edge = {(a.tail.id, a.head.id, a.slot): (a, letter)
               for a, letter in zip(ex.answers, _letters(len(ex.answers)))}
    tokens: dict[str, str] = {}
    edges = []
    for e in layout.edges:
        found = by_edge.get((e.tail_node, e.head_node, e.slot))
        if e.head == "output":
            seed = ex.seed_grad if ex.seed_grad is not None else 1.0
            edges.append(dataclasses.replace(e, grad=_numbers(seed)))
        elif found is not None:
            answer, letter = found
            token = f"GGBOX{len(tokens)}X"
            tokens[token] = _box(answer.value, np.shape(answer.value), letter, answers)
            edges.append(dataclasses.replace(e, grad=token))
        else:
            edges.append(e)
    nodes = [dataclasses.replace(node, label="**2") if node.label == "**c" else node
             for node in layout.nodes]
    topic = _text(f"{ex.kind}.topic", lang)
    title = _text("key_title" if answers else "title", lang, k=k, n=n, topic=topic)
    caption = [title, ex.story_text(lang), _text("instructions", lang, out=ex.out)]
    if answers:
        caption += [_text("key_line", lang, letter=letter, out=ex.out, who=a.who,
                          value=_numbers(a.value))
                    for a, letter in zip(ex.answers, _letters(len(ex.answers)))]
    else:
        caption.append(_text("name", lang))
    width = 60 if lang == "zh" else 110  # a CJK character is twice as wide
    lines = [part for line in caption for part in textwrap.wrap(line, width) or [""]]
    layout = dataclasses.replace(layout, nodes=nodes, edges=edges, caption=tuple(lines))
    dot = viz.layout_to_dot(layout)
    from viz.dot import GRAD_COLOR

    for token, box in tokens.items():
        row = f'<font color="{GRAD_COLOR}">{token}</font>'
        if row not in dot:  # viz.dot writes gradient rows differently now: update this
            raise RuntimeError(f"worksheet: cannot find the gradient row {row!r} in the DOT")
        dot = dot.replace(row, box)
    # Title and story above the graph, as on a printed sheet.
    return dot.replace("labelloc=b", "labelloc=t", 1)


# --------------------------------------------------------------------- PDF
A4 = (595.28, 841.89)  # points
MARGIN = 36.0


def _pdf_pages(dots: Sequence[str]) -> bytes:
    """Each DOT as one A4 page (scaled down to fit if needed), joined into one PDF."""
    try:
        from pypdf import PageObject, PdfReader, PdfWriter, Transformation
    except ImportError as err:
        raise ImportError(
            "graphgrad worksheet needs pypdf to assemble the pages: "
            "pip install 'graphgrad[worksheet]' (or pip install pypdf)"
        ) from err
    from viz.backends import dot_to_bytes

    writer = PdfWriter()
    for dot in dots:
        src = PdfReader(io.BytesIO(dot_to_bytes(dot, "pdf"))).pages[0]
        w, h = float(src.mediabox.width), float(src.mediabox.height)
        room_w, room_h = A4[0] - 2 * MARGIN, A4[1] - 2 * MARGIN
        scale = min(1.0, room_w / w, room_h / h)
        page = PageObject.create_blank_page(width=A4[0], height=A4[1])
        x = (A4[0] - w * scale) / 2
        y = A4[1] - MARGIN - h * scale  # at the top of the page
        page.merge_transformed_page(src, Transformation().scale(scale).translate(x, y))
        writer.add_page(page)
    writer.add_metadata({"/Producer": "graphgrad worksheet"})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def answer_key_path(path: str | Path, lang: str) -> Path:
    """Where the answer key of `path` goes: ``sheets-answer-key.pdf`` / ``sheets-答案.pdf``."""
    path = Path(path)
    tag = "答案" if lang == "zh" else "answer-key"
    return path.with_name(f"{path.stem}-{tag}{path.suffix or '.pdf'}")


def write_worksheets(path: str | Path, kind: str = "apple_orange", count: int = 10,
                     seed: int = 0, lang: str = "en") -> tuple[Path, Path]:
    """Write the worksheets to `path` and the answer key beside it; return both paths."""
    from autograd.files import write_bytes

    check_lang(lang)
    path = Path(path)
    if path.suffix.lower() != ".pdf":
        raise ValueError(f"worksheet: the output must be a .pdf file, got {path.name!r}")
    exercises = make_exercises(kind, count, seed)
    n = len(exercises)
    sheets = [exercise_dot(ex, k, n, lang, answers=False) for k, ex in enumerate(exercises, 1)]
    keys = [exercise_dot(ex, k, n, lang, answers=True) for k, ex in enumerate(exercises, 1)]
    key_path = answer_key_path(path, lang)
    write_bytes(path, _pdf_pages(sheets))
    write_bytes(key_path, _pdf_pages(keys))
    return path, key_path
