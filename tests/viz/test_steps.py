"""viz.backward_steps: one frame per op node, in the engine's order, gradients appearing."""

from __future__ import annotations

import re
import sys

import pytest

import autograd
import viz
from autograd import Node

GRAD = "#d00000"
TOTAL = "#1d4ed8"

needs_renderer = pytest.mark.skipif(viz.backend() is None, reason="no Graphviz renderer")


def visible(rows, color):
    return [t for c, t in rows if c == color]


def test_one_frame_per_op_node_in_engine_order(apple_orange):
    steps = viz.backward_steps(apple_orange.root)
    trace = autograd.backward_trace(apple_orange.root)
    assert len(steps) == 4 == sum(1 for n in autograd.topological_order(apple_orange.root) if n.op)
    assert [f.step.node.id for f in steps] == [s.node.id for s in trace]
    assert [f.index for f in steps] == [1, 2, 3, 4]
    with_forward = viz.backward_steps(apple_orange.root, forward_frame=True)
    assert len(with_forward) == 5 and with_forward[0].step is None


def test_backward_steps_leaves_grads_alone(apple_orange):
    viz.backward_steps(apple_orange.root)
    assert apple_orange.tax.grad is None and apple_orange.root.grad is None


def test_first_frame_processes_the_root(apple_orange, edge_rows):
    g = apple_orange
    frame = viz.backward_steps(g.root)[0]
    rows = edge_rows(frame.source)
    assert visible(rows[f"edge{g.price.id}_output"], GRAD) == ["1"]  # the seed
    assert visible(rows[f"edge{g.tax.id}_{g.price.id}"], GRAD) == ["650"]
    assert visible(rows[f"edge{g.total.id}_{g.price.id}"], GRAD) == ["1.1"]
    # upstream × local = contribution, under the edges of the node being processed
    texts = [t for r in rows.values() for _, t in r]
    assert "1 × 650 = 650" in texts and "1 × 1.1 = 1.1" in texts
    # nothing has reached the leaves yet
    assert visible(rows[f"edge{g.apple.id}_{g.apple_cost.id}"], GRAD) == []
    active = [n for n in frame.layout.nodes if n.highlight == "active"]
    assert [n.id for n in active] == [f"node{g.price.id}"]
    assert frame.layout.caption[0].startswith("Step 1/4: backward through ×")


def test_gradients_appear_frame_by_frame(apple_orange, edge_rows):
    g = apple_orange
    steps = viz.backward_steps(g.root, forward_frame=True)
    counts = [sum(len(visible(r, GRAD)) for r in edge_rows(f.source).values()) for f in steps]
    assert counts == [0, 3, 5, 7, 9]  # output+2, +2, +2, +2
    final = edge_rows(steps[-1].source)
    assert visible(final[f"edge{g.apple.id}_{g.apple_cost.id}"], GRAD) == ["2.2"]
    assert visible(final[f"edge{g.apple_num.id}_{g.apple_cost.id}"], GRAD) == ["110"]
    assert visible(final[f"edge{g.orange.id}_{g.orange_cost.id}"], GRAD) == ["3.3"]
    assert visible(final[f"edge{g.orange_num.id}_{g.orange_cost.id}"], GRAD) == ["165"]


def test_contributions_from_several_paths_are_summed(edge_rows):
    a = Node(3.0, name="a")
    b = a + a
    c = b * b
    steps = viz.backward_steps(c)
    assert len(steps) == 2
    first, second = (edge_rows(f.source) for f in steps)
    assert visible(first[f"edge{b.id}_{c.id}_1"], TOTAL) == ["Σ 6 + 6 = 12"]
    assert visible(second[f"edge{a.id}_{b.id}_1"], TOTAL) == ["Σ 12 + 12 = 24"]
    assert visible(second[f"edge{b.id}_{c.id}_1"], TOTAL) == ["Σ 6 + 6 = 12"]  # stays shown
    assert any("12 + 12 = 24" in line for line in steps[1].layout.caption)
    c.backward()
    assert a.grad == 24


def test_all_frames_share_one_layout(apple_orange):
    """Hidden text is kept (invisible), so Graphviz places every node in the same spot."""
    pygraphviz = pytest.importorskip("pygraphviz")
    steps = viz.backward_steps(apple_orange.root, forward_frame=True)

    def positions(frame):
        dot = frame.source.replace("graph [label=", "graph [xlabel=")  # captions aside
        graph = pygraphviz.AGraph(string=dot)
        graph.layout(prog="dot")
        return {n: graph.get_node(n).attr["pos"] for n in graph.nodes()}

    first = positions(steps[0])
    assert all(positions(f) == first for f in steps[1:])


def test_hidden_rows_are_transparent_not_missing(apple_orange, edge_rows):
    frame = viz.backward_steps(apple_orange.root)[0]
    rows = edge_rows(frame.source)[f"edge{apple_orange.apple.id}_{apple_orange.apple_cost.id}"]
    assert ("transparent", "2.2") in rows


