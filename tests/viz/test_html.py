"""viz.to_html / viz.explore: one self-contained page that steps through backprop.

The first half checks the HTML text (no browser); the second opens the pages in headless
Chromium (fixtures in tests/conftest.py; skipped when Chromium or Playwright is missing).
"""

from __future__ import annotations

import base64
import hashlib
import html
import inspect
import json
import os
import re
import time
from pathlib import Path

import numpy as np
import pytest

import autograd
import viz
from autograd import Node
from autograd.ops import Mul

needs_renderer = pytest.mark.skipif(viz.backend() is None, reason="no Graphviz renderer")
pytestmark = needs_renderer

HOSTILE = "</script><img src=x onerror=alert(1)>"
HOSTILE_2 = '<img src=x onerror="window.pwned=1">&amp;"\'\u2028'
DOCS_SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "explorer.png"
_DATA = re.compile(r'<script type="application/json" id="gg-data">(.*?)</script>', re.S)
_SCRIPT = re.compile(r"<script>(.*?)</script>", re.S)
_SVG = re.compile(r"<svg.*?</svg>", re.S)


def page_data(page: str) -> dict:
    return json.loads(_DATA.search(page).group(1))


def hostile_graph() -> tuple[Node, Node]:
    bad = Node(2.0, name=HOSTILE)
    other = Node(3.0, name=HOSTILE_2)
    y = bad * other + bad
    y.name = HOSTILE
    return y, bad


def shared_graph() -> tuple[Node, Node, Node]:
    """``c = a*b`` and ``a`` are both used twice: gradients add up on two paths."""
    a, b = Node(3.0, name="a"), Node(2.0, name="b")
    c = a * b
    y = (c + a) * c
    y.name = "y"
    return y, a, c


def layered_graph(n_nodes: int) -> Node:
    """About ``n_nodes`` nodes: y <- tanh(y * w_i + b_i) (as in benchmarks/bench_viz.py)."""
    y = Node(0.5, name="x", requires_grad=False)
    made, i = 1, 0
    while made + 5 <= n_nodes:
        w, b = Node(0.9, name=f"w{i}"), Node(0.1, name=f"b{i}")
        y = (y * w + b).tanh()
        made += 5
        i += 1
    while made < n_nodes:
        y = y.tanh()
        made += 1
    return y


