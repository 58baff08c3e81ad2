"""viz.to_dot / layout_to_dot: goldens, textbook numbers on the right edges, options, safety.

Regenerate the golden files after an intended change of the picture with::

    VIZ_UPDATE_GOLDEN=1 pytest tests/viz/test_dot.py
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pytest

import autograd
import viz
from autograd import Node

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("VIZ_UPDATE_GOLDEN") == "1"

GRAD = "#d00000"


def values_and_grads(rows):
    """Split an edge's rows into (value texts, gradient texts)."""
    return [t for c, t in rows if c == "black"], [t for c, t in rows if c == GRAD]


# ---------------------------------------------------------------- goldens
@pytest.mark.parametrize("graph", ["apple", "apple_orange", "two_layer"])
@pytest.mark.parametrize("when", ["before", "after"])
def test_golden_dot(make_graph, normalize, graph, when):
    g = make_graph(graph)
    if when == "after":
        g.root.backward()
    dot = normalize(viz.to_dot(g.root, group=graph == "two_layer"))
    path = GOLDEN / f"{graph}_{when}_backward.dot"
    if UPDATE:
        path.parent.mkdir(exist_ok=True)
        path.write_text(dot, encoding="utf-8")
    assert path.exists(), f"missing golden {path.name}: run with VIZ_UPDATE_GOLDEN=1"
    assert dot == path.read_text(encoding="utf-8")


def test_dot_is_byte_identical_for_the_same_graph(make_graph, normalize):
    first, second = make_graph("apple_orange"), make_graph("apple_orange")
    first.root.backward()
    second.root.backward()
    assert viz.to_dot(first.root) == viz.to_dot(first.root)
    assert normalize(viz.to_dot(first.root)) == normalize(viz.to_dot(second.root))


# ---------------------------------------------------------------- numbers on edges
def test_apple_numbers_on_the_right_edges(apple, edge_rows):
    apple.root.backward()
    rows = edge_rows(viz.to_dot(apple.root))
    a, n, t, cost, price = apple.apple, apple.apple_num, apple.tax, apple.cost, apple.price
    expect = {
        f"edge{a.id}_{cost.id}": (["100"], ["2.2"]),
        f"edge{n.id}_{cost.id}": (["2"], ["110"]),
        f"edge{cost.id}_{price.id}": (["200"], ["1.1"]),
        f"edge{t.id}_{price.id}": (["1.1"], ["200"]),
        f"edge{price.id}_output": (["220"], ["1"]),
    }
    assert {k: values_and_grads(v) for k, v in rows.items()} == expect


def test_apple_orange_numbers_on_the_right_edges(apple_orange, edge_rows):
    g = apple_orange
    g.root.backward()
    rows = edge_rows(viz.to_dot(g.root))

    def edge(tail, head):
        return values_and_grads(rows[f"edge{tail.id}_{head.id}"])

    assert edge(g.apple, g.apple_cost) == (["100"], ["2.2"])
    assert edge(g.apple_num, g.apple_cost) == (["2"], ["110"])
    assert edge(g.orange, g.orange_cost) == (["150"], ["3.3"])
    assert edge(g.orange_num, g.orange_cost) == (["3"], ["165"])
    assert edge(g.apple_cost, g.total) == (["200"], ["1.1"])
    assert edge(g.orange_cost, g.total) == (["450"], ["1.1"])
    assert edge(g.total, g.price) == (["650"], ["1.1"])
    assert edge(g.tax, g.price) == (["1.1"], ["650"])
    assert values_and_grads(rows[f"edge{g.price.id}_output"]) == (["715"], ["1"])
    assert len(rows) == 9


def test_before_backward_only_values(apple_orange, edge_rows):
    rows = edge_rows(viz.to_dot(apple_orange.root))
    assert all(values_and_grads(r)[1] == [] for r in rows.values())
    assert values_and_grads(rows[f"edge{apple_orange.price.id}_output"]) == (["715"], [])


@pytest.mark.parametrize(
    ("show", "expect"),
    [("both", (["715"], ["1"])), ("values", (["715"], [])), ("grads", ([], ["1"]))],
)
def test_show_option(apple_orange, edge_rows, show, expect):
    apple_orange.root.backward()
    rows = edge_rows(viz.to_dot(apple_orange.root, show=show))
    assert values_and_grads(rows[f"edge{apple_orange.price.id}_output"]) == expect


