"""What a learner reads about a step: node names, step captions, forward sums, derivatives.

One source for every place that explains a step: the frames of :func:`viz.backward_steps`
(and so the GIF and the notebook slider), the explorer page of :func:`viz.to_html`, and its
node panel. Each node gets one name (:class:`Names`), unique in its graph: the user's name
(``params=`` or ``Node.name``), else the layer it is the only op of (``Affine1``), else its
expression (``apple × apple_num``), else its op symbol; a name two nodes would share gets
``#2``, ``#3``... in creation order.

Every sentence comes from the message catalogue (:mod:`viz.messages`, keys ``caption.*``), in
English or Chinese (``lang``); numbers are formatted here, so both languages show the same digits.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Mapping
from typing import Any

from .labels import display_name, format_value
from .layout import leaf_label, op_symbol
from .messages import message

__all__ = [
    "Names", "backward_lines", "derivative_parts", "forward_lines", "local_derivatives",
    "plain_doc", "text",
]

def text(key: str, lang: str = "en", **fields: Any) -> str:
    """The sentence `key` of the message catalogue in `lang`, with `fields` filled in."""
    return message(key, lang, **fields)


#: Longest description built from a node's inputs before falling back to the op symbol.
DESCRIBE_LIMIT = 48


class Names:
    """One name per node of a graph, never shared by two nodes (see the module docstring).

    ``names[node]`` is the name; ``params`` is the ``{engine id: name}`` of ``params=``.
    """

    def __init__(self, order: Iterable[Any], params: Mapping[int, str], precision: int,
                 lang: str = "en") -> None:
        self.params = params
        self.precision = precision
        self.lang = lang
        order = list(order)
        ops_in_scope: dict[str, int] = {}
        for node in order:
            if node.op is not None and node.scope:
                ops_in_scope[node.scope] = ops_in_scope.get(node.scope, 0) + 1
        self._layer_ops = ops_in_scope
        # Each node's short name once: a description looks at inputs two levels up, and a
        # big graph would otherwise spell the same leaf over and over.
        self._shorts = {node.id: self._short(node) for node in order}
        # What each node computes, the same in every language; None: "output of ×", which
        # is spelled in words (see :meth:`in_lang`).
        self._spelled = {node.id: self._describe(node) for node in order}
        self._order = order
        self._constants = {node.id for node in order if self._is_constant(node)}
        self._names = self._unique()

    def in_lang(self, lang: str) -> Names:
        """The same names in `lang`: only a name spelled in words ("output of ×") differs."""
        if lang == self.lang:
            return self
        other = copy.copy(self)
        other.lang = lang
        other._names = other._unique()
        return other

    def _unique(self) -> dict[int, str]:
        """Engine id -> name, in this language; a name several nodes share gets ``#k``."""
        by_op: dict[str, str] = {}  # "output of ×", worded once per op symbol

        def output_of(node: Any) -> str:
            symbol = op_symbol(node.op)
            if symbol not in by_op:
                by_op[symbol] = text("picture.output_of", self.lang, symbol=symbol)
            return by_op[symbol]

        raw = {node.id: self._spelled[node.id] or output_of(node) for node in self._order}
        # A name shared by several nodes gets #1, #2, ... by creation order; constants are
        # the exception: two 2s are both simply "2".
        count: dict[str, int] = {}
        for node in self._order:
            if node.id not in self._constants:
                count[raw[node.id]] = count.get(raw[node.id], 0) + 1
        seen: dict[str, int] = {}
        names: dict[int, str] = {}
        for node in self._order:
            name = raw[node.id]
            if count.get(name, 0) > 1:
                seen[name] = seen.get(name, 0) + 1
                name = f"{name} #{seen[name]}"
            names[node.id] = name
        return names

    def __getitem__(self, node: Any) -> str:
        return self._names[node.id]

    def _is_constant(self, node: Any) -> bool:
        return node.op is None and not self._given(node) and node.ndim == 0

    def _given(self, node: Any) -> str | None:
        return display_name(self.params.get(node.id) or node.name) or None

    def _short(self, node: Any) -> str | None:
        """A name that needs no spelling out: given, a leaf's value or shape, a layer."""
        given = self._given(node)
        if node.op is None:
            return leaf_label(node, given, self.precision)
        if given:
            return given
        if node.scope and self._layer_ops.get(node.scope) == 1:
            # the only op of a layer: call it by the layer
            return display_name(node.scope.rsplit("/", 1)[-1])
        return None

    def _describe(self, node: Any) -> str | None:
        """The user's name, else what the node computes, two levels deep at most; None
        where that is too long to read: the node is then called by its op."""

        def spelled(x: Any, parts: list[tuple[str, bool] | None]) -> tuple[str, bool] | None:
            """``(text, atomic)``: atomic texts need no parentheses inside a bigger one."""
            if any(p is None for p in parts):
                return None
            symbol = op_symbol(x.op)
            texts = [p[0] if p[1] else f"({p[0]})" for p in parts]  # type: ignore[index]
            if len(texts) == 2 and len(symbol) <= 2:
                return f"{texts[0]} {symbol} {texts[1]}", False
            if len(texts) == 1 and symbol.isalpha():
                return f"{symbol}({parts[0][0]})", True  # type: ignore[index]
            return None

        def one_level(x: Any) -> tuple[str, bool] | None:
            short = self._shorts[x.id]
            if short is not None:
                return short, True
            return spelled(x, [(t, True) if (t := self._shorts[i.id]) else None
                               for i in x.inputs])

        short = self._shorts[node.id]
        if short is not None:
            return short
        found = spelled(node, [one_level(i) for i in node.inputs])
        if found is None or len(found[0]) > DESCRIBE_LIMIT:
            return None
        return found[0]


