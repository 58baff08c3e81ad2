"""viz.render / render_svg / draw: real pictures through pygraphviz, and the no-backend path."""

from __future__ import annotations

import pytest

import viz
from autograd import Node
from viz import backends as viz_render

needs_renderer = pytest.mark.skipif(viz.backend() is None, reason="no Graphviz renderer")


@needs_renderer
def test_png_is_really_produced(apple_orange, tmp_path):
    apple_orange.root.backward()
    path = viz.render(apple_orange.root, tmp_path / "price.png")
    data = path.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(data) > 2_000


@needs_renderer
def test_svg_and_pdf(apple_orange, tmp_path):
    apple_orange.root.backward()
    svg = viz.render(apple_orange.root, tmp_path / "price.svg").read_text(encoding="utf-8")
    for number in ("715", "650", "200", "450", "2.2", "110", "3.3", "165", "1.1"):
        assert f">{number}</text>" in svg, number
    assert "×" in svg and 'id="output"' in svg
    pdf = viz.render(apple_orange.root, tmp_path / "price.pdf").read_bytes()
    assert pdf.startswith(b"%PDF")


@needs_renderer
def test_svg_elements_carry_ids_from_node_ids(apple_orange):
    g = apple_orange
    svg = viz.render_svg(g.root, group=True)
    assert f'<g id="node{g.tax.id}" class="node">' in svg
    assert f'<g id="edge{g.tax.id}_{g.price.id}" class="edge">' in svg
    assert f'<g id="edge{g.price.id}_output" class="edge">' in svg


@needs_renderer
def test_render_svg_inline_has_no_xml_prolog(apple):
    svg = viz.render_svg(apple.root, inline=True)
    assert svg.startswith("<svg") and "<?xml" not in svg


@needs_renderer
def test_draw_for_jupyter(apple, tmp_path):
    apple.root.backward()
    drawing = viz.draw(apple.root)
    assert drawing.source == viz.to_dot(apple.root)
    assert drawing._repr_svg_().startswith("<svg")
    assert ">220</text>" in drawing._repr_svg_()
    assert drawing.render(tmp_path / "d.png").read_bytes().startswith(b"\x89PNG")
    assert "nodes" in repr(drawing)


@needs_renderer
def test_hostile_names_are_escaped_in_svg():
    a = Node(1.0, name='a"b<c>{d}|e\\f\ng')
    b = Node(2.0, name="</script><img src=x onerror=alert(1)>")
    y = a * b
    y.backward()
    svg = viz.render_svg(y)
    assert "<script" not in svg and "<img" not in svg
    assert "&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;</text>" in svg
    assert "a&quot;b&lt;c&gt;{d}|e\\f\\ng</text>" in svg


def test_dot_file_needs_no_renderer(apple, tmp_path, monkeypatch):
    monkeypatch.setattr(viz_render, "backend", lambda: None)
    path = viz.render(apple.root, tmp_path / "g.dot")
    assert path.read_text(encoding="utf-8") == viz.to_dot(apple.root)


def test_missing_renderer_says_what_to_install(apple, tmp_path, monkeypatch):
    monkeypatch.setattr(viz_render, "backend", lambda: None)
    with pytest.raises(viz.GraphvizNotFoundError, match="pip install pygraphviz"):
        viz.render(apple.root, tmp_path / "g.png")
    with pytest.raises(viz.GraphvizNotFoundError, match="pip install pygraphviz"):
        viz.render_svg(apple.root)


def test_unknown_suffix(apple, tmp_path):
    with pytest.raises(ValueError, match=r"\.png"):
        viz.render(apple.root, tmp_path / "g.bmp")


def test_system_dot_is_used_without_pygraphviz(apple, monkeypatch, tmp_path):
    """With only a `dot` program on PATH, rendering goes through it."""
    calls = []

    class Done:
        returncode = 0
        stdout = b"<svg/>"
        stderr = b""

    def fake_run(cmd, **kwargs):
        calls.append((cmd, kwargs["input"]))
        return Done()

    monkeypatch.setattr(viz_render, "backend", lambda: "dot")
    monkeypatch.setattr(viz_render.subprocess, "run", fake_run)
    assert viz.render_svg(apple.root) == "<svg/>"
    assert calls[0][0] == ["dot", "-Tsvg"]
    assert calls[0][1] == viz.to_dot(apple.root).encode("utf-8")


@needs_renderer
def test_svg_clusters_carry_ids():
    import autograd

    with autograd.scope("Affine1"):
        w = Node(2.0, name="w")
        y = w * 3.0
    svg = viz.render_svg(y, group=True)
    assert '<g id="cluster_0" class="cluster">' in svg
    assert ">Affine1</text>" in svg


def test_to_graphviz_wraps_the_same_dot():
    import graphviz

    a, b = Node(2.0, name="a"), Node(3.0, name="b")
    y = a * b
    y.backward()
    src = viz.to_graphviz(y)
    assert isinstance(src, graphviz.Source)
    assert src.source == viz.to_dot(y)
    assert "6" in src.source and "×" in src.source


def test_failed_render_keeps_the_old_file_and_leaves_no_temp(tmp_path, monkeypatch):
    a = Node(2.0, name="a")
    y = a * 3
    path = viz.render(y, tmp_path / "g.png")
    before = path.read_bytes()

    def broken(dot, fmt, dpi=None):
        raise RuntimeError("renderer crashed")

    monkeypatch.setattr(viz_render, "dot_to_bytes", broken)
    with pytest.raises(RuntimeError, match="renderer crashed"):
        viz.render(y, path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["g.png"]


def test_hostile_names_render_as_text_in_svg():
    # test_dot and test_html check the DOT text and the page; this follows the names through
    # Graphviz
    pytest.importorskip("pygraphviz")
    from xml.etree import ElementTree

    evil = '"]; injected [label="x</text><script>alert(1)</script>'
    odd = "a\\b{c}|<d>&amp;"
    a, b = Node(2.0, name=evil), Node(3.0, name=odd)
    y = a * b
    y.name = "<y&>"
    y.backward()
    svg = viz.render_svg(y)
    root = ElementTree.fromstring(svg)  # still well-formed XML
    tags = {el.tag.rsplit("}", 1)[-1] for el in root.iter()}
    assert "script" not in tags
    texts = [el.text for el in root.iter() if el.tag.endswith("text")]
    assert evil in texts and odd in texts and "<y&>" in texts
    assert svg.count('class="node"') == 4 and svg.count('class="edge"') == 3  # nothing injected


