"""Arithmetic expressions typed on the command line, turned into autograd graphs.

``graphgrad explore "(apple*apple_num + orange*orange_num)*tax" --set apple=100 ...`` parses
the expression with Python's :mod:`ast` and builds the graph node by node; the text is never
given to ``eval``. Allowed: names (the variables), numbers, ``+ - * / **``, unary ``-`` and
``+``, parentheses, and calls of the ops in :data:`FUNCTIONS` (``exp(x)``, ``relu(x)``, ...).
Anything else is refused with a message naming the construct.

Each name becomes one leaf ``Node`` named after it (a name used twice is one node, so its
gradient collects contributions from both uses); numbers are constants.
"""

from __future__ import annotations

import ast
import math
import operator
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import autograd
from autograd import Node

__all__ = [
    "FUNCTIONS",
    "Expression",
    "ExpressionError",
    "build_graph",
    "explore_command",
    "parse_assignments",
    "parse_expression",
]

#: The functions an expression may call, one argument each: the engine's own ops.
FUNCTIONS: dict[str, Callable[[Any], Node]] = {
    "exp": autograd.exp,
    "log": autograd.log,
    "sqrt": autograd.sqrt,
    "tanh": autograd.tanh,
    "sigmoid": autograd.sigmoid,
    "relu": autograd.relu,
}

_BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
}
_UNARY: dict[type[ast.unaryop], Callable[[Any], Any]] = {
    ast.USub: operator.neg,
    ast.UAdd: operator.pos,
}

ALLOWED = (
    "names, numbers, + - * / **, unary -, parentheses, and calls of "
    + ", ".join(FUNCTIONS)
)

# What to call the constructs people try most often, in the error message.
_CONSTRUCTS: dict[type, str] = {
    ast.Attribute: "attribute access",
    ast.Subscript: "indexing",
    ast.Compare: "comparison",
    ast.BoolOp: "'and' / 'or'",
    ast.IfExp: "conditional expression",
    ast.Lambda: "lambda",
    ast.NamedExpr: "assignment expression (:=)",
    ast.List: "list",
    ast.Tuple: "tuple",
    ast.Set: "set",
    ast.Dict: "dict",
    ast.ListComp: "list comprehension",
    ast.SetComp: "set comprehension",
    ast.DictComp: "dict comprehension",
    ast.GeneratorExp: "generator expression",
    ast.JoinedStr: "f-string",
    ast.Starred: "starred argument (*x)",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
    ast.Slice: "slice",
    ast.MatMult: "operator @",
    ast.FloorDiv: "operator //",
    ast.Mod: "operator %",
    ast.LShift: "operator <<",
    ast.RShift: "operator >>",
    ast.BitOr: "operator |",
    ast.BitAnd: "operator &",
    ast.BitXor: "operator ^",
    ast.Not: "operator 'not'",
    ast.Invert: "operator ~",
}


class ExpressionError(ValueError):
    """The expression, or the values given for it, cannot be turned into a graph."""


@dataclass(frozen=True)
class Expression:
    """A checked expression: its syntax tree and the variable names it uses.

    Attributes:
        text: the expression as typed.
        tree: the ``ast.Expression`` (only allowed constructs, see :func:`parse_expression`).
        names: the variables, in order of first appearance (function names not included).
    """

    text: str
    tree: ast.Expression
    names: tuple[str, ...]

    def build(
        self, values: Mapping[str, Any], *, name: str | None = None
    ) -> tuple[Node, dict[str, Node]]:
        """Build the graph with ``values`` for the variables; ``name`` names the output node.

        Returns ``(output, {variable name: leaf Node})``; ``backward()`` has not run yet.

        Raises :class:`ExpressionError` for missing or unused values, for a constant-only
        expression, and for arithmetic that fails on the constants (``1/0``).
        """
        missing = [n for n in self.names if n not in values]
        if missing:
            sets = " ".join(f"{n}=..." for n in missing)
            raise ExpressionError(
                f"no value for {', '.join(missing)}: give {'it' if len(missing) == 1 else 'them'}"
                f" with --set {sets}"
            )
        unused = [n for n in values if n not in self.names]
        if unused:
            uses = ", ".join(self.names) if self.names else "no variables"
            raise ExpressionError(
                f"--set {', '.join(unused)}: not in the expression (it uses {uses})"
            )
        leaves = {n: Node(values[n], name=n) for n in self.names}
        result = _evaluate(self.tree.body, leaves, self.text)
        if not isinstance(result, Node):
            raise ExpressionError(
                f"{self.text!r} has no variables, so there is nothing to differentiate: "
                "use a name such as x and give its value with --set x=..."
            )
        if name is not None and result.op is not None:
            result.name = name
        return result, leaves