# ---------------------------------------------------------------- the page as text
def test_page_is_one_self_contained_file(apple_orange):
    page = viz.to_html(apple_orange.root)
    assert isinstance(page, str) and page.startswith("<!DOCTYPE html>")
    assert page.count("<svg") == 1 and "<?xml" not in page and "<!DOCTYPE svg" not in page
    assert len(_SCRIPT.findall(page)) == 1  # our one script, inline
    # nothing to fetch: no src/href to anywhere, no style sheet links, no CSS url()
    assert not re.search(r"""\b(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", page, re.I)
    assert not re.search(r"\bsrc\s*=", page.replace(HOSTILE, ""), re.I)
    assert "<link" not in page and "@import" not in page and "url(" not in page
    assert "<iframe" not in page


def test_csp_forbids_remote_loads_and_allows_only_our_script(apple_orange):
    page = viz.to_html(apple_orange.root)
    m = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', page)
    assert m, "the page must set a CSP"
    csp = html.unescape(m.group(1))
    assert "default-src 'none'" in csp and "img-src data:" in csp
    script = _SCRIPT.search(page).group(1)
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in csp
    assert "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    assert page.index("Content-Security-Policy") < page.index("<script")


def test_json_is_escaped_and_hostile_names_stay_text():
    y, _ = hostile_graph()
    page = viz.to_html(y)
    raw = _DATA.search(page).group(1)
    assert not set(raw) & set("<>&\u2028\u2029")
    assert "\\u003c/script\\u003e\\u003cimg" in raw
    assert "<img" not in page and "</script><img" not in page
    data = page_data(page)
    titles = {n["title"] for n in data["nodes"].values()}
    # the data round-trips unchanged; the two nodes named HOSTILE are told apart by #1, #2
    assert {f"{HOSTILE} #1", f"{HOSTILE} #2", HOSTILE_2} <= titles
    assert data["title"] == f"graphgrad explorer: {HOSTILE} #2"
    assert f"<title>{html.escape(data['title'])}</title>" in page


def test_svg_has_the_layout_of_viz_render(apple_orange):
    root = apple_orange.root
    root.backward()
    page = viz.to_html(root)
    # apple/orange: every edge carries one path, so the page's picture is viz.render's, byte
    # for byte (the script hides the gradients until their step)
    assert _SVG.search(page).group(0) == _SVG.search(viz.render_svg(root, inline=True)).group(0)


def test_to_html_writes_the_file(tmp_path, apple_orange):
    out = viz.to_html(apple_orange.root, tmp_path / "new" / "page.html", title="Fig. 5-17")
    assert out == tmp_path / "new" / "page.html"
    text = out.read_text(encoding="utf-8")
    assert "<title>Fig. 5-17</title>" in text and text == viz.to_html(
        apple_orange.root, title="Fig. 5-17"
    )


def test_grads_are_left_alone(apple_orange):
    viz.to_html(apple_orange.root)
    assert apple_orange.root.grad is None and apple_orange.apple.grad is None


def test_backward_steps_follow_the_engine(apple_orange):
    g = apple_orange
    data = page_data(viz.to_html(g.root))
    trace = autograd.backward_trace(g.root)
    steps = data["backward"]["steps"]
    assert [s["unit"] for s in steps] == [f"node{s.node.id}" for s in trace]
    # the seed enters at step 1, then each step labels the edges into the node it processes
    assert steps[0]["set"][0] == [f"edge{g.price.id}_output", "1", None]
    assert steps[0]["up"] == [f"edge{g.price.id}_output"]
    final = {eid: text for s in steps for eid, text, _ in s["set"]}
    assert final == {
        f"edge{g.price.id}_output": "1",
        f"edge{g.total.id}_{g.price.id}": "1.1",
        f"edge{g.tax.id}_{g.price.id}": "650",
        f"edge{g.apple_cost.id}_{g.total.id}": "1.1",
        f"edge{g.orange_cost.id}_{g.total.id}": "1.1",
        f"edge{g.apple.id}_{g.apple_cost.id}": "2.2",
        f"edge{g.apple_num.id}_{g.apple_cost.id}": "110",
        f"edge{g.orange.id}_{g.orange_cost.id}": "3.3",
        f"edge{g.orange_num.id}_{g.orange_cost.id}": "165",
    }
    assert sorted(final) == data["backward"]["edges"]
    lines = steps[0]["lines"]
    assert lines[0] == "Step 1/4: backward through ×   (y = a × b)"
    assert "→ tax: 1 × 650 = 650   (∂y/∂b = a = 650)" in lines
    assert ("→ (apple × apple_num) + (orange × orange_num): 1 × 1.1 = 1.1   (∂y/∂a = b = 1.1)"
            in lines)
    every = [line for s in steps for line in s["lines"]]
    assert "→ apple: 1.1 × 2 = 2.2   (∂y/∂a = b = 2)" in every


def test_summation_where_paths_meet():
    y, a, c = shared_graph()
    data = page_data(viz.to_html(y))
    steps = data["backward"]["steps"]
    adds = [line for s in steps for line in s["lines"] if "gradients add" in line]
    # c gets 6 (from +) and 9 (from ×); a gets 6 (from +) and 30 (from c = a × b)
    assert adds == [
        "   a × b is used on several paths, gradients add: 9 + 6 = 15",
        "   a is used on several paths, gradients add: 6 + 30 = 36",
    ]
    last = steps[-1]
    assert last["sums"] == [e for e in data["backward"]["edges"] if e.startswith(f"edge{a.id}_")
                            and e != f"edge{a.id}_{c.id}"]
    grads = data["nodes"][f"node{a.id}"]["grad"]
    assert [g[1]["text"] for g in grads] == ["6", "36"]
    y.backward()
    assert a.grad == 36.0


def test_forward_steps(apple_orange):
    g = apple_orange
    g.price.name = "price"
    data = page_data(viz.to_html(g.root))
    steps = data["forward"]["steps"]
    assert [s["unit"] for s in steps] == [
        f"node{n.id}" for n in (g.apple_cost, g.orange_cost, g.total, g.price)
    ]
    assert steps[0]["lines"][1] == "apple × apple_num = 100 × 2 = 200"
    assert steps[2]["lines"][1].startswith("(apple × apple_num) + (orange × orange_num) = 200")
    assert steps[-1]["lines"][1] == "price = 650 × 1.1 = 715"
    assert steps[-1]["show"] == [f"edge{g.price.id}_output"]
    assert data["nodes"][f"node{g.apple.id}"]["computed_at"] == 0
    assert data["nodes"][f"node{g.total.id}"]["computed_at"] == 3


def test_node_panel_comes_from_the_op_class(apple_orange):
    g = apple_orange
    info = page_data(viz.to_html(g.root))["nodes"]
    mul = info[f"node{g.apple_cost.id}"]
    assert (mul["op"], mul["symbol"]) == (Mul.name, Mul.symbol)
    # the local derivative with this graph's numbers filled in
    assert mul["formula"] == Mul.formula and mul["derivative"] == "∂y/∂a = b = 2\n∂y/∂b = a = 100"
    # the class docstring, its markup (*other*) stripped
    assert "*other*" in Mul.__doc__
    assert mul["doc"] == inspect.cleandoc(Mul.__doc__).replace("*other*", "other")
    assert mul["inputs"] == ["apple", "apple_num"] and mul["value"] == {"text": "200"}
    assert mul["grad"] == [[2, {"text": "1.1"}]]
    assert info[f"node{g.apple.id}"]["kind"] == "parameter"
    assert info[f"node{g.apple.id}"]["grad"] == [[4, {"text": "2.2"}]]
    assert info["output"]["value"] == {"text": "715"}


def test_arrays_are_summarised():
    rng = np.random.default_rng(0)
    W = Node(rng.normal(size=(3, 4)), name="W")
    x = Node(np.arange(4.0).reshape(4, 1), name="x", requires_grad=False)
    loss = (W @ x).tanh().sum()
    info = page_data(viz.to_html(loss))["nodes"][f"node{W.id}"]
    value = info["value"]
    assert value["shape"] == "(3, 4)" and value["dtype"] == "float64"
    assert value["values"].endswith(", …]") and value["values"].count(",") == 6
    assert float(value["min"]) == pytest.approx(W.value.min())
    assert float(value["mean"]) == pytest.approx(W.value.mean())
    grad = info["grad"][-1][1]
    loss.backward()
    assert float(grad["max"]) == pytest.approx(W.grad.max())
    assert page_data(viz.to_html(loss))["nodes"][f"node{x.id}"]["requires_grad"] is False


def test_non_scalar_output_needs_a_seed():
    x = Node(np.ones(3), name="x")
    y = x * 2.0
    with pytest.raises(ValueError, match="pass grad="):
        viz.to_html(y)
    data = page_data(viz.to_html(y, grad=np.ones(3)))
    assert len(data["backward"]["steps"]) == 1


def test_big_graph_is_folded():
    root = layered_graph(2000)
    data = page_data(viz.to_html(root))
    assert "folded" in data["note"] and data["layout"]["folded_nodes"] > 1000
    n_ops = sum(1 for n in autograd.topological_order(root) if n.op is not None)
    assert len(data["backward"]["steps"]) == len(data["forward"]["steps"]) == n_ops
    steps = data["backward"]["steps"]
    assert {s["unit"] for s in steps if isinstance(s, dict)} >= {"folded"}
    # a step with nothing drawn is stored as its op symbol only: the page follows drawn nodes
    compact = [s for s in steps if isinstance(s, str)]
    assert len(compact) > 1000 and set(compact) <= {"×", "+", "tanh"}
    assert "units" not in data["layout"]
    assert len(data["nodes"]) <= viz.DEFAULT_MAX_NODES + 2


def test_page_size_follows_the_drawn_nodes():
    small, big = (len(viz.to_html(layered_graph(n))) for n in (2000, 8000))
    assert big < small + 60_000  # 6,000 more folded nodes: about 10 bytes each


def test_collapsed_scopes_label_the_merged_arrows(make_graph):
    g = make_graph("two_scopes")
    data = page_data(viz.to_html(g.root, collapse_scopes=True))
    merged = [e for e in data["layout"]["edges"] if e["head"].startswith("scope")]
    assert merged and all(e["id"] in data["backward"]["edges"] for e in merged if e["tail_node"]
                          == g.w.id)


def test_explore_for_jupyter(tmp_path, apple_orange):
    explorer = viz.explore(apple_orange.root)
    assert isinstance(explorer, viz.Explorer)
    frame = explorer._repr_html_()
    assert frame.startswith('<iframe srcdoc="') and 'sandbox="allow-scripts"' in frame
    assert "<script" not in frame and "<svg" not in frame  # all inside the escaped attribute
    srcdoc = html.unescape(re.search(r'srcdoc="([^"]*)"', frame).group(1))
    assert srcdoc == explorer.html == viz.to_html(apple_orange.root)
    assert explorer.save(tmp_path / "p.html").read_text(encoding="utf-8") == explorer.html


def test_bad_root_is_refused():
    with pytest.raises(TypeError, match="viz.to_html: expected an autograd.Node"):
        viz.to_html(3.0)


# ---------------------------------------------------------------- in a real browser
def open_page(page, path: Path) -> None:
    page.goto(path.as_uri())
    page.wait_for_function("window.graphgradExplorer !== undefined")


def visible_labels(page) -> dict[str, list[str]]:
    """``{edge id: [visible label texts]}``: what a reader sees on each arrow right now."""
    return page.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll('#gg-graph g.edge')].map(
            g => [g.id, [...g.querySelectorAll('text')]
                .filter(t => getComputedStyle(t).visibility !== 'hidden')
                .map(t => t.textContent)]))"""
    )


