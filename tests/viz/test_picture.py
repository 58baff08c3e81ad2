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


def drawn(dot: str) -> dict:
    """Where Graphviz put things (its JSON output, y upwards): node centres, frames, labels."""
    import json

    data = json.loads(viz.dot_to_bytes(dot, "json"))
    frames = {o["id"]: tuple(map(float, o["bb"].split(","))) for o in data["objects"]
              if o.get("id", "").startswith("cluster") and "bb" in o}
    centres = {o["id"]: tuple(map(float, o["pos"].split(","))) for o in data["objects"]
               if "pos" in o}
    labels = {}
    for e in data.get("edges", []):
        texts = [op for op in e.get("_ldraw_", []) if op["op"] == "T"]
        if texts:  # (left, bottom, right, top) of the label's text
            x0 = min(t["pt"][0] - (t["width"] / 2 if t["align"] == "c" else 0) for t in texts)
            x1 = max(t["pt"][0] + (t["width"] / 2 if t["align"] == "c" else t["width"])
                     for t in texts)
            labels[e["id"]] = (x0, min(t["pt"][1] for t in texts) - 3, x1,
                               max(t["pt"][1] for t in texts) + 9)
    return {"frames": frames, "centres": centres, "labels": labels}


def straddles(box: tuple, frame: tuple) -> bool:
    """Whether `box` lies across a border of `frame` (neither inside nor outside it)."""
    inside = box[0] >= frame[0] and box[1] >= frame[1] and box[2] <= frame[2] and box[3] <= frame[3]
    outside = box[2] <= frame[0] or box[0] >= frame[2] or box[3] <= frame[1] or box[1] >= frame[3]
    return not (inside or outside)


@needs_renderer
@pytest.mark.parametrize("rankdir", ["LR", "TB"])
def test_layer_parameters_in_expression_order_and_labels_clear_of_frames(make_graph, rankdir):
    g = make_graph("two_layer")
    g.root.backward()
    layout = viz.build_layout(g.root, group=True, rankdir=rankdir)
    ids = {n.label: n.id for n in layout.nodes if n.kind == "param"}
    where = drawn(viz.layout_to_dot(layout))
    for k in (1, 2):  # Y = X · W + b: W above b (left of it, top to bottom)
        (wx, wy), (bx, by) = where["centres"][ids[f"W{k}"]], where["centres"][ids[f"b{k}"]]
        assert (wy > by) if rankdir == "LR" else (wx < bx), (k, rankdir, where["centres"])
    if rankdir == "LR":
        # every arrow's label is inside or outside each layer's frame, never drawn across it;
        # the data path's arrow into a layer has its label before the frame
        for edge, box in where["labels"].items():
            for frame, bb in where["frames"].items():
                assert not straddles(box, bb), (edge, box, frame, bb)
        layers = {e.head for e in layout.edges if e.tail in ids.values()}
        main_in = [e for e in layout.edges if e.main and e.head in layers]
        assert len(main_in) == 2
        for e in main_in:
            frame = next(c.id for c in layout.clusters if e.head in c.members)
            assert where["labels"][e.id][2] <= where["frames"][frame][0], (e.id, frame)