def _where(node: ast.AST, text: str) -> str:
    segment = ast.get_source_segment(text, node)
    col = getattr(node, "col_offset", None)
    where = f" at column {col + 1}" if col is not None else ""
    return f" {segment!r}{where}" if segment else where


def _refuse(what: str, node: ast.AST, text: str) -> ExpressionError:
    return ExpressionError(f"unsupported {what}{_where(node, text)}; allowed: {ALLOWED}")


def parse_expression(text: str) -> Expression:
    """Parse ``text`` and check that it uses only the allowed constructs.

    Raises :class:`ExpressionError` naming the first construct that is not allowed, e.g.
    ``unsupported attribute access 'os.system' at column 1``. Nothing is evaluated.
    """
    if not isinstance(text, str) or not text.strip():
        raise ExpressionError("empty expression: write one such as \"(a*b + c)*d\"")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as err:
        col = f" at column {err.offset}" if err.offset else ""
        raise ExpressionError(f"cannot parse {text!r}{col}: {err.msg}") from None
    except (RecursionError, MemoryError):
        raise ExpressionError(f"cannot parse {text!r}: nested too deeply") from None
    text = text.strip()
    names: dict[str, tuple[int, int]] = {}  # name -> where it first appears
    called: set[int] = set()  # ids of the Name nodes that are function names
    for node in ast.walk(tree):  # ast.walk is breadth-first with a queue: no recursion
        if isinstance(node, (ast.Expression, ast.Load)) or type(node) in _BINARY:
            continue
        if type(node) in _UNARY:
            continue
        if isinstance(node, ast.BinOp):
            if type(node.op) not in _BINARY:
                raise _refuse(_CONSTRUCTS.get(type(node.op), "operator"), node, text)
        elif isinstance(node, ast.UnaryOp):
            if type(node.op) not in _UNARY:
                raise _refuse(_CONSTRUCTS.get(type(node.op), "operator"), node, text)
        elif isinstance(node, ast.Constant):
            value = node.value
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                kind = "True/False" if isinstance(value, bool) else type(value).__name__
                raise _refuse(f"constant of type {kind}", node, text)
        elif isinstance(node, ast.Name):
            if id(node) not in called:
                where = (node.lineno, node.col_offset)
                names[node.id] = min(where, names.get(node.id, where))
        elif isinstance(node, ast.Call):
            func = node.func
            if not isinstance(func, ast.Name) or func.id not in FUNCTIONS:
                what = ast.get_source_segment(text, func) or "?"
                kind = "unknown function" if isinstance(func, ast.Name) else "unsupported call of"
                raise ExpressionError(
                    f"{kind} {what!r}{_where(node, text).replace(' ', ' in ', 1)}; "
                    f"the functions are {', '.join(FUNCTIONS)}"
                )
            if node.keywords or len(node.args) != 1:
                raise ExpressionError(
                    f"{func.id}() takes exactly one argument{_where(node, text)}"
                )
            called.add(id(func))
        else:
            raise _refuse(_CONSTRUCTS.get(type(node), f"construct {type(node).__name__}"),
                          node, text)
    return Expression(text, tree, tuple(sorted(names, key=names.__getitem__)))


def _evaluate(body: ast.expr, leaves: Mapping[str, Node], text: str) -> Any:
    """Compute the checked tree bottom-up with an explicit stack (no recursion)."""
    results: list[Any] = []
    stack: list[tuple[ast.expr, bool]] = [(body, False)]
    while stack:
        node, ready = stack.pop()
        if isinstance(node, ast.Constant):
            results.append(float(node.value))
            continue
        if isinstance(node, ast.Name):
            results.append(leaves[node.id])
            continue
        children: list[ast.expr]
        if isinstance(node, ast.BinOp):
            children = [node.left, node.right]
        elif isinstance(node, ast.UnaryOp):
            children = [node.operand]
        else:
            assert isinstance(node, ast.Call)
            children = [node.args[0]]
        if not ready:
            stack.append((node, True))
            stack.extend((c, False) for c in reversed(children))
            continue
        args = results[len(results) - len(children) :]
        del results[len(results) - len(children) :]
        try:
            if isinstance(node, ast.BinOp):
                out = _BINARY[type(node.op)](*args)
            elif isinstance(node, ast.UnaryOp):
                out = _UNARY[type(node.op)](*args)
            else:
                out = FUNCTIONS[node.func.id](*args)  # type: ignore[attr-defined]
        except ZeroDivisionError:
            raise ExpressionError(f"division by zero in{_where(node, text)}") from None
        except OverflowError:
            raise ExpressionError(f"number too large in{_where(node, text)}") from None
        if isinstance(out, complex):
            raise ExpressionError(
                f"{_where(node, text).strip()} gives a complex number; only real numbers work"
            )
        results.append(out)
    return results[0]