def visible_grads(page) -> list[str]:
    return page.evaluate(
        """() => [...document.querySelectorAll('#gg-graph g.edge text[fill="#d00000"]')]
            .filter(t => getComputedStyle(t).visibility !== 'hidden').map(t => t.textContent)"""
    )


def state(page) -> dict:
    return page.evaluate("window.graphgradExplorer.state()")


def test_browser_steps_through_apple_orange(tmp_path, browser_page, apple_orange):
    g = apple_orange
    g.price.name = "price"
    path = viz.to_html(g.root, tmp_path / "apple_orange.html")
    page = browser_page
    open_page(page, path)
    assert state(page) == {"mode": "backward", "step": 0, "last": 4}
    assert visible_grads(page) == []  # step 0: the forward pass only
    labels = visible_labels(page)
    assert labels[f"edge{g.price.id}_output"] == ["715"]
    assert labels[f"edge{g.apple.id}_{g.apple_cost.id}"] == ["100"]
    assert "Step 0/4" in page.inner_text("#gg-caption")

    page.click("#gg-next")
    assert sorted(visible_grads(page)) == ["1", "1.1", "650"]
    caption = page.inner_text("#gg-caption")
    assert "Step 1/4: backward through ×" in caption and "→ tax: 1 × 650 = 650" in caption
    assert "gg-active" in page.get_attribute(f"#node{g.price.id}", "class")

    page.click("#gg-last")
    labels = visible_labels(page)
    assert labels[f"edge{g.apple.id}_{g.apple_cost.id}"] == ["100", "2.2"]
    assert labels[f"edge{g.apple_num.id}_{g.apple_cost.id}"] == ["2", "110"]
    assert labels[f"edge{g.orange.id}_{g.orange_cost.id}"] == ["150", "3.3"]
    assert labels[f"edge{g.orange_num.id}_{g.orange_cost.id}"] == ["3", "165"]
    assert labels[f"edge{g.tax.id}_{g.price.id}"] == ["1.1", "650"]
    assert labels[f"edge{g.price.id}_output"] == ["715", "1"]
    assert "gg-active" not in (page.get_attribute(f"#node{g.price.id}", "class") or "")

    page.click("#gg-prev")
    assert state(page)["step"] == 3
    assert labels != visible_labels(page)
    page.click("#gg-first")
    assert visible_grads(page) == []

    # clicking a multiply node opens its panel: formula and local derivative from ops.Mul
    page.click(f"#node{g.apple_cost.id}")
    panel = page.inner_text("#gg-panel")
    assert "apple × apple_num" in panel and Mul.formula in panel
    assert "∂y/∂a = b = 2 ∂y/∂b = a = 100" in " ".join(panel.split())
    assert "not computed yet" in panel  # step 0: no gradient yet
    page.click("#gg-last")
    assert "gradient\n1.1" in page.inner_text("#gg-panel").replace("\t", "\n")

    # the README's picture: GRAPHGRAD_UPDATE_SCREENSHOT=1 pytest -k apple_orange updates it
    shot = DOCS_SCREENSHOT if os.environ.get("GRAPHGRAD_UPDATE_SCREENSHOT") else (
        tmp_path / "explorer.png"
    )
    page.locator("body").screenshot(path=str(shot))
    assert shot.stat().st_size > 10_000
    assert page.errors == [] and page.dialogs == []
    assert page.requests == [path.as_uri()]  # nothing but the file itself


