"""viz/watch.py: the training-replay page holds the engine's numbers and works in a browser."""

from __future__ import annotations

import html
import json
import re

import numpy as np
import pytest

from autograd import Node
from viz.labels import format_value
from viz.watch import watch, watch_data

_DATA = re.compile(r'<script type="application/json" id="gg-data">(.*?)</script>', re.S)


def _page_data(page_html: str) -> dict:
    return json.loads(_DATA.search(page_html).group(1))


@pytest.fixture(scope="module")
def spiral_page():
    """The issue's size case: 2,000 steps, 40 snapshots, a 2×[10, 10]×3 network."""
    return watch("spiral", steps=2000, snapshots=40, hidden=(10, 10), seed=0)


def test_page_size_and_summary(spiral_page, tmp_path):
    run = spiral_page.run
    assert len(run.snapshots) == 40 and run.snapshots[-1].step == 2000
    assert len(spiral_page.html.encode("utf-8")) < 5_000_000
    assert run.final.train_acc >= 0.95  # the spiral is learned
    assert f"train accuracy {run.final.train_acc:.2f}" in spiral_page.html
    path = spiral_page.save(tmp_path / "w" / "watch.html")
    assert path.read_text(encoding="utf-8") == spiral_page.html
    assert "<viz.WatchPage: 40 snapshots, train accuracy" in repr(spiral_page)


def test_page_is_self_contained(spiral_page):
    page = html.unescape(spiral_page.html)
    assert "default-src 'none'" in page and "script-src 'sha256-" in page
    assert not re.search(r'\b(src|href)="(https?:)?//', page)
    for hook in ('<input type="range" id="gg-scrubber"', 'id="gg-boundary"', 'id="gg-example"'):
        assert hook in page


def test_page_numbers_are_the_runs(spiral_page):
    run, data = spiral_page.run, _page_data(spiral_page.html)
    assert [s["step"] for s in data["snapshots"]] == [s.step for s in run.snapshots]
    for got, snap in zip(data["snapshots"], run.snapshots):
        assert got["train_loss"] == round(snap.train_loss, 4)
        assert got["test_acc"] == round(snap.test_acc, 4)
        assert got["regions"] == "".join(str(c) for c in snap.regions.ravel())
    assert len(data["batch_losses"]) == 2000
    # each histogram is a distribution over its bins
    for snap in data["snapshots"]:
        for hist in snap["hist"]:
            assert abs(sum(hist) - 1) < 1e-2


def test_example_gradients_equal_backward_on_that_example(spiral_page):
    run, data = spiral_page.run, _page_data(spiral_page.html)
    example = data["example"]
    for k in (0, 17, 39):
        snap = run.snapshots[k]
        for e in (0, 4):
            i = data["examples"][e]
            net = run.network(snap)
            loss = net.loss(Node(run.x_train[i][None], requires_grad=False),
                            np.array([run.t_train[i]]))
            loss.backward()
            labels = [example["strings"][j] for j in example["labels"][k][e]]
            shown = dict(zip(example["edges"], zip(labels[::2], labels[1::2])))
            # the W1 edge carries W1's value above and ∂L/∂W1 below; the last edge the loss
            w1_edge = example["edges"][1]  # edges follow creation order: x's, then W1's
            assert shown[w1_edge] == (format_value(net.params["W1"].value, 4),
                                      format_value(net.params["W1"].grad, 4))
            assert labels[-2] == format_value(loss.value, 4)
            assert example["pred"][k][e] == int(np.argmax(net(run.x_train[i][None]).value))


def test_examples_cover_every_class(spiral_page):
    data = _page_data(spiral_page.html)
    classes = {data["points"][i][2] for i in data["examples"]}
    assert classes == {0, 1, 2} and len(data["examples"]) == 15


