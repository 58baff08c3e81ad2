"""viz.labels: numbers as the textbook prints them, arrays in a few words, escaping."""

from __future__ import annotations

import math

import numpy as np
import pytest

from autograd import Node
from viz.labels import dot_string, format_number, format_value, html_text


@pytest.mark.parametrize(
    ("x", "text"),
    [
        (715.0000000000001, "715"),
        (2.2000000000000006, "2.2"),
        (110.00000000000001, "110"),
        (3.3000000000000003, "3.3"),
        (1.0, "1"),
        (0.1 + 0.2, "0.3"),
        (-0.0, "0"),
        (1e-12, "1e-12"),
        (123456.0, "1.235e+05"),
        (math.nan, "nan"),
        (-math.inf, "-inf"),
    ],
)
def test_format_number(x, text):
    assert format_number(x) == text


def test_precision():
    assert format_number(math.pi, 2) == "3.1"
    assert format_number(math.pi, 6) == "3.14159"


def test_format_value_scalars_arrays_and_nodes():
    assert format_value(None) == ""
    assert format_value(np.float64(2.2000000000000006)) == "2.2"
    assert format_value(np.array(5.0)) == "5"
    assert format_value(np.array([1.0, 2.5, 3.0])) == "[1, 2.5, 3]"
    assert format_value(np.arange(4.0).reshape(2, 2)) == "(2, 2) [0, 1, 2, 3]"
    assert format_value(np.zeros((0, 3))) == "(0, 3) empty"
    assert format_value(Node(7.0)) == "7"  # a gradient made with create_graph=True


def test_big_arrays_are_summarised():
    big = np.arange(100_000, dtype=float).reshape(100, 1000)
    text = format_value(big)
    assert text == "(100, 1000) μ=5e+04 σ=2.887e+04"
    assert len(format_value(np.random.default_rng(0).normal(size=(784, 50)))) < 60


def test_html_text_escapes_markup_and_control_characters():
    assert html_text('a"b<c>{d}|e\\f\ng') == "a&quot;b&lt;c&gt;{d}|e\\f\\ng"
    assert html_text("</script>") == "&lt;/script&gt;"
    assert html_text("&amp;") == "&amp;amp;"
    assert html_text("x\x00y") == "x\\x00y"
    assert html_text("∂y/∂x ×") == "∂y/∂x ×"


def test_dot_string_quotes_safely():
    assert dot_string('a"b') == '"a&quot;b"'
    assert dot_string("a\\N") == '"a\\\\N"'  # no Graphviz \N expansion
    assert dot_string("line1\nline2") == '"line1\\nline2"'
    assert dot_string("<img>") == '"&lt;img&gt;"'


# ---------------------------------------------------------------- names Graphviz/XML cannot carry
def test_display_name_replaces_and_shortens():
    from viz.labels import MAX_NAME_CHARS, display_name

    assert display_name("a\ud800b") == "a\ufffdb"
    assert display_name("a\uffffb\ufffe") == "a\ufffdb\ufffd"
    long = display_name("x" * 20000)
    assert len(long) == MAX_NAME_CHARS and long.endswith("…")
    assert display_name(None) == "" and display_name("apple") == "apple"


@pytest.mark.parametrize("name", ["a\ud800b", "x" * 20000, "a\uffffb", "a\ufffeb"])
def test_hostile_names_draw_as_well_formed_svg_and_pages(name, tmp_path):
    import xml.dom.minidom

    import autograd
    import viz
    from autograd import Node

    if viz.backend() is None:
        pytest.skip("no Graphviz renderer")
    with autograd.scope(name):
        x = Node(2.0, name=name, requires_grad=True)
        y = x * x
    y.name = name
    y.backward()
    shown = "a\ufffdb" if len(name) == 3 else "x" * 59 + "…"
    for options in ({}, {"group": True}, {"collapse_scopes": True}):
        svg = viz.render_svg(y, **options)
        xml.dom.minidom.parseString(svg.encode("utf-8"))  # well-formed XML
        assert shown in svg
    page = viz.to_html(y, tmp_path / "p.html", group=True).read_text(encoding="utf-8")
    assert shown in page
    assert viz.render(y, tmp_path / "p.png").read_bytes().startswith(b"\x89PNG")