_PART = re.compile(r"^\s*(∂[^=]+?)\s*=\s*(.+?)\s*$")


def derivative_parts(op: Any, n_inputs: int) -> list[str] | None:
    """The op's ``derivative`` text split into one part per input (``"∂y/∂a = b"``), or None.

    Ops write their derivatives as ``"∂y/∂a = b,  ∂y/∂b = a"``: parts separated by a comma and
    two spaces, in the order of the inputs.
    """
    derivative = getattr(op, "derivative", "") or ""
    parts = [p.strip() for p in derivative.split(",  ")]
    if len(parts) != n_inputs or not all(_PART.match(p) for p in parts):
        return None
    return parts


def _filled(part: str, local: Any, precision: int) -> str:
    """``"∂y/∂a = b"`` with the number: ``"∂y/∂a = b = 2"`` (not ``"= 1 = 1"``)."""
    value = format_value(local, precision)
    rhs = _PART.match(part).group(2)  # type: ignore[union-attr]
    return part if rhs == value else f"{part} = {value}"


def local_derivatives(step: Any, names: Names) -> list[str]:
    """The op's local derivative per input, with the numbers of this step where known.

    Scalars: ``["∂y/∂a = b = 2", "∂y/∂b = a = 100"]``; arrays: the formula and the shape and
    statistics of what it gives (``"∂L/∂W = Xᵀ · G: (784, 50) μ=0.01 σ=0.2"``).
    """
    node = step.node
    parts = derivative_parts(node.op, len(node.inputs))
    if parts is None:
        return []
    out = []
    for slot, part in enumerate(parts):
        local = step.local[slot] if step.local is not None else None
        if local is not None:
            out.append(_filled(part, local, names.precision))
        elif step.contributions[slot] is not None:
            out.append(f"{part}: {format_value(step.contributions[slot], names.precision)}")
        else:
            out.append(part)
    return out


_MARKUP = [
    (re.compile(r":[a-z]+:`~?([^`]+)`"), r"\1"),  # :func:`viz.render` -> viz.render
    (re.compile(r"``([^`]+)``"), r"\1"),  # ``Y = X · W + b``
    (re.compile(r"`([^`]+)`"), r"\1"),
    (re.compile(r"\*\*([^*\n]+)\*\*"), r"\1"),  # **bold**
    (re.compile(r"(?<![\w*])\*([^*\s][^*\n]*?)\*(?![\w*])"), r"\1"),  # *other*
]


def plain_doc(doc: str) -> str:
    """A docstring as plain text: reST/Markdown markup (````code````, ``*em*``, ``:func:``)
    stripped, so the node panel and ``--help`` show what the markup meant, not the markup."""
    for pattern, repl in _MARKUP:
        doc = pattern.sub(repl, doc)
    return doc.replace("::\n", ":\n")


