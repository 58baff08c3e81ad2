"""viz.Options: the drawing options, declared and checked in one place."""

from __future__ import annotations

import pytest

import viz
from viz.options import DEFAULT_DPI, Options


def test_defaults():
    o = Options()
    assert (o.show, o.precision, o.max_nodes, o.rankdir, o.dpi) == ("both", 4, 150, "LR", 144)
    assert o.lang == "en" and Options.of("f", {"lang": "zh"}).lang == "zh"
    assert DEFAULT_DPI == 2 * 72


def test_scale_is_dpi_over_72():
    assert Options.of("f", {"scale": 3}).dpi == 216
    with pytest.raises(TypeError, match="dpi= or scale="):
        Options.of("f", {"scale": 2, "dpi": 100})
    with pytest.raises(ValueError, match="scale=0"):
        Options.of("f", {"scale": 0})


@pytest.mark.parametrize(
    ("options", "error", "match"),
    [
        ({"show": "all"}, ValueError, r"viz.render: show='all'"),
        ({"precision": 0}, ValueError, r"viz.render: precision=0"),
        ({"max_nodes": 0}, ValueError, r"viz.render: max_nodes=0"),
        ({"max_nodes": True}, ValueError, r"max_nodes=True"),
        ({"rankdir": "XY"}, ValueError, r"rankdir='XY'"),
        ({"dpi": 5}, ValueError, r"dpi=5"),
        ({"params": [1]}, TypeError, r"params: expected a dict"),
        ({"colour": "red"}, TypeError, r"unknown option 'colour'.*max_nodes"),
        ({"lang": "fr"}, ValueError, r"viz.render: lang='fr': choose one of 'en', 'zh'"),
    ],
)
def test_bad_options_name_the_function_and_the_option(options, error, match):
    with pytest.raises(error, match=match):
        Options.of("viz.render", options)


def test_an_options_object_can_be_passed_and_overridden(apple):
    base = Options(show="values", precision=2)
    assert Options.of("f", {"options": base, "precision": 3}) == Options(show="values", precision=3)
    assert viz.to_dot(apple.root, options=base) == viz.to_dot(apple.root, show="values",
                                                              precision=2)
    with pytest.raises(TypeError, match="viz.Options"):
        Options.of("f", {"options": {"show": "values"}})


def test_every_public_function_takes_the_same_options(apple, tmp_path):
    with pytest.raises(TypeError, match="viz.to_dot: unknown option 'colour'"):
        viz.to_dot(apple.root, colour=1)
    with pytest.raises(TypeError, match="viz.backward_steps: unknown option"):
        viz.backward_steps(apple.root, colour=1)
    with pytest.raises(TypeError, match="viz.to_html: unknown option"):
        viz.to_html(apple.root, colour=1)
    with pytest.raises(ValueError, match="viz.draw: show="):
        viz.draw(apple.root, show="x")