def test_browser_keyboard_and_slider(tmp_path, browser_page, apple_orange):
    page = browser_page
    open_page(page, viz.to_html(apple_orange.root, tmp_path / "p.html"))
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    assert state(page)["step"] == 2 and len(visible_grads(page)) == 5
    page.keyboard.press("ArrowLeft")
    assert state(page)["step"] == 1
    page.keyboard.press("End")
    assert state(page)["step"] == 4 and len(visible_grads(page)) == 9
    page.keyboard.press("ArrowRight")  # already at the end: stays
    assert state(page)["step"] == 4
    page.keyboard.press("Home")
    assert state(page)["step"] == 0 and visible_grads(page) == []
    page.keyboard.press("ArrowLeft")
    assert state(page)["step"] == 0
    page.fill("#gg-slider", "3")  # what dragging the slider does: an "input" event
    assert state(page)["step"] == 3 and page.inner_text("#gg-counter") == "backward step 3 / 4"
    assert len(visible_grads(page)) == 7


def test_browser_forward_pass(tmp_path, browser_page, apple_orange):
    g = apple_orange
    page = browser_page
    open_page(page, viz.to_html(g.root, tmp_path / "p.html"))
    page.click("#gg-last")
    page.click("#gg-mode-forward")
    # the forward pass starts at its step 0, where "next" computes the first operation
    assert state(page) == {"mode": "forward", "step": 0, "last": 4}
    assert visible_grads(page) == []  # the forward pass shows no gradient
    labels = visible_labels(page)
    assert labels[f"edge{g.apple.id}_{g.apple_cost.id}"] == ["100"]  # inputs are known
    assert labels[f"edge{g.apple_cost.id}_{g.total.id}"] == []  # nothing computed yet
    page.keyboard.press("ArrowRight")
    assert visible_labels(page)[f"edge{g.apple_cost.id}_{g.total.id}"] == ["200"]
    assert "100 × 2 = 200" in page.inner_text("#gg-caption")
    page.click("#gg-mode-backward")
    assert state(page) == {"mode": "backward", "step": 0, "last": 4}
    assert visible_labels(page)[f"edge{g.price.id}_output"] == ["715"]


def test_browser_shows_the_sum_of_paths(tmp_path, browser_page):
    y, a, c = shared_graph()
    page = browser_page
    open_page(page, viz.to_html(y, tmp_path / "p.html"))
    page.keyboard.press("End")
    assert "gradients add: 6 + 30 = 36" in page.inner_text("#gg-caption")
    assert "gg-sum" in page.get_attribute(f"#edge{a.id}_{y.inputs[0].id}", "class")
    page.click(f"#node{a.id}")
    assert "36" in page.inner_text("#gg-panel")


def test_browser_hostile_names_are_text(tmp_path, browser_page):
    y, bad = hostile_graph()
    page = browser_page
    path = viz.to_html(y, tmp_path / "hostile.html")
    open_page(page, path)
    page.keyboard.press("End")
    page.click(f"#node{bad.id}")
    assert page.inner_text("#gg-panel h2") == f"{HOSTILE} #1"
    assert HOSTILE in page.inner_text("#gg-caption")
    assert HOSTILE in page.inner_text("h1")
    # (the long name of the output marker covers part of y's circle: dispatch the click)
    page.dispatch_event(f"#node{y.id}", "click")
    assert page.inner_text("#gg-panel h2") == f"{HOSTILE} #2"
    assert page.evaluate("document.querySelectorAll('img').length") == 0
    assert page.evaluate("window.pwned === undefined")
    page.wait_for_timeout(100)
    assert page.dialogs == [] and page.errors == []
    assert page.requests == [path.as_uri()]