def backward_lines(step: Any, k: int, n_steps: int, names: Names, received: dict[int, Any],
                   lang: str = "en", words: bool = True,
                   ) -> tuple[list[str], list[tuple[int, Any, Any, Any, str]]]:
    """The caption of backward step `k`, and what it sends: ``(slot, input, value, before, calc)``.

    `received` (engine node id -> gradient summed so far) is updated, so calling this for the
    steps in order shows where contributions from several paths add up. ``words=False`` only
    adds up (no caption, no ``calc``): for steps that are not shown.
    """
    node, op = step.node, step.node.op
    precision = names.precision
    if not words:
        return [], [(slot, x, c, None if c is None else _receive(received, x, c), "")
                    for slot, (x, c) in enumerate(zip(node.inputs, step.contributions))]

    def fmt(v: Any) -> str:
        return format_value(v, precision)

    lines = [
        text("caption.backward_head", lang, k=k, n=n_steps, symbol=op_symbol(op))
        + _formula(op, lang),
        text("caption.upstream", lang, who=names[node], value=fmt(step.upstream)),
    ]
    parts = derivative_parts(op, len(node.inputs))
    if parts is None and getattr(op, "derivative", ""):
        lines.append(text("caption.local", lang, derivative=op.derivative))
    sent = []
    for slot, (x, c) in enumerate(zip(node.inputs, step.contributions)):
        who = names[x]
        if c is None:
            lines.append(text("caption.no_grad", lang, who=who))
            sent.append((slot, x, None, None, ""))
            continue
        local = step.local[slot] if step.local is not None else None
        calc = ""
        if local is not None:
            calc = f"{fmt(step.upstream)} × {fmt(local)} = {fmt(c)}"
            fields = {"who": who, "up": fmt(step.upstream), "local": fmt(local), "out": fmt(c)}
            key = "caption.calc"
        else:
            fields = {"who": who, "out": fmt(c)}
            key = "caption.sent"
        if parts is None:
            lines.append(text(key, lang, **fields))
        else:
            shown = parts[slot] if local is None else _filled(parts[slot], local, precision)
            lines.append(text(key + "_local", lang, derivative=shown, **fields))
        before = _receive(received, x, c)
        if before is not None:
            lines.append(text("caption.paths_add", lang, who=who, before=fmt(before),
                              out=fmt(c), total=fmt(received[x.id])))
        sent.append((slot, x, c, before, calc))
    return lines, sent


def _receive(received: dict[int, Any], x: Any, c: Any) -> Any:
    """Add contribution `c` to what input `x` has received so far; returns what it had before
    (None: nothing yet), so a caption can show where paths meet and add up."""
    before = received.get(x.id)
    received[x.id] = c if before is None else before + c
    return before


def forward_text(node: Any, names: Names) -> str:
    """``100 × 2 = 200`` for the textbook's operators, ``exp(1.5) = 4.482`` for functions."""
    precision = names.precision
    symbol = op_symbol(node.op)
    ins = [format_value(x.value, precision) for x in node.inputs]
    out = format_value(node.value, precision)
    if len(ins) == 2 and len(symbol) <= 2:
        return f"{ins[0]} {symbol} {ins[1]} = {out}"
    if len(ins) == 1 and symbol.isalpha():
        return f"{symbol}({ins[0]}) = {out}"
    who = ", ".join(f"{names[x]} = {v}" for x, v in zip(node.inputs, ins))
    return text("caption.forward_inputs", names.lang, inputs=who, out=out)


def forward_lines(node: Any, j: int, n_ops: int, names: Names, lang: str = "en") -> list[str]:
    """The caption of forward step `j`: which op, and what it computes with the numbers."""
    op = node.op
    return [
        text("caption.forward_head", lang, k=j, n=n_ops, symbol=op_symbol(op))
        + _formula(op, lang),
        text("caption.forward_calc", lang, who=names[node], calc=forward_text(node, names)),
    ]


def _formula(op: Any, lang: str) -> str:
    formula = getattr(op, "formula", "")
    return text("caption.formula", lang, formula=formula) if formula else ""
