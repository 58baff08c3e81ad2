"""What recording a training run for ``viz.watch`` costs, and how big and quick its page is.

The issue's case: 2,000 steps on the spiral with a 2×[10, 10]×3 network, 40 snapshots. Plain
training (the same loop with no snapshots) and recording are timed interleaved, so load on the
machine hits both alike; the ratio is recording over plain (target ≤ 1.20). Then the page is built
once, its size reported (target < 5 MB), and, when Chromium and Playwright are there, the time
from navigation to the page's first full render (target < 2 s).

    python benchmarks/bench_watch.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from nn.playground import record  # noqa: E402
from viz.watch import watch  # noqa: E402

CASE = {"hidden": (10, 10), "steps": 2000, "seed": 0}
CHROMIUM = os.environ.get("GRAPHGRAD_CHROMIUM", "/usr/bin/chromium")


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _open_time(path: Path) -> float | None:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    if not Path(CHROMIUM).exists():
        return None
    args = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
            "--disable-background-networking"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=args)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        times = []
        for _ in range(3):
            start = time.perf_counter()
            page.goto(path.as_uri())
            page.wait_for_selector("body[data-ready='1']")
            times.append(time.perf_counter() - start)
        browser.close()
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    plain, recorded = [], []
    for _ in range(args.repeats):
        plain.append(_timed(lambda: record("spiral", snapshot_at=[], **CASE)))
        recorded.append(_timed(lambda: record("spiral", snapshots=40, **CASE)))
    ratios = sorted(r / p for r, p in zip(recorded, plain))
    print(f"plain training   {statistics.median(plain) * 1e3:7.0f} ms (2,000 steps)")
    print(f"with 40 snapshots {statistics.median(recorded) * 1e3:6.0f} ms")
    print(f"recording / plain: {statistics.median(ratios):.3f}x "
          f"(min {ratios[0]:.3f}, max {ratios[-1]:.3f}; target ≤ 1.20)")
    run = record("spiral", snapshots=40, **CASE)
    start = time.perf_counter()
    page = watch(run)
    build = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as folder:
        path = page.save(Path(folder) / "watch.html")
        size = path.stat().st_size
        opened = _open_time(path)
    print(f"page: built in {build:.2f} s, {size / 1e6:.2f} MB (target < 5 MB), "
          f"{page.run.final.train_acc:.2f} train accuracy")
    print("opens in " + (f"{opened:.2f} s (target < 2 s)" if opened is not None
                         else "(not measured: no Playwright or Chromium)"))


if __name__ == "__main__":
    main()