def test_precision_option(apple_orange, edge_rows):
    apple_orange.root.backward()
    rows = edge_rows(viz.to_dot(apple_orange.root, precision=2))
    # 715 at two significant digits
    assert values_and_grads(rows[f"edge{apple_orange.price.id}_output"])[0] == ["7.2e+02"]


# ---------------------------------------------------------------- drawing conventions
def test_op_nodes_are_circles_with_symbols(apple_orange):
    dot = viz.to_dot(apple_orange.root)
    assert re.search(rf"node{apple_orange.total.id} \[[^\]]*shape=circle[^\]]*label=<\+>", dot)
    assert re.search(rf"node{apple_orange.price.id} \[[^\]]*shape=circle[^\]]*label=<×>", dot)
    assert "rankdir=LR" in dot


def test_parameters_and_inputs_look_different():
    w = Node(2.0, name="w")
    x = Node(3.0, name="x", requires_grad=False)
    y = w * x * 4  # 4 becomes an unnamed constant leaf
    layout = viz.build_layout(y)
    kinds = {n.label: n.kind for n in layout.nodes}
    assert kinds["w"] == "param" and kinds["x"] == "input" and kinds["4"] == "input"
    dot = viz.layout_to_dot(layout)
    w_line = next(line for line in dot.splitlines() if f"node{w.id} [" in line)
    x_line = next(line for line in dot.splitlines() if f"node{x.id} [" in line)
    assert "fillcolor" in w_line and "shape=box" in w_line
    assert "shape=plaintext" in x_line


def test_arrays_are_summarised_not_dumped(edge_rows):
    x = Node(np.arange(10_000, dtype=float).reshape(100, 100), name="x")
    y = (x * 2.0).sum()
    y.backward()
    dot = viz.to_dot(y)
    assert len(dot) < 5_000
    rows = edge_rows(dot)
    value = values_and_grads(rows[f"edge{x.id}_{y.inputs[0].id}"])[0][0]
    assert value.startswith("(100, 100) μ=")


def test_small_arrays_show_their_values(edge_rows):
    x = Node(np.array([1.0, 2.0, 3.0]), name="x")
    y = (x * x).sum()
    y.backward()
    rows = edge_rows(viz.to_dot(y))
    square = y.inputs[0]
    assert values_and_grads(rows[f"edge{x.id}_{square.id}_0"]) == (["[1, 2, 3]"], ["[2, 4, 6]"])


def test_repeated_input_gets_distinct_edge_ids(edge_rows):
    x = Node(3.0, name="x")
    y = x * x
    y.backward()
    rows = edge_rows(viz.to_dot(y))
    assert set(rows) == {f"edge{x.id}_{y.id}_0", f"edge{x.id}_{y.id}_1", f"edge{y.id}_output"}
    assert values_and_grads(rows[f"edge{x.id}_{y.id}_0"]) == (["3"], ["6"])


def test_create_graph_gradients_are_shown_as_numbers(edge_rows):
    x = Node(3.0, name="x")
    y = x * x * x
    y.backward(create_graph=True)
    assert isinstance(x.grad, Node)
    rows = edge_rows(viz.to_dot(y))
    grads = {t for r in rows.values() for t in values_and_grads(r)[1]}
    assert "27" in grads  # dy/dx = 3 x^2


def test_every_element_has_a_unique_stable_id(apple_orange):
    layout = viz.build_layout(apple_orange.root, group=True)
    ids = [n.id for n in layout.nodes] + [e.id for e in layout.edges]
    assert len(ids) == len(set(ids))
    assert f"node{apple_orange.tax.id}" in ids
    assert f"edge{apple_orange.tax.id}_{apple_orange.price.id}" in ids
    dot = viz.layout_to_dot(layout)
    for i in ids:
        assert f'id="{i}"' in dot


def test_bad_arguments_say_what_to_do(apple):
    with pytest.raises(TypeError, match="expected an autograd.Node"):
        viz.to_dot(3.0)
    with pytest.raises(ValueError, match="show="):
        viz.to_dot(apple.root, show="everything")
    with pytest.raises(ValueError, match="max_nodes"):
        viz.to_dot(apple.root, max_nodes=0)
    with pytest.raises(TypeError, match="params"):
        viz.to_dot(apple.root, params=[apple.tax])


# ---------------------------------------------------------------- hostile names
HOSTILE = ['a"b<c>{d}|e\\f\ng', "</script><img src=x onerror=alert(1)>", "]; x -> y; [", "&amp;"]


