"""viz.trace: one replay of the backward pass, the same for the frames and the page."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

import viz
from autograd import Node
from nn.models import TwoLayerNet
from viz.options import Options
from viz.trace import replay

needs_renderer = pytest.mark.skipif(viz.backend() is None, reason="no Graphviz renderer")
_DATA = re.compile(r'<script type="application/json" id="gg-data">(.*?)</script>', re.S)


def shared():
    a, b = Node(3.0, name="a"), Node(2.0, name="b")
    c = a * b
    return (c + a) * c


def unnamed_repeats():
    """``a × b`` computed twice: the two results must not share a name."""
    a, b = Node(2.0, name="a"), Node(3.0, name="b")
    return (a * b) + (a * b)


def two_layer_net():
    rng = np.random.default_rng(0)
    net = TwoLayerNet(input_size=6, hidden_size=4, output_size=3)
    x = Node(rng.random((5, 6)), name="x", requires_grad=False)
    return net.loss(x, np.eye(3)[[0, 1, 2, 0, 1]])


GRAPHS = {
    "apple_orange": lambda make: make("apple_orange").root,
    "shared": lambda make: shared(),
    "unnamed_repeats": lambda make: unnamed_repeats(),
    "two_layer_net": lambda make: two_layer_net(),
    "collapsed": lambda make: make("two_scopes").root,
}


@needs_renderer
@pytest.mark.parametrize("name", sorted(GRAPHS))
def test_frames_and_page_say_the_same_for_every_step(name, make_graph):
    root = GRAPHS[name](make_graph)
    options = {"group": True} if name != "collapsed" else {"collapse_scopes": True}
    frames = viz.backward_steps(root, **options)
    data = json.loads(_DATA.search(viz.to_html(root, **options)).group(1))
    page_steps = data["backward"]["steps"]
    assert len(frames) == len(page_steps) > 0
    for frame, step in zip(frames, page_steps):
        assert list(frame.layout.caption) == step["lines"]
        active = [n.id for n in frame.layout.nodes if n.highlight == "active"]
        assert active == [step["unit"]]


def test_no_two_nodes_share_a_name_in_the_captions():
    root = unnamed_repeats()
    rp = replay(root, None, Options(), "test")
    names = [rp.names[n] for n in rp.order]
    assert names == ["a", "b", "a × b #1", "a × b #2", "(a × b) + (a × b)"]
    heads = [s.lines[1] for s in rp.steps]
    assert len(set(heads)) == len(heads) == 3
    # constants are their value: two 3s are both "3"
    c = Node(1.0, name="c")
    rp = replay(c * 3.0 + c * 3.0, None, Options(), "test")
    assert [rp.names[n] for n in rp.order if n.op is None] == ["c", "3", "3"]


def test_layer_ops_are_named_by_their_layer():
    rp = replay(two_layer_net(), None, Options(group=True), "test")
    names = {rp.names[n] for n in rp.order if n.op is not None}
    assert names == {"Affine1", "Relu1", "Affine2", "SoftmaxWithLoss"}
    first = rp.steps[0].lines
    assert first[1].startswith("upstream gradient arriving at SoftmaxWithLoss: 1")


def test_replay_records_each_arrow_once_per_step(apple_orange):
    g = apple_orange
    rp = replay(g.root, None, Options(), "test")
    assert [s.index for s in rp.steps] == [1, 2, 3, 4]
    first = rp.steps[0]
    assert [u.edge for u in first.updates] == [
        f"edge{g.price.id}_output", f"edge{g.total.id}_{g.price.id}", f"edge{g.tax.id}_{g.price.id}"
    ]
    assert first.updates[2].calc == "1 × 650 = 650" and first.updates[2].before is None
    assert first.up == (f"edge{g.price.id}_output",)
    assert rp.final[f"edge{g.apple.id}_{g.apple_cost.id}"] == "2.2"
    assert [k for k, _ in rp.history[g.apple.id]] == [4]
    assert g.apple.grad is None  # the replay leaves .grad alone


def test_merged_arrows_carry_the_sum_of_their_paths(make_graph):
    root = make_graph("two_scopes").root
    rp = replay(root, None, Options(collapse_scopes=True), "test")
    merged = [e for e in rp.layout.edges if e.kind == "merged"]
    w = next(n for n in rp.order if n.name == "w")
    assert all(e.id in rp.final for e in merged if e.tail_node == w.id)
    root.backward()
    # w enters Layer1 once and Layer2 once; the two arrows show what each box sent back
    into = {e.head: rp.final[e.id] for e in merged if e.tail_node == w.id}
    assert sorted(into) == ["scope0", "scope1"]
    total = sum(float(v) for v in into.values())
    assert total == pytest.approx(float(w.grad), rel=1e-3)


@pytest.mark.parametrize("name", ["shared", "unnamed_repeats", "two_layer_net"])
def test_captions_in_another_language_are_those_of_a_replay_in_it(name, make_graph):
    """Replay.backward_captions / forward_lines in zh say what a replay in zh says (the
    paths adding up included), so the explorer's switch shows the frames' Chinese captions."""
    root = GRAPHS[name](make_graph)
    en = replay(root, None, Options(max_nodes=8), "test", "en")
    zh = replay(root, None, Options(max_nodes=8), "test", "zh")
    assert en.backward_captions("zh") == [s.lines for s in zh.steps]
    assert zh.backward_captions("en") == [s.lines for s in en.steps]
    assert en.forward_lines("zh") == zh.forward_lines()
    assert [s.lines for s in zh.steps] != [s.lines for s in en.steps]
    assert en.names_in("en") is en.names and en.names_in("zh").lang == "zh"


def test_chinese_captions_have_the_books_numbers(make_graph):
    rp = replay(make_graph("apple").root, None, Options(), "test", "zh")
    text = "\n".join(line for s in rp.steps for line in s.lines)
    assert "上游梯度 1 × 局部导数 200 = 200" in text  # → tax (fig. 5-14)
    assert "上游梯度 1.1 × 局部导数 2 = 2.2" in text  # → apple
    assert "上游梯度 1.1 × 局部导数 100 = 110" in text  # → apple_num
