""""Predict, then check" for the notebooks: ``check(my_answer, price, "apple")``.

The learner writes a prediction of a gradient in a variable; :func:`check` compares it with
what backpropagation gives and answers like the explorer's quiz (``viz.to_html(root,
quiz=True)``), with the same hints from :mod:`viz.quiz`: the first wrong answer gets the local
derivative's formula, the second the formula with the numbers filled in.

    >>> from autograd import Node
    >>> from graphgrad.exercises import check
    >>> apple, num, tax = Node(100, name="apple"), Node(2, name="apple_num"), Node(1.1, name="tax")
    >>> price = apple * num * tax
    >>> check(2.2, price, "apple")
    Right: ∂output/∂apple = 2.2.

The graph is never changed: the gradients come from ``autograd.backward_trace``.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

import autograd
from autograd import Node
from viz.labels import format_value
from viz.quiz import is_right, questions, quiz_text

__all__ = ["Checked", "check", "reset"]

# How many wrong answers each question has had, so hints get more concrete: per (root, node,
# element), as the quiz counts per field. Cleared by reset().
_attempts: dict[tuple[int, int, Any], int] = {}


@dataclasses.dataclass(frozen=True)
class Checked:
    """The verdict of :func:`check`: ``right`` and the message shown (also its repr)."""

    right: bool
    message: str

    def __bool__(self) -> bool:
        return self.right

    def __repr__(self) -> str:
        return self.message


def reset() -> None:
    """Forget the wrong attempts counted so far (hints start again from the formula)."""
    _attempts.clear()


def _find(root: Node, wrt: Node | str) -> Node:
    nodes = autograd.topological_order(root)
    if isinstance(wrt, Node):
        if wrt not in nodes:
            raise ValueError(f"check: {wrt!r} is not part of the graph that made {root!r}")
        return wrt
    found = [n for n in nodes if n.name == wrt]
    if not found:
        named = sorted({n.name for n in nodes if n.name})
        raise ValueError(f"check: no node named {wrt!r} in the graph; named nodes: "
                         f"{', '.join(named) or '(none)'}")
    if len(found) > 1:
        raise ValueError(f"check: {len(found)} nodes are named {wrt!r}; pass the Node itself")
    return found[0]


def check(answer: Any, root: Node, wrt: Node | str, *, grad: Any = None,
          element: tuple[int, ...] | int | None = None, lang: str = "en",
          precision: int = 4) -> Checked:
    """Is `answer` the gradient of `root` with respect to `wrt` (a Node or its name)?

    ``grad`` is the gradient arriving at `root` (as in ``root.backward(grad)``) when the root is
    not a scalar. For an array, answer the whole array, or pass ``element=(i, j)`` and answer
    that one element. Each wrong answer to the same question gets a more concrete hint.
    """
    node = _find(root, wrt)
    # with a gradient arriving from outside, the root stands for a loss L further on
    out = root.name or ("L" if grad is not None else "output")
    who = node.name or format_value(node.value, precision)
    asked = [q for q in questions(root, grad, precision=precision, lang=lang) if q.node is node]
    if not asked:
        raise ValueError(f"check: no gradient flows from {out} back to {who} "
                         f"(requires_grad=False, or it does not lead to {out})")
    total = sum(np.asarray(q.gradient, dtype=float) for q in asked)
    if element is not None:
        element = (element,) if isinstance(element, int) else tuple(element)
        total = np.asarray(total)[element]
        who += "[" + ", ".join(map(str, element)) + "]"
    expected = float(total) if np.ndim(total) == 0 else total
    if answer is None or answer is Ellipsis:
        return Checked(False, quiz_text("check.empty", lang, out=out, who=who))
    got = np.asarray(answer, dtype=float)
    if got.size != np.size(expected):
        return Checked(False, quiz_text("check.count", lang, n=np.size(expected), who=who,
                                        shape=np.shape(expected), got=got.size))
    if is_right(got, expected):
        return Checked(True, quiz_text("check.right", lang, out=out, who=who,
                                       value=format_value(expected, precision)))
    key = (root.id, node.id, element)
    _attempts[key] = tries = _attempts.get(key, 0) + 1
    lines = [quiz_text("check.wrong", lang, answer=format_value(got, precision))]
    if len(asked) > 1:
        lines.append(quiz_text("hint.paths", lang, who=who, n=len(asked)))
    lines += [q.hint if tries == 1 else q.hint_numbers for q in asked]
    if tries > 2:
        lines.append(quiz_text("check.solution", lang))
    return Checked(False, "\n".join(lines))
