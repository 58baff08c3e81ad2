"""Helpers for the command-line tests."""

from __future__ import annotations

import re
import string

import pytest

from viz.messages import MESSAGES


def _line_patterns(lang: str) -> list[re.Pattern[str]]:
    """One pattern per line of every catalogue text in `lang`, its {fields} matching anything.

    Lines that are nothing but fields (``"  {path}"``) would match any line: they are left out,
    and the tests account for such lines themselves.
    """
    patterns = []
    for entry in MESSAGES.values():
        for line in entry[lang].splitlines():
            if not "".join(literal for literal, *_ in string.Formatter().parse(line)).strip():
                continue
            parts = [re.escape(literal) + (".*?" if field is not None else "")
                     for literal, field, _, _ in string.Formatter().parse(line)]
            patterns.append(re.compile("".join(parts)))
    return patterns


@pytest.fixture
def from_catalogue():
    """``from_catalogue(text, lang)``: the lines of `text` that no catalogue text in `lang`
    accounts for (an empty list: every line the learner reads comes from viz.messages)."""

    def strays(text: str, lang: str) -> list[str]:
        patterns = _line_patterns(lang)
        return [line for line in text.splitlines()
                if line.strip() and not any(p.fullmatch(line) for p in patterns)]

    return strays