def hostile_graph():
    nodes = [Node(float(i + 1), name=name) for i, name in enumerate(HOSTILE)]
    with autograd.scope('scope"<b>{}|\\\n'):
        y = nodes[0] * nodes[1] + nodes[2] * nodes[3]
    y.name = HOSTILE[1]
    y.backward()
    return y, nodes


def test_hostile_names_stay_text_in_dot():
    pygraphviz = pytest.importorskip("pygraphviz")
    y, nodes = hostile_graph()
    for group in (False, True):
        dot = viz.to_dot(y, group=group, params={HOSTILE[0] + "!": nodes[0]})
        graph = pygraphviz.AGraph(string=dot)
        # 4 leaves + 3 ops + output marker, 7 edges: no name added or removed a statement
        assert graph.number_of_nodes() == 8
        assert graph.number_of_edges() == 7
        assert "<script" not in dot and "<img" not in dot
        assert "&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;" in dot
        assert "a&quot;b&lt;c&gt;{d}|e\\f\\ng" in dot  # newline shown as the text \n
        assert "x -> y" not in dot.replace("]; x -> y; [", "")  # only inside a label


def test_hostile_names_in_collapsed_scope_and_folded_box():
    y, _ = hostile_graph()
    dot = viz.to_dot(y, collapse_scopes=True)
    assert "scope&quot;&lt;b&gt;{}|\\\\n" in dot


# ---------------------------------------------------------------- big graphs
def mlp_like():
    rng = np.random.default_rng(0)
    x = Node(rng.normal(size=(4, 3)), name="x", requires_grad=False)
    with autograd.scope("Affine1"):
        w1, b1 = Node(rng.normal(size=(3, 5)), name="W1"), Node(np.zeros(5), name="b1")
        h = x @ w1 + b1
    with autograd.scope("ReLU1"):
        h = h.relu()
    with autograd.scope("Affine2"):
        with autograd.scope("inner"):
            w2, b2 = Node(rng.normal(size=(5, 2)), name="W2"), Node(np.zeros(2), name="b2")
            y = h @ w2 + b2
    loss = (y * y).mean()
    loss.backward()
    return loss


def test_group_draws_nested_clusters():
    dot = viz.to_dot(mlp_like(), group=True)
    assert dot.count("subgraph cluster_") == 4  # Affine1, ReLU1, Affine2, Affine2/inner
    assert "label=<Affine1>" in dot and "label=<inner>" in dot
    # nested: "inner" opens before "Affine2" closes
    affine2 = dot.index("label=<Affine2>")
    assert affine2 < dot.index("label=<inner>")


def test_collapse_scopes_draws_one_box_per_scope():
    layout = viz.build_layout(mlp_like(), collapse_scopes=True)
    scopes = [n for n in layout.nodes if n.kind == "scope"]
    assert [n.label for n in scopes] == ["Affine1", "ReLU1", "Affine2"]
    assert "W1 (3, 5)" in scopes[0].detail and "2 ops" in scopes[0].detail
    # x, 3 scopes, the 2 ops of the loss (square, mean) and the output marker
    assert len(layout.nodes) == 7
    assert len({e.id for e in layout.edges}) == len(layout.edges)


def chain(n):
    x = Node(0.5, name="x")
    for _ in range(n - 1):
        x = x.tanh()
    return x


def test_max_nodes_folds_far_nodes_with_a_visible_note():
    root = chain(1_000)
    root.backward()
    layout = viz.build_layout(root, max_nodes=50)
    drawn = [n for n in layout.nodes if n.kind not in ("output", "folded")]
    assert len(drawn) == 50
    assert layout.folded_nodes == 950
    folded = next(n for n in layout.nodes if n.kind == "folded")
    assert folded.label == "… 950 nodes folded"
    dot = viz.layout_to_dot(layout)
    assert "950 folded (max_nodes=50)" in dot
    assert dot.count(" -> ") <= 52
    # the kept nodes are the ones nearest the root
    assert f"node{root.id} " in dot and f"node{root.inputs[0].id} " in dot


def test_default_max_nodes_keeps_big_graphs_drawable():
    dot = viz.to_dot(chain(2_000))
    assert dot.count(" -> ") <= viz.DEFAULT_MAX_NODES + 2
    assert "folded" in dot


def test_hundred_thousand_node_chain_has_no_recursion_limit():
    root = chain(100_000)
    root.backward()
    dot = viz.to_dot(root)
    # every node was walked (iteratively) to count them
    assert f"{100_000 - viz.DEFAULT_MAX_NODES} folded" in dot


