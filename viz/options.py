"""The drawing options, declared once: every public viz function takes them as keywords.

``viz.to_dot(root, show="grads", max_nodes=50)``, ``viz.render``, ``viz.draw``,
``viz.backward_steps`` and ``viz.to_html`` all turn their keyword options into one
:class:`Options` with :meth:`Options.of`, which checks them and names the function in its errors.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from .messages import LANGS

__all__ = ["DEFAULT_MAX_NODES", "Options", "SHOW_CHOICES", "RANKDIRS"]

#: Default ``max_nodes``: beyond ~150 labelled nodes the picture is unreadable, and the PNG of
#: a long chain gets so wide (tens of thousands of pixels) that rasterising it takes seconds.
#: ``max_nodes=None`` draws everything.
DEFAULT_MAX_NODES = 150

SHOW_CHOICES = ("both", "values", "grads")
RANKDIRS = ("LR", "RL", "TB", "BT")

#: Pixels per inch of PNG and GIF pictures by default: twice Graphviz's 72 points per inch and
#: 1.33 times its usual 96, so pictures stay sharp on a 2x ("retina") screen and the smallest
#: text (10 pt) is 20 px tall.
DEFAULT_DPI = 144


@dataclasses.dataclass(frozen=True)
class Options:
    """How to draw a graph.

    Attributes:
        show: ``"both"`` (values above the arrows, gradients below in red), ``"values"`` or
            ``"grads"``.
        precision: significant digits for numbers (715.0000000000001 -> ``715``).
        params: ``{name: Node}`` naming nodes (overrides ``Node.name``), as in torchviz.
        group: frame the nodes of each ``autograd.scope`` (nested scopes nest).
        collapse_scopes: draw each top-level scope as a single box.
        max_nodes: draw at most this many nodes, the ones nearest the output; the rest are
            folded into one ``"… N nodes folded"`` box. ``None``: no limit.
        rankdir: Graphviz direction, ``"LR"`` (left to right) as in the textbook.
        dpi: pixels per inch of PNG and GIF output (``scale=2`` is ``dpi=144``); SVG and PDF
            are vector pictures and ignore it.
        lang: the language of the words in the picture (captions of the frames, the output
            marker, the folded box, the note, tooltips): ``"en"`` or ``"zh"`` (Simplified
            Chinese, the terms of 《深度学习入门》); see :mod:`viz.messages`. Node names are the
            user's and are never translated.
    """

    show: str = "both"
    precision: int = 4
    params: Mapping[str, Any] | None = None
    group: bool = False
    collapse_scopes: bool = False
    max_nodes: int | None = DEFAULT_MAX_NODES
    rankdir: str = "LR"
    dpi: float = DEFAULT_DPI
    lang: str = "en"

    def __post_init__(self) -> None:
        self.check("viz")

    def check(self, caller: str) -> None:
        """Raise a ValueError/TypeError naming `caller` and the bad option."""
        if self.show not in SHOW_CHOICES:
            raise ValueError(
                f"{caller}: show={self.show!r}: choose one of {', '.join(map(repr, SHOW_CHOICES))}"
            )
        if not isinstance(self.precision, int) or self.precision < 1:
            raise ValueError(
                f"{caller}: precision={self.precision!r}: use a whole number of significant "
                "digits >= 1"
            )
        m = self.max_nodes
        if m is not None and (not isinstance(m, int) or isinstance(m, bool) or m < 1):
            raise ValueError(
                f"{caller}: max_nodes={m!r}: use a positive int, or None to draw all nodes"
            )
        if self.rankdir not in RANKDIRS:
            raise ValueError(
                f"{caller}: rankdir={self.rankdir!r}: choose one of {', '.join(RANKDIRS)}"
            )
        if isinstance(self.dpi, bool) or not isinstance(self.dpi, (int, float)) or not (
            18 <= self.dpi <= 1200
        ):
            raise ValueError(f"{caller}: dpi={self.dpi!r}: use a number from 18 to 1200 (72 = 1x)")
        if self.lang not in LANGS:
            raise ValueError(f"{caller}: lang={self.lang!r}: choose one of "
                             f"{', '.join(map(repr, LANGS))} (English or Simplified Chinese)")
        if self.params is not None and not isinstance(self.params, Mapping):
            raise TypeError(
                f"{caller}: params: expected a dict {{name: Node}} (like torchviz "
                f"make_dot(params=...)), got {type(self.params).__name__}"
            )

    @classmethod
    def of(cls, caller: str, options: Mapping[str, Any]) -> Options:
        """Options from keyword arguments; ``scale=2`` is accepted for ``dpi=144``.

        An ``options=Options(...)`` keyword is taken as is (others then override it).
        """
        options = dict(options)
        base = options.pop("options", None)
        if base is not None and not isinstance(base, Options):
            raise TypeError(f"{caller}: options= expects viz.Options, got {type(base).__name__}")
        if "scale" in options:
            scale = options.pop("scale")
            if "dpi" in options:
                raise TypeError(f"{caller}: give dpi= or scale=, not both")
            if isinstance(scale, bool) or not isinstance(scale, (int, float)) or scale <= 0:
                raise ValueError(f"{caller}: scale={scale!r}: use a positive number (2 = 2x)")
            options["dpi"] = 72 * scale
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(options) - names)
        if unknown:
            raise TypeError(
                f"{caller}: unknown option {', '.join(map(repr, unknown))}; the options are "
                f"{', '.join(sorted(names | {'scale'}))}"
            )
        try:
            return dataclasses.replace(base or cls(), **options)
        except (ValueError, TypeError) as err:
            raise type(err)(str(err).replace("viz:", f"{caller}:", 1)) from None