def test_no_gradient_for_constants(edge_rows):
    w = Node(2.0, name="w")
    x = Node(5.0, name="x", requires_grad=False)
    y = w * x
    frame = viz.backward_steps(y)[0]
    rows = edge_rows(frame.source)
    assert visible(rows[f"edge{x.id}_{y.id}"], GRAD) == []
    assert visible(rows[f"edge{w.id}_{y.id}"], GRAD) == ["5"]
    assert any("no gradient" in line for line in frame.layout.caption)


def test_arrays_and_collapsed_scopes():
    import numpy as np

    with autograd.scope("Affine1"):
        w = Node(np.ones((3, 2)), name="W")
        h = Node(np.arange(6.0).reshape(2, 3), requires_grad=False) @ w
    loss = (h * h).sum()
    steps = viz.backward_steps(loss, collapse_scopes=True)
    assert len(steps) == 3
    dot = steps[-1].source
    assert 'id="scope0"' in dot and "highlight" not in dot
    assert 'fillcolor="#fde68a"' in dot  # the collapsed Affine1 box is the active node


@needs_renderer
def test_gif_and_numbered_frames(apple_orange, tmp_path):
    image = pytest.importorskip("PIL.Image")
    steps = viz.backward_steps(apple_orange.root, forward_frame=True)
    gif = steps.save_gif(tmp_path / "backward.gif", duration=500)
    with image.open(gif) as im:
        assert im.format == "GIF" and im.n_frames == 5
    pngs = steps.save_frames(tmp_path / "frames")
    assert [p.name for p in pngs] == [f"step_{i:02d}.png" for i in range(5)]
    assert all(p.read_bytes().startswith(b"\x89PNG") for p in pngs)
    svgs = steps.save_frames(tmp_path / "svg", fmt="svg")
    assert "1 × 650 = 650" in svgs[1].read_text(encoding="utf-8")


def test_widget_without_ipywidgets_says_what_to_install(apple, monkeypatch):
    monkeypatch.setitem(sys.modules, "ipywidgets", None)  # makes `import ipywidgets` fail
    with pytest.raises(ImportError, match="pip install ipywidgets"):
        viz.backward_steps(apple.root).widget()


def test_gif_without_pillow_says_what_to_install(apple, monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "PIL", None)
    with pytest.raises(ImportError, match="pip install pillow"):
        viz.backward_steps(apple.root).save_gif(tmp_path / "x.gif")


def test_frame_captions_name_inputs(apple):
    captions = [line for f in viz.backward_steps(apple.root) for line in f.layout.caption]
    assert any(re.search(r"→ tax: 1 × 200 = 200", line) for line in captions)
    assert any(re.search(r"→ apple_num: 1\.1 × 100 = 110", line) for line in captions)


@needs_renderer
def test_widget_slider_steps_through_frames(apple):
    pytest.importorskip("ipywidgets")
    widget = viz.backward_steps(apple.root, forward_frame=True).widget()
    slider, view = widget.children
    assert slider.max == 2
    before = view.value
    slider.value = 2
    assert view.value != before and "1.1 × 100 = 110" in view.value


def test_no_text_in_a_default_frame_is_under_12_px(apple_orange):
    frames = viz.backward_steps(apple_orange.root, forward_frame=True)
    assert {f.dpi for f in frames} == {viz.Options().dpi}
    for f in frames:
        sizes = [float(s) for s in re.findall(r'(?:point-size="|fontsize=)([\d.]+)', f.source)]
        assert sizes and min(sizes) * f.dpi / 72 >= 12  # points at dpi -> pixels


@needs_renderer
def test_gif_frames_follow_dpi(apple, tmp_path):
    image = pytest.importorskip("PIL.Image")
    small = viz.backward_steps(apple.root, scale=1).save_gif(tmp_path / "1.gif")
    sharp = viz.backward_steps(apple.root).save_gif(tmp_path / "2.gif")
    with image.open(small) as a, image.open(sharp) as b:
        assert b.width == pytest.approx(2 * a.width, rel=0.03)


def test_frames_speak_chinese_with_lang_zh(apple):
    """lang="zh": the forward frame with its legend, each step's caption with the book's
    numbers (fig. 5-14), and the output marker; the numbers on the arrows are unchanged."""
    en = viz.backward_steps(apple.root, forward_frame=True)
    zh = viz.backward_steps(apple.root, forward_frame=True, lang="zh")
    assert zh[0].layout.caption == ("正向传播：值从左向右传递",
                                    "箭头上方是值（正向传播），下方红色的是梯度（反向传播）")
    assert en[0].layout.caption[1] == ("values above the arrows (forward), gradients below in "
                                       "red (backward)")
    text = "\n".join(line for f in zh for line in f.layout.caption)
    assert "上游梯度 1.1 × 局部导数 2 = 2.2" in text and "上游梯度 1 × 局部导数 200 = 200" in text
    assert "上游梯度 1.1 × 局部导数 100 = 110" in text
    assert [[e.grad for e in f.layout.edges] for f in zh] == \
        [[e.grad for e in f.layout.edges] for f in en]
    assert any(n.label == "输出" for n in zh[-1].layout.nodes)
