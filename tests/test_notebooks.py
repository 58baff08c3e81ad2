"""Every notebook in notebooks/ and its Chinese edition notebooks/zh/ runs without an error.

Each notebook is executed in memory with nbclient on this environment's "python3" kernel, with
its own folder as the working folder; the committed files are never rewritten. The environment
variable GRAPHGRAD_QUICK=1 makes the notebooks train for fewer iterations, so the whole set runs
in a few minutes; the outputs committed with the notebooks come from the full run. A notebook
that loads MNIST is skipped when MNIST is not found.

The Chinese edition has the same code as the English one: only the prose, the comments and a
``lang="zh"`` argument differ, and ``test_chinese_edition_has_the_same_code`` keeps it so.
"""

from __future__ import annotations

import importlib.util
import io
import os
import re
import tokenize
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat", reason="the notebook tests need nbformat")
nbclient = pytest.importorskip("nbclient", reason="the notebook tests need nbclient")
pytest.importorskip("ipykernel", reason="the notebook tests need ipykernel")

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"
ENGLISH = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
#: The Chinese edition (中文版): the same file names in notebooks/zh/.
CHINESE = sorted((NOTEBOOK_DIR / "zh").glob("*.ipynb"))
NOTEBOOKS = ENGLISH + CHINESE
#: Seconds any one cell may take in quick mode before the test fails.
CELL_TIMEOUT = 300
#: Colour codes in the kernel's traceback, removed from the failure message.
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _loads_mnist(nb: nbformat.NotebookNode) -> bool:
    return any("load_mnist" in cell.source for cell in nb.cells if cell.cell_type == "code")


def _imports_torch(nb: nbformat.NotebookNode) -> bool:
    return any(re.search(r"^\s*(import|from) torch\b", cell.source, re.MULTILINE)
               for cell in nb.cells if cell.cell_type == "code")


def _code_tokens(source: str) -> list[tuple[int, str]]:
    """The code of a cell as tokens, without comments and layout, and without ``lang="zh"``."""
    try:
        tokens = [(t.type, t.string) for t in tokenize.generate_tokens(io.StringIO(source).readline)
                  if t.type not in (tokenize.COMMENT, tokenize.NL, tokenize.INDENT,
                                    tokenize.DEDENT, tokenize.ENDMARKER)]
    except (tokenize.TokenError, SyntaxError):
        return [(0, source)]
    lang = [(tokenize.OP, ","), (tokenize.NAME, "lang"), (tokenize.OP, "="),
            (tokenize.STRING, '"zh"')]
    out: list[tuple[int, str]] = []
    for tok in tokens:
        out.append(tok)
        if out[-4:] == lang:
            del out[-4:]
    return out


def _code_cells(path: Path) -> list[str]:
    nb = nbformat.read(path, as_version=4)
    return [cell.source for cell in nb.cells if cell.cell_type == "code"]


def test_notebooks_are_there():
    assert ENGLISH, f"no notebooks found in {NOTEBOOK_DIR}"
    english = {p.name for p in ENGLISH}
    # The seven notebooks of chapter 5 (and 6-7) have a Chinese edition, and every Chinese
    # notebook has its English original.
    book = {p.name for p in ENGLISH if p.name[:2] in {f"0{k}" for k in range(1, 8)}}
    assert len(book) == 7, sorted(book)
    chinese = {p.name for p in CHINESE}
    assert book <= chinese, f"no Chinese edition in notebooks/zh/ for {sorted(book - chinese)}"
    assert chinese <= english, f"notebooks/zh/ has no English original for {chinese - english}"


@pytest.mark.parametrize("path", CHINESE, ids=[p.stem for p in CHINESE])
def test_chinese_edition_has_the_same_code(path: Path) -> None:
    english, chinese = _code_cells(NOTEBOOK_DIR / path.name), _code_cells(path)
    assert len(chinese) == len(english), (
        f"{path.name}: {len(english)} code cells in English, {len(chinese)} in notebooks/zh/; "
        "add or remove the cell in both editions")
    for k, (en, zh) in enumerate(zip(english, chinese), start=1):
        assert _code_tokens(zh) == _code_tokens(en), (
            f"{path.name}, code cell {k}: the editions differ (only comments and lang=\"zh\" "
            f"may):\n--- English\n{en}\n--- 中文\n{zh}")


def test_the_code_comparison_sees_code_but_not_comments():
    assert _code_tokens("x = 1  # one") == _code_tokens("x = 1   # 一")
    assert _code_tokens('viz.explore(p, lang="zh")') == _code_tokens("viz.explore(p)")
    assert _code_tokens("x = 1") != _code_tokens("x = 2")
    assert _code_tokens('print("a")') != _code_tokens('print("甲")')


@pytest.mark.parametrize("path", NOTEBOOKS,
                         ids=[p.stem if p.parent == NOTEBOOK_DIR else f"zh/{p.stem}"
                              for p in NOTEBOOKS])
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
        resources={"metadata": {"path": str(path.parent)}},
    )
    try:
        client.execute()
    except nbclient.exceptions.CellExecutionError as err:
        where = path.relative_to(NOTEBOOK_DIR)
        pytest.fail(f"{where} failed:\n{ANSI.sub('', str(err))}", pytrace=False)
