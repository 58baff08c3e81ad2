"""Every notebook in notebooks/ runs from top to bottom without an error.

Each notebook is executed in memory with nbclient on this environment's "python3" kernel, with
notebooks/ as the working folder; the committed files are never rewritten. The environment
variable GRAPHGRAD_QUICK=1 makes the notebooks train for fewer iterations, so the whole set runs
in a few minutes; the outputs committed with the notebooks come from the full run. A notebook
that loads MNIST is skipped when MNIST is not found.
"""

from __future__ import annotations

import importlib.util
import os
import re
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat", reason="the notebook tests need nbformat")
nbclient = pytest.importorskip("nbclient", reason="the notebook tests need nbclient")
pytest.importorskip("ipykernel", reason="the notebook tests need ipykernel")

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
#: Seconds any one cell may take in quick mode before the test fails.
CELL_TIMEOUT = 300
#: Colour codes in the kernel's traceback, removed from the failure message.
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _loads_mnist(nb: nbformat.NotebookNode) -> bool:
    return any("load_mnist" in cell.source for cell in nb.cells if cell.cell_type == "code")


def _imports_torch(nb: nbformat.NotebookNode) -> bool:
    return any(re.search(r"^\s*(import|from) torch\b", cell.source, re.MULTILINE)
               for cell in nb.cells if cell.cell_type == "code")


def test_notebooks_are_there():
    assert NOTEBOOKS, f"no notebooks found in {NOTEBOOK_DIR}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path: Path, monkeypatch: pytest.MonkeyPatch,
                      request: pytest.FixtureRequest) -> None:
    nb = nbformat.read(path, as_version=4)
    if _loads_mnist(nb):  # skipped without MNIST; never download in a test
        monkeypatch.setenv("MNIST_DIR", str(request.getfixturevalue("mnist_dir")))
    if _imports_torch(nb) and importlib.util.find_spec("torch") is None:
        pytest.skip(f"{path.name} compares graphgrad with PyTorch, which is not installed; "
                    "pip install torch==2.13.0 to run it (CI does)")
    # The kernel inherits this process's environment.
    monkeypatch.setenv("GRAPHGRAD_QUICK", "1")
    # The notebooks multiply small matrices, where extra BLAS threads only compete for cores.
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        if var not in os.environ:
            monkeypatch.setenv(var, "1")
    client = nbclient.NotebookClient(
        nb, kernel_name="python3", timeout=CELL_TIMEOUT, record_timing=False,
        resources={"metadata": {"path": str(NOTEBOOK_DIR)}},
    )
    try:
        client.execute()
    except nbclient.exceptions.CellExecutionError as err:
        pytest.fail(f"{path.name} failed:\n{ANSI.sub('', str(err))}", pytrace=False)