def test_a_leaf_used_many_times_is_drawn_once_per_use():
    w, x = Node(0.5, name="w"), Node(0.1, name="x", requires_grad=False)
    y = Node(1.0, name="y0")
    for _ in range(6):
        y = y * w + x
    layout = viz.build_layout(y)
    copies = [n for n in layout.nodes if n.node_id == w.id]
    assert [n.id for n in copies] == [f"node{w.id}"] + [f"node{w.id}use{k}" for k in range(2, 7)]
    assert {n.label for n in copies} == {"w"}
    tails = [e.tail for e in layout.edges if e.tail_node == w.id]
    assert sorted(tails) == sorted(n.id for n in copies)  # one arrow from each copy
    # a leaf used a few times (the textbook's shared nodes) stays one box
    a = Node(2.0, name="a")
    assert sum(n.node_id == a.id for n in viz.build_layout(a * a + a * 3.0).nodes) == 1


def test_layer_graph_main_path_is_marked(make_graph):
    layout = viz.build_layout(make_graph("two_layer").root, group=True)
    main = [(e.tail, e.head) for e in layout.edges if e.main]
    ops = {n.id: n.label for n in layout.nodes}
    assert [ops[t] for t, _ in main] == ["x", "Affine", "ReLU", "Affine", "Softmax-with-Loss"]
    assert main[-1][1] == "output"
    dot = viz.layout_to_dot(layout)
    assert dot.count("group=main") == 6 and "ordering=in" in dot


def test_only_big_layouts_cap_graphviz_placement():
    """Above BIG_LAYOUT drawn nodes the in-rank placement is capped (nslimit); below, untouched."""
    from viz.dot import BIG_LAYOUT, NSLIMIT

    y = Node(0.5, name="x")
    for _ in range(BIG_LAYOUT):
        y = y.tanh()
    assert "nslimit" not in viz.to_dot(y)  # the default fold: 150 drawn nodes
    big = viz.to_dot(y, max_nodes=None)
    assert big.count(f"graph [nslimit={NSLIMIT}];") == 1
    assert "nslimit" not in viz.to_dot(y, max_nodes=BIG_LAYOUT - 2)


def test_big_layouts_leave_out_frames_around_a_lone_op():
    """Above BIG_LAYOUT drawn nodes a one-op layer is not framed; the op shows its name."""
    from viz.dot import BIG_LAYOUT

    x = Node(np.ones((2, 3)), name="x", requires_grad=False)
    layers = BIG_LAYOUT // 4 + 1
    for i in range(1, layers + 1):
        with autograd.scope(f"Affine{i}"):  # two ops (@, +) and two parameters: framed
            x = x @ Node(np.eye(3), name=f"W{i}") + Node(np.zeros(3), name=f"b{i}")
        with autograd.scope(f"ReLU{i}"):  # one op
            x = autograd.relu(x)
    layout = viz.build_layout(x, group=True, max_nodes=None)
    assert len(layout.nodes) > BIG_LAYOUT and len(layout.clusters) == 2 * layers
    dot = viz.layout_to_dot(layout)
    assert dot.count("subgraph cluster_") == layers  # the Affine frames only
    assert f'label=<Affine{layers}>' in dot and f"label=<ReLU{layers}>" not in dot
    relu = next(n for n in layout.nodes if n.label == "ReLU" and n.scope == f"ReLU{layers}")
    assert re.search(rf'{relu.id} \[[^\n]*ReLU<br/><font point-size="\d+">ReLU{layers}</font>',
                     dot)
    # a small layer graph keeps every frame
    small = viz.build_layout(x, group=True)
    assert viz.layout_to_dot(small).count("subgraph cluster_") == len(small.clusters)


def test_a_lone_op_inside_a_bigger_frame_stays_in_it(monkeypatch):
    import viz.dot

    monkeypatch.setattr(viz.dot, "BIG_LAYOUT", 0)  # every layout counts as big
    x = Node(np.ones(3), name="x", requires_grad=False)
    with autograd.scope("Net"):
        h = x * Node(np.ones(3), name="w")
        with autograd.scope("ReLU1"):
            y = autograd.relu(h)
    dot = viz.to_dot(y, group=True)
    net = dot[dot.index("subgraph cluster_0 {"):dot.index("\n  }\n")]
    assert "label=<Net>" in net and "cluster_1" not in dot and "ReLU1" in net
