"""viz.picture: render / draw through the options object; dpi makes PNGs sharp."""

from __future__ import annotations

import struct

import pytest

import viz

needs_renderer = pytest.mark.skipif(viz.backend() is None, reason="no Graphviz renderer")


def png_size(data: bytes) -> tuple[int, int]:
    return struct.unpack(">II", data[16:24])


@needs_renderer
def test_dpi_and_scale_set_the_png_size(apple_orange, tmp_path):
    root = apple_orange.root
    root.backward()
    small = png_size(viz.render(root, tmp_path / "a.png", dpi=72).read_bytes())
    default = png_size(viz.render(root, tmp_path / "b.png").read_bytes())
    big = png_size(viz.render(root, tmp_path / "c.png", scale=4).read_bytes())
    assert default[0] == pytest.approx(2 * small[0], rel=0.02)  # 144 dpi: sharp on a 2x screen
    assert big[0] == pytest.approx(4 * small[0], rel=0.02)
    # SVG is a vector picture: the same whatever the dpi
    assert viz.render_svg(root, dpi=72) == viz.render_svg(root, dpi=300)


@needs_renderer
def test_drawing_keeps_its_dpi(apple, tmp_path):
    drawing = viz.draw(apple.root, scale=1)
    one = png_size(drawing.render(tmp_path / "1.png").read_bytes())
    two = png_size(viz.draw(apple.root).render(tmp_path / "2.png").read_bytes())
    assert two[0] == pytest.approx(2 * one[0], rel=0.02)
