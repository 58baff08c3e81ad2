"""graphgrad/__main__.py: `python -m graphgrad` is the `graphgrad` command."""

from __future__ import annotations

import subprocess
import sys

import pytest

import viz


@pytest.mark.skipif(viz.backend() is None, reason="no Graphviz renderer")
def test_python_dash_m(tmp_path):
    page = tmp_path / "p.html"
    done = subprocess.run(
        [sys.executable, "-m", "graphgrad", "explore", "a*b", "-o", str(page), "--set", "a=2",
         "b=5"],
        capture_output=True, text=True, check=False,
    )
    assert done.returncode == 0, done.stderr
    assert page.exists() and "d output / d a = 5" in done.stdout