def test_browser_jupyter_iframe(browser_page, apple_orange):
    page = browser_page
    page.set_content(viz.explore(apple_orange.root)._repr_html_())
    frame = page.frame_locator("iframe")
    frame.locator("#gg-next").click()
    assert "Step 1/4" in frame.locator("#gg-caption").inner_text()
    frame.locator("#gg-last").click()
    assert frame.locator("#gg-counter").inner_text() == "backward step 4 / 4"
    assert page.errors == [] and page.dialogs == []


@pytest.fixture(scope="module")
def big_pages(tmp_path_factory):
    root = layered_graph(2000)
    folder = tmp_path_factory.mktemp("big")
    return {
        "folded": viz.to_html(root, folder / "folded.html"),
        "all": viz.to_html(root, folder / "all.html", max_nodes=None),
    }


STEP_TIMER = """async (n) => {
    const ex = window.graphgradExplorer, next = document.getElementById('gg-next');
    const times = [];
    for (let i = 0; i < n; i++) {
        const t0 = performance.now();
        next.click();
        document.body.getBoundingClientRect();  // include style and layout, not just the JS
        times.push(performance.now() - t0);
        if (i % 10 === 0) await new Promise(requestAnimationFrame);
    }
    // the same until the step is on screen: a task queued in the next animation frame runs
    // after that frame has been painted (includes waiting for the frame, up to 16.7 ms)
    const frames = 20, f0 = performance.now();
    for (let i = 0; i < frames; i++) {
        document.getElementById('gg-prev').click();
        await new Promise(r => requestAnimationFrame(() => setTimeout(r, 0)));
    }
    const painted = (performance.now() - f0) / frames;
    const t0 = performance.now();
    document.getElementById('gg-last').click();
    document.body.getBoundingClientRect();
    const jump = performance.now() - t0;
    times.sort((a, b) => a - b);
    return {mean: times.reduce((a, b) => a + b) / n, median: times[n >> 1], max: times[n - 1],
            painted: painted, jump: jump, step: ex.state().step, last: ex.state().last};
}"""


@pytest.mark.parametrize("which", ["folded", "all"])
def test_browser_big_graph_stays_responsive(big_pages, browser_page, which, record_property):
    """Steps a 2,000-node page and reports ms per step (measured, not asserted: STYLE.md)."""
    page = browser_page
    t = time.perf_counter()
    open_page(page, big_pages[which])
    load_ms = (time.perf_counter() - t) * 1000
    n = 200
    result = page.evaluate(STEP_TIMER, n)
    assert result["step"] == result["last"] > n
    assert len(visible_grads(page)) > 0 and page.errors == []
    report = (
        f"2,000-node page ({which}): load {load_ms:.0f} ms, step mean {result['mean']:.2f} ms, "
        f"median {result['median']:.2f} ms, max {result['max']:.2f} ms over {n} steps, "
        f"jump to last {result['jump']:.1f} ms; step until painted {result['painted']:.1f} ms"
    )
    record_property("explorer_timing", report)
    print(report)


# ---------------------------------------------------------------- the chapter's networks
DOCS_NETWORK_SCREENSHOT = DOCS_SCREENSHOT.parent / "explorer_two_layer_net.png"


def network_loss(which: str) -> Node:
    """Section 5.7's TwoLayerNet on a batch of 5, or a small SimpleConvNet (ch. 7), seed 0."""
    from nn.models import SimpleConvNet, TwoLayerNet

    np.random.seed(0)
    if which == "two_layer":
        net = TwoLayerNet(input_size=784, hidden_size=50, output_size=10)
        x = Node(np.random.rand(5, 784), name="x", requires_grad=False)
        return net.loss(x, np.eye(10)[[0, 1, 2, 3, 4]])
    net = SimpleConvNet(input_dim=(1, 12, 12),
                        conv_param={"filter_num": 4, "filter_size": 3, "pad": 0, "stride": 1},
                        hidden_size=20, output_size=10)
    x = Node(np.random.rand(2, 1, 12, 12), name="x", requires_grad=False)
    return net.loss(x, np.array([3, 7]))


SETTLED = "() => !window.graphgradExplorer.view().moving"
GEOMETRY = """() => {
    const box = r => { const b = r.getBoundingClientRect();
                       return {l: b.left, t: b.top, r: b.right, b: b.bottom}; };
    const active = document.querySelector('#gg-graph .gg-active');
    const cap = document.getElementById('gg-caption');
    return {active: active && box(active), graph: box(document.getElementById('gg-graph')),
            drawing: box(document.querySelector('#gg-graph g.graph')),
            caption: box(cap), capScroll: cap.scrollHeight, capClient: cap.clientHeight,
            w: window.innerWidth, h: window.innerHeight};
}"""


def inside(inner: dict, outer: dict, slack: float = 1.0) -> bool:
    return (inner["l"] >= outer["l"] - slack and inner["t"] >= outer["t"] - slack
            and inner["r"] <= outer["r"] + slack and inner["b"] <= outer["b"] + slack)


