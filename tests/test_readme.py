"""README.md is executable: every ```python block runs on its own, in a fresh folder.

Each block is one test, named by the line its fence is on; a failure's traceback points at
README.md and the block's own line numbers. Blocks that are not Python (```bash, ```text,
```console) are not run.
"""

from __future__ import annotations

import re
import traceback
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
_FENCE = re.compile(r"^```(\S*)\s*$")


def python_blocks(text: str) -> list[tuple[int, str]]:
    """``[(line of the opening fence, code), ...]`` for every ```python block (1-based)."""
    blocks, lines = [], text.splitlines()
    i = 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        start, lang = i, m.group(1).lower()
        i += 1
        while i < len(lines) and not lines[i].startswith("```"):
            i += 1
        if i >= len(lines):
            raise AssertionError(f"README.md:{start + 1}: code block is never closed")
        if lang in ("python", "py"):
            blocks.append((start + 1, "\n".join(lines[start + 1 : i]) + "\n"))
        i += 1
    return blocks


BLOCKS = python_blocks(README.read_text(encoding="utf-8"))


def test_the_readme_has_python_blocks():
    assert len(BLOCKS) >= 5


def test_the_extractor_finds_blocks_and_their_lines():
    text = "intro\n```python\nx = 1\n```\n```bash\nls\n```\n```python\ny = 2\n```\n"
    assert python_blocks(text) == [(2, "x = 1\n"), (8, "y = 2\n")]
    with pytest.raises(AssertionError, match="README.md:1: code block is never closed"):
        python_blocks("```python\nx = 1\n")


@pytest.mark.parametrize(("line", "code"), BLOCKS, ids=[f"README.md:{n}" for n, _ in BLOCKS])
def test_readme_block_runs(line, code, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # blocks may write files (out/price.png, params.npz)
    # Pad with newlines so that line numbers in a traceback are README.md's own.
    compiled = compile("\n" * line + code, str(README), "exec")
    try:
        exec(compiled, {"__name__": "__readme__"})
    except Exception:
        pytest.fail(f"the ```python block at README.md:{line} failed:\n"
                    f"{traceback.format_exc(limit=-3)}", pytrace=False)