def test_a_recorded_run_is_reused_and_options_are_checked():
    from nn.playground import record

    run = record("moons", hidden=(4,), steps=20, snapshots=3, grid=8)
    page = watch(run, examples=2, lang="zh")
    assert page.run is run and 'lang="zh-CN"' in page.html and "训练数据的识别精度" in page.html
    data, _ = watch_data(run, examples=2)
    assert len(data["example"]["labels"]) == 3
    with pytest.raises(ValueError, match="lang"):
        watch(run, lang="fr")
    with pytest.raises(ValueError, match="examples must be a whole number"):
        watch(run, examples=0)


# ---------------------------------------------------------------- in the browser
def _open(browser_page, tmp_path, page_obj, locale_page=None):
    path = page_obj.save(tmp_path / "watch.html")
    page = locale_page or browser_page
    page.goto(path.as_uri())
    page.wait_for_selector("body[data-ready='1']")
    return page, path


def _state(page):
    return page.evaluate("""() => ({
        boundary: document.getElementById('gg-boundary').toDataURL(),
        marker: document.querySelector('#gg-curves .gg-marker').getAttribute('x1'),
        example: document.getElementById('gg-example').textContent,
        caption: document.getElementById('gg-example-caption').textContent,
        step: document.getElementById('gg-step').textContent,
        play: document.getElementById('gg-play').textContent,
    })""")


def _scrub(page, k):
    page.fill("#gg-scrubber", str(k))  # fires input and change, as a user's drag does


def test_browser_scrubbing_changes_regions_and_marker(spiral_page, browser_page, tmp_path):
    page, path = _open(browser_page, tmp_path, spiral_page)
    first = _state(page)
    assert first["step"] == "step 0 / 2000"
    _scrub(page, 39)
    last = _state(page)
    assert last["step"] == "step 2000 / 2000"
    assert last["boundary"] != first["boundary"]
    assert float(last["marker"]) > float(first["marker"])
    assert last["example"] != first["example"]  # the same example, later values and gradients
    assert page.requests == [path.as_uri()] and page.errors == []


def test_browser_play_and_scrubbing_stops_it(spiral_page, browser_page, tmp_path):
    page, _ = _open(browser_page, tmp_path, spiral_page)
    page.click("#gg-play")
    page.wait_for_timeout(1000)  # two ticks of 450 ms
    assert page.evaluate("document.getElementById('gg-scrubber').value") not in ("0", "1")
    assert _state(page)["play"] == "Pause"
    _scrub(page, 5)
    assert _state(page)["play"] == "Play"
    page.wait_for_timeout(1000)  # more than two play ticks: nothing moves any more
    assert page.evaluate("document.getElementById('gg-scrubber').value") == "5"


def test_browser_click_a_point_changes_the_example(spiral_page, browser_page, tmp_path):
    page, _ = _open(browser_page, tmp_path, spiral_page)
    _scrub(page, 20)
    before = _state(page)
    data = _page_data(spiral_page.html)
    x, y, _ = data["points"][data["examples"][7]]
    xmin, xmax, ymin, ymax = data["bounds"]
    box = page.locator("#gg-boundary").bounding_box()
    page.mouse.click(box["x"] + (x - xmin) / (xmax - xmin) * box["width"],
                     box["y"] + (ymax - y) / (ymax - ymin) * box["height"])
    after = _state(page)
    assert after["caption"].startswith(f"example {data['examples'][7]} ")
    assert after["example"] != before["example"] and after["caption"] != before["caption"]
    assert after["step"] == before["step"]


def test_browser_language_switch_and_locale(spiral_page, browser_page, chromium, tmp_path):
    page, _ = _open(browser_page, tmp_path, spiral_page)
    assert page.text_content("#gg-summary").startswith("train accuracy")
    page.click(".gg-lang button[data-lang='zh']")
    assert "训练数据的识别精度" in page.text_content("#gg-summary")
    assert page.text_content("#gg-step") == "第 0 步 / 共 2000 步"
    page.click(".gg-lang button[data-lang='en']")
    assert page.text_content("#gg-play") == "Play"
    context = chromium.new_context(locale="zh-CN")
    try:
        zh_page, _ = _open(None, tmp_path, spiral_page, context.new_page())
        assert zh_page.text_content("h1") == "观察神经网络的学习过程"
    finally:
        context.close()