@pytest.mark.parametrize("width", [1280, 800])
@pytest.mark.parametrize("which", ["two_layer", "conv"])
def test_browser_network_page_follows_every_step(tmp_path, browser_page, which, width):
    page = browser_page
    page.set_viewport_size({"width": width, "height": 800})
    open_page(page, viz.to_html(network_loss(which), tmp_path / f"{which}.html", group=True))
    viewport = {"l": 0, "t": 0, "r": width, "b": 800}
    # opens fitted: the whole drawing is in the box
    geo = page.evaluate(GEOMETRY)
    assert inside(geo["drawing"], geo["graph"])
    last = state(page)["last"]
    assert last == sum(1 for n in autograd.topological_order(network_loss(which)) if n.op)
    for k in range(1, last + 1):
        page.keyboard.press("ArrowRight")
        page.wait_for_function(SETTLED, timeout=1000)  # any animation settles within 1 s
        geo = page.evaluate(GEOMETRY)
        assert state(page)["step"] == k
        assert geo["active"] is not None, k
        assert inside(geo["active"], geo["graph"]) and inside(geo["active"], viewport), (k, geo)
        # the caption shows all its lines: nothing scrolled away or cut off by the window
        assert geo["capScroll"] <= geo["capClient"] + 1 and geo["caption"]["b"] <= 800, (k, geo)
    if which == "two_layer" and width == 1280:
        page.keyboard.press("Home")
        for _ in range(last // 2):
            page.keyboard.press("ArrowRight")
        page.wait_for_function(SETTLED, timeout=1000)
        shot = DOCS_NETWORK_SCREENSHOT if os.environ.get("GRAPHGRAD_UPDATE_SCREENSHOT") else (
            tmp_path / "network.png")
        page.screenshot(path=str(shot))
        assert shot.stat().st_size > 10_000
    # zoom: the buttons and the keys change the scale; Fit shows the whole graph again
    view = page.evaluate("window.graphgradExplorer.view()")
    page.click("#gg-zoom-in")
    page.wait_for_function(SETTLED, timeout=1000)
    zoomed = page.evaluate("window.graphgradExplorer.view()")
    assert zoomed["scale"] == pytest.approx(view["scale"] * 1.25)
    page.keyboard.press("-")
    page.keyboard.press("-")
    page.wait_for_function(SETTLED, timeout=1000)
    assert page.evaluate("window.graphgradExplorer.view()")["scale"] < zoomed["scale"]
    page.mouse.move(geo["graph"]["l"] + 50, geo["graph"]["t"] + 50)
    page.mouse.wheel(0, -300)  # wheel up: zoom in at the pointer
    assert page.evaluate("window.graphgradExplorer.view()")["scale"] > view["scale"] * 0.64
    page.click("#gg-fit")
    page.wait_for_function(SETTLED, timeout=1000)
    geo = page.evaluate(GEOMETRY)
    assert inside(geo["drawing"], geo["graph"])
    assert page.errors == []


def test_browser_drag_pans_and_is_not_a_click(tmp_path, browser_page):
    page = browser_page
    open_page(page, viz.to_html(network_loss("two_layer"), tmp_path / "p.html", group=True))
    page.click("#gg-zoom-in")
    page.wait_for_function(SETTLED, timeout=1000)
    before = page.evaluate("window.graphgradExplorer.view()")
    box = page.evaluate(GEOMETRY)["graph"]
    x, y = (box["l"] + box["r"]) / 2, (box["t"] + box["b"]) / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 120, y + 40, steps=5)
    page.mouse.up()
    after = page.evaluate("window.graphgradExplorer.view()")
    assert after["scale"] == before["scale"]
    assert after["x"] == pytest.approx(before["x"] - 120 / before["scale"], abs=0.5)
    assert after["y"] == pytest.approx(before["y"] - 40 / before["scale"], abs=0.5)


# ---------------------------------------------------------------- 中文 / English
DOCS_SCREENSHOT_ZH = DOCS_SCREENSHOT.with_name("explorer_zh.png")


def test_page_holds_its_words_in_both_languages(apple):
    from viz.messages import MESSAGES, message

    apple.price.name = "price"
    page = viz.to_html(apple.root, lang="zh")
    data = page_data(page)
    assert data["lang"] == "zh" and data["title"] == "graphgrad 计算图浏览器：price"
    assert data["i18n"]["en"]["title"] == "graphgrad explorer: price"
    assert '<html lang="zh-CN">' in page and "<title>graphgrad 计算图浏览器：price</title>" in page
    assert 'aria-pressed="true"\n>中文</button>' in page
    # the captions: the page's language as they are, the other one beside them
    first = data["backward"]["steps"][0]
    assert "→ tax：上游梯度 1 × 局部导数 200 = 200   （∂y/∂b = a = 200）" in first["lines"]
    assert "→ tax: 1 × 200 = 200   (∂y/∂b = a = 200)" in first["i18n"]["en"]["lines"]
    assert data["forward"]["steps"][0]["lines"][1] == "apple × apple_num = 100 × 2 = 200"
    assert data["forward"]["steps"][0]["i18n"]["en"]["lines"][0].startswith("Step 1/2: forward")
    # the panel: the book's term and description, English beside them; names stored once
    mul = data["nodes"][f"node{apple.cost.id}"]
    assert (mul["op"], mul["i18n"]["en"]["op"]) == ("乘法节点", "mul")
    assert mul["doc"] == message("op.mul", "zh")
    assert mul["title"] == "apple × apple_num" and "title" not in mul["i18n"]["en"]
    assert data["nodes"]["output"]["title"] == "price"
    # the page's own words are the catalogue's entries, not copies in the script
    for key in ("panel.formula", "panel.derivative", "panel.inputs", "panel.value",
                "panel.gradient", "explorer.next", "caption.backward_start",
                "caption.folded_backward"):
        assert data["messages"][key] == MESSAGES[key]
    assert data["messages"]["panel.derivative"] == {"en": "local derivative", "zh": "局部导数"}
    script = _SCRIPT.search(page).group(1)
    assert "局部导数" not in script and "local derivative" not in script
    assert "not computed yet" not in script and "Step 0/" not in script