def parse_assignments(items: Iterable[str]) -> dict[str, float]:
    """``["apple=100", "tax=1.1"]`` -> ``{"apple": 100.0, "tax": 1.1}`` (the last one wins)."""
    values: dict[str, float] = {}
    for item in items:
        name, sep, text = item.partition("=")
        name, text = name.strip(), text.strip()
        if not sep or not name.isidentifier():
            raise ExpressionError(f"--set {item!r}: write NAME=VALUE, e.g. --set apple=100")
        try:
            value = float(text)
        except ValueError:
            raise ExpressionError(f"--set {item!r}: {text!r} is not a number") from None
        if not math.isfinite(value):
            raise ExpressionError(f"--set {item!r}: the value must be a finite number")
        values[name] = value
    return values


def build_graph(
    text: str, values: Mapping[str, Any], *, name: str | None = None
) -> tuple[Node, dict[str, Node]]:
    """Parse ``text``, build its graph with ``values`` and return ``(output, leaves by name)``.

    ``backward()`` has not been called yet.

        >>> out, leaves = build_graph("a*b + a", {"a": 3, "b": 2})
        >>> out.value, out.backward(), leaves["a"].grad
        (9.0, None, 3.0)
    """
    return parse_expression(text).build(values, name=name)


#: Output suffixes ``graphgrad explore`` writes an explorer page for.
PAGE_SUFFIXES = (".html", ".htm")


def explore_command(
    expression: str,
    output: Path,
    assignments: Iterable[str],
    *,
    name: str | None = None,
    precision: int = 4,
    max_nodes: int | None = None,
    quiz: bool = False,
    lang: str | None = None,
) -> int:
    """``graphgrad explore``: build, backpropagate, write a page (``.html``) or a picture.

    ``max_nodes``: ``None`` for viz's default, ``0`` for no limit. ``quiz``: write the page in
    quiz mode, and keep the gradients off the terminal too. ``lang``: the language the page
    opens in (``None``: the browser's), or of a picture's words (``None``: English).
    Returns the exit status; errors are printed to stderr.
    """
    import viz  # only this subcommand needs viz (and Graphviz)
    from viz.backends import FORMATS
    from viz.messages import message

    output = Path(output)
    suffix = output.suffix.lower()
    if suffix not in PAGE_SUFFIXES and suffix not in FORMATS:
        choices = ", ".join((*PAGE_SUFFIXES, *sorted(FORMATS)))
        return _fail(f"-o {output}: cannot tell what to write from the suffix; use {choices}")
    if quiz and suffix not in PAGE_SUFFIXES:
        return _fail(f"--quiz writes a page: use -o with {' or '.join(PAGE_SUFFIXES)}, "
                     f"not {output.name}")
    options: dict[str, Any] = {"precision": precision}
    if max_nodes is not None:
        options["max_nodes"] = None if max_nodes == 0 else max_nodes
    try:
        root, leaves = build_graph(expression, parse_assignments(assignments), name=name)
        root.backward()
        if suffix in PAGE_SUFFIXES:
            viz.to_html(root, output, quiz=quiz, lang=lang, **options)
        else:
            viz.render(root, output, **options, **({"lang": lang} if lang else {}))
    except (ExpressionError, ValueError, TypeError) as err:
        return _fail(str(err))
    except ArithmeticError as err:  # e.g. a division by zero in the backward pass
        return _fail(f"{type(err).__name__} while computing {expression!r}: {err}")
    except viz.GraphvizNotFoundError as err:
        return _fail(str(err), status=1)
    text = lang or "en"  # what the terminal says, from viz.messages
    label = root.name or message("picture.output", text)
    print(message("explore.value", text, label=label, expression=expression,
                  value=viz.format_number(root.item(), precision)))
    if quiz:  # the answers are the learner's to find
        print(message("explore.wrote_quiz", text, path=output))
        return 0
    for leaf_name, leaf in leaves.items():
        grad = viz.format_number(leaf.grad, precision) if leaf.grad is not None else "-"
        print(message("explore.grad", text, label=label, name=leaf_name, grad=grad))
    print(message("explore.wrote", text, path=output))
    return 0


def _fail(message: str, status: int = 2) -> int:
    print(f"graphgrad explore: error: {message}", file=sys.stderr)
    return status