def test_english_page_opens_in_the_browsers_language(apple):
    page = viz.to_html(apple.root)
    data = page_data(page)
    assert data["lang"] is None  # the browser decides; English shows until the script runs
    assert data["title"] == "graphgrad explorer: (apple × apple_num) × tax"
    assert data["svg_text"]["output"] == {"en": ["output"], "zh": ["输出"]}  # unnamed output
    assert data["nodes"]["output"]["i18n"]["zh"]["title"] == "输出"
    en = page_data(viz.to_html(apple.root, lang="en"))
    assert en["lang"] == "en" and en["backward"]["steps"] == data["backward"]["steps"]
    with pytest.raises(ValueError, match=r"viz.to_html: lang='fr': choose one of 'en', 'zh'"):
        viz.to_html(apple.root, lang="fr")


def test_folded_words_come_from_the_catalogue_in_both_languages():
    from viz.layout import layout_of
    from viz.messages import message

    root = layered_graph(400)
    data = page_data(viz.to_html(root, max_nodes=30))
    folded = data["layout"]["folded_nodes"]
    assert folded > 300
    # the layout's English words are the catalogue's: the switch can put either language
    assert data["note"] == layout_of(root, viz.Options(max_nodes=30)).note
    assert data["i18n"]["zh"]["note"].startswith("注意：共 ")
    assert data["svg_text"]["folded"] == {code: [message("picture.folded", code, n=folded)]
                                          for code in ("en", "zh")}
    box = next(n for n in data["layout"]["nodes"] if n["id"] == "folded")
    assert [box["label"]] == data["svg_text"]["folded"]["en"]
    assert data["nodes"]["folded"]["i18n"]["zh"]["title"] == f"… 折叠了 {folded} 个节点"


def explorer_state(page) -> dict:
    """What the reader sees: language, step, caption, buttons, panel, visible gradients."""
    return page.evaluate("""() => ({
        lang: window.graphgradExplorer.lang(), step: window.graphgradExplorer.state().step,
        html: document.documentElement.lang,
        caption: document.getElementById('gg-caption').innerText,
        counter: document.getElementById('gg-counter').innerText,
        panel: document.getElementById('gg-panel').innerText,
        buttons: [...document.querySelectorAll('.gg-toolbar button')].map(b => b.textContent),
        grads: [...document.querySelectorAll('#gg-graph g.edge text[fill="#d00000"]')]
            .filter(t => getComputedStyle(t).visibility !== 'hidden').map(t => t.textContent)
            .sort()})""")


def test_browser_in_chinese_and_back(tmp_path, browser_page, apple):
    """lang="zh": 上游梯度 in the caption with the book's numbers (fig. 5-14: 220; 2.2, 110,
    200); English and back again keep the step, the numbers and the selected node."""
    apple.price.name = "price"
    path = viz.to_html(apple.root, tmp_path / "apple_zh.html", lang="zh")
    page = browser_page
    open_page(page, path)
    zh = explorer_state(page)
    assert zh["lang"] == "zh" and zh["html"] == "zh-CN" and zh["step"] == 0
    assert "正向传播已完成" in zh["caption"] and "下一步 ▶" in zh["buttons"]
    assert page.get_attribute("#gg-lang-zh", "aria-pressed") == "true"
    page.click("#gg-next")
    page.click("#gg-next")
    zh = explorer_state(page)
    assert zh["step"] == 2 and zh["counter"] == "反向传播 第 2 / 2 步"
    assert "第 2/2 步：× 的反向传播" in zh["caption"]
    assert "上游梯度 1.1 × 局部导数 2 = 2.2" in zh["caption"]  # → apple
    assert "上游梯度 1.1 × 局部导数 100 = 110" in zh["caption"]  # → apple_num
    assert zh["grads"] == ["1", "1.1", "110", "2.2", "200"]
    assert visible_labels(page)[f"edge{apple.price.id}_output"] == ["220", "1"]
    page.click(f"#node{apple.cost.id}")
    panel = explorer_state(page)["panel"]
    for term in ("公式", "局部导数", "输入", "值", "梯度", "乘法节点", "运算节点"):
        assert term in panel
    assert "值\n200" in panel.replace("\t", "\n") and "梯度\n1.1" in panel.replace("\t", "\n")
    at_zh = explorer_state(page)

    page.click("#gg-lang-en")
    en = explorer_state(page)
    assert en["lang"] == "en" and en["html"] == "en" and en["step"] == 2
    assert en["grads"] == at_zh["grads"]  # the numbers do not change
    assert "Step 2/2: backward through ×" in en["caption"] and "上游" not in en["caption"]
    assert "→ apple: 1.1 × 2 = 2.2" in en["caption"]
    assert en["counter"] == "backward step 2 / 2" and "next ▶" in en["buttons"]
    assert "local derivative" in en["panel"] and "局部导数" not in en["panel"]
    assert "gradient\n1.1" in en["panel"].replace("\t", "\n")
    assert page.title() == "graphgrad explorer: price"
    assert page.get_attribute("#gg-lang-en", "aria-pressed") == "true"
    assert page.get_attribute("#gg-lang-zh", "aria-pressed") == "false"
    page.keyboard.press("ArrowLeft")  # ←/→ still step, in English now
    assert "Step 1/2" in explorer_state(page)["caption"]
    page.keyboard.press("ArrowRight")

    page.click("#gg-lang-zh")
    back = explorer_state(page)
    assert back == at_zh  # Chinese again: the same caption, panel, step and numbers
    assert page.title() == "graphgrad 计算图浏览器：price"
    shot = DOCS_SCREENSHOT_ZH if os.environ.get("GRAPHGRAD_UPDATE_SCREENSHOT") else (
        tmp_path / "explorer_zh.png"
    )
    page.locator("body").screenshot(path=str(shot))
    assert shot.stat().st_size > 10_000
    assert page.errors == [] and page.dialogs == []
    assert page.requests == [path.as_uri()]


@pytest.mark.parametrize(("locale", "expected", "words"), [
    ("zh-CN", "zh", ["上游传来的导数", "上游梯度 1 × 局部导数 200 = 200", "下一步 ▶"]),
    ("zh-TW", "zh", ["上游传来的导数", "上游梯度 1 × 局部导数 1.1 = 1.1", "反向传播"]),
    ("en-US", "en", ["upstream gradient", "→ tax: 1 × 200 = 200", "next ▶"]),
])
def test_browser_language_is_the_default(tmp_path, chromium, apple, locale, expected, words):
    path = viz.to_html(apple.root, tmp_path / "apple.html")  # no lang=: the browser decides
    context = chromium.new_context(locale=locale)
    try:
        page = context.new_page()
        open_page(page, path)
        page.click("#gg-next")
        seen = explorer_state(page)
        assert seen["lang"] == expected and seen["step"] == 1
        for word in words:
            assert word in seen["caption"] + " ".join(seen["buttons"])
        # lang= given by the page's author wins over the browser
        forced = "en" if expected == "zh" else "zh"
        open_page(page, viz.to_html(apple.root, tmp_path / "forced.html", lang=forced))
        assert explorer_state(page)["lang"] == forced
    finally:
        context.close()


def test_browser_quiz_follows_the_switch(tmp_path, browser_page, apple):
    page = browser_page
    open_page(page, viz.to_html(apple.root, tmp_path / "quiz.html", quiz=True, lang="zh"))
    page.click("#gg-next")
    assert page.inner_text("#gg-show-answers") == "显示答案"
    page.click("#gg-lang-en")
    page.wait_for_function("document.getElementById('gg-show-answers').textContent"
                           " === 'Show answers'")
    assert page.evaluate("window.graphgradExplorer.state().step") == 1
    assert page.errors == []


def test_browser_switch_rewrites_the_words_in_the_picture(tmp_path, browser_page, make_graph):
    """A collapsed scope's detail and the unnamed output marker are drawn in the SVG: the
    switch rewrites them (names stay); the scope's panel follows too."""
    g = make_graph("two_scopes")
    g.root.name = None
    path = viz.to_html(g.root, tmp_path / "scopes.html", collapse_scopes=True, lang="zh")
    data = page_data(path.read_text(encoding="utf-8"))
    scope = next(i for i in data["svg_text"] if i.startswith("scope"))
    zh_lines, en_lines = data["svg_text"][scope]["zh"], data["svg_text"][scope]["en"]
    assert zh_lines[0] == en_lines[0]  # the scope's name is the user's
    assert "个运算" in zh_lines[1] and " op" in en_lines[1]

    def drawn(element: str) -> list[str]:
        return page.evaluate(f"[...document.querySelectorAll('#{element} text')]"
                             ".map(t => t.textContent)")

    page = browser_page
    open_page(page, path)
    assert drawn(scope) == zh_lines and drawn("output") == ["输出"]
    page.click(f"#{scope}")
    assert zh_lines[1] in page.inner_text("#gg-panel") and "作用域" in page.inner_text("#gg-panel")
    page.click("#gg-lang-en")
    assert drawn(scope) == en_lines and drawn("output") == ["output"]
    assert en_lines[1] in page.inner_text("#gg-panel") and "scope" in page.inner_text("#gg-panel")
    assert page.errors == []


def test_to_html_lays_out_once(monkeypatch, apple_orange):
    """One Graphviz layout per page, however many languages and steps it carries."""
    import viz.backends

    made = []
    real = viz.backends.dot_to_bytes
    monkeypatch.setattr(viz.backends, "dot_to_bytes",
                        lambda dot, fmt, **kw: made.append(fmt) or real(dot, fmt, **kw))
    viz.to_html(apple_orange.root)
    viz.to_html(apple_orange.root, quiz=True)
    assert made == ["svg", "svg"]
