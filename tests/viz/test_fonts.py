"""viz.fonts: the CJK font stack, real Chinese glyphs in PNG, and the missing-font warning.

"Real glyphs" is measured, not assumed: 一 (U+4E00) is one horizontal stroke, so its ink is a
flat line; where no font has it, Graphviz draws a tall framed box with the hex code inside.
The no-font machine is simulated with a fontconfig file that lists one Latin font only.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import numpy as np
import pytest

import viz
from autograd import Node
from viz import fonts
from viz.dot import FONT

needs_renderer = pytest.mark.skipif(viz.backend() is None, reason="no Graphviz renderer")
needs_fontconfig = pytest.mark.skipif(
    not (shutil.which("fc-list") and shutil.which("fc-match")),
    reason="needs fontconfig's fc-list and fc-match")

PNG = b"\x89PNG\r\n\x1a\n"
ROOT = Path(__file__).resolve().parents[2]


def chinese_price() -> Node:
    apple, num, tax = Node(100, name="苹果"), Node(2, name="个数"), Node(1.1, name="消费税")
    price = apple * num * tax
    price.name = "支付金额"
    return price


def test_has_cjk():
    assert fonts.has_cjk("苹果") and fonts.has_cjk("a：b") and fonts.has_cjk("上游梯度 1.1")
    assert not fonts.has_cjk("apple × 2 = 200, ∂y/∂x, μ σ Σ")


def test_the_stack_is_used_only_for_chinese_text():
    english = Node(2.0, name="apple") * 3
    assert f'fontname="{FONT}"' in viz.to_dot(english)
    dot = viz.to_dot(chinese_price())
    stack = fonts.font_stack(FONT, "苹果")
    assert f'fontname="{stack}"' in dot
    for name in ("Noto Sans CJK SC", "WenQuanYi Micro Hei", "Microsoft YaHei", "PingFang SC"):
        assert name in stack
    assert stack.startswith(FONT + ",")  # ×, ∂, Σ still come from DejaVu first


@needs_renderer
def test_missing_font_warns_once_and_still_draws(monkeypatch, tmp_path):
    monkeypatch.setattr(fonts, "_warned", False)
    monkeypatch.setattr(fonts, "cjk_font_available", lambda: False)
    price = chinese_price()
    with pytest.warns(fonts.MissingFontWarning) as caught:
        viz.render(price, tmp_path / "a.png")
    text = str(caught[0].message)
    assert "Noto Sans CJK SC" in text and "apt-get install fonts-noto-cjk" in text
    assert "字体" in text  # and in Chinese
    assert caught[0].filename == __file__  # points at the user's line, not into viz
    assert (tmp_path / "a.png").read_bytes().startswith(PNG)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        viz.render(price, tmp_path / "b.png")  # once per process
        viz.backward_steps(price)[0].render(tmp_path / "c.png")
    assert (tmp_path / "b.png").read_bytes().startswith(PNG)


@needs_renderer
def test_no_warning_without_chinese_or_for_svg(monkeypatch, tmp_path):
    monkeypatch.setattr(fonts, "_warned", False)
    monkeypatch.setattr(fonts, "cjk_font_available", lambda: False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        viz.render(Node(2.0, name="apple") * 3, tmp_path / "en.png")
        viz.render(chinese_price(), tmp_path / "zh.svg")  # the viewer draws SVG text
        viz.render(chinese_price(), tmp_path / "zh.dot")


# ---------------------------------------------------------------- real glyphs
def _ink_height(png: bytes) -> float:
    """Height of the dark pixels' bounding box, as a fraction of the image height."""
    from PIL import Image

    gray = np.asarray(Image.open(io.BytesIO(png)).convert("L"))
    rows = np.flatnonzero((gray < 128).any(axis=1))
    assert rows.size, "nothing was drawn"
    return (rows[-1] - rows[0] + 1) / gray.shape[0]


GLYPH_SCRIPT = textwrap.dedent("""
    import sys, warnings
    import viz
    from viz import fonts
    from viz.dot import FONT
    from viz.backends import dot_to_bytes
    from autograd import Node
    apple = Node(100, name="苹果")
    price = apple * 2
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        viz.render(price, sys.argv[2])
        dot = ('digraph {{ margin=0 pad=0 node [shape=plaintext margin=0 fontsize=48 '
               'fontname="{{}}"]; a [label="一一一"] }}').format(fonts.font_stack(FONT, "一"))
        with open(sys.argv[1], "wb") as f:
            f.write(dot_to_bytes(dot, "png"))  # no second warning
    print("available", fonts.cjk_font_available())
    for w in caught:
        print("warning", w.category.__name__, str(w.message).splitlines()[0])
""")


def _run_glyphs(tmp_path: Path, tag: str, env: dict[str, str]) -> tuple[float, str, Path]:
    glyph, picture = tmp_path / f"{tag}_glyph.png", tmp_path / f"{tag}_graph.png"
    done = subprocess.run([sys.executable, "-c", GLYPH_SCRIPT, str(glyph), str(picture)],
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    return _ink_height(glyph.read_bytes()), done.stdout, picture


def _latin_only_fontconfig(tmp_path: Path) -> dict[str, str]:
    """An environment whose fontconfig sees one Latin font and nothing else."""
    latin = subprocess.run(["fc-match", "-f", "%{file}", "DejaVu Sans"], capture_output=True,
                           text=True, check=False).stdout.strip()
    if not latin or any(k in latin for k in ("CJK", "wqy", "Han", "Droid")):
        pytest.skip(f"no Latin-only font to build a font-less machine from ({latin!r})")
    folder = tmp_path / "fonts"
    folder.mkdir()
    shutil.copy(latin, folder)
    conf = tmp_path / "fonts.conf"
    conf.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n'
        f"<fontconfig><dir>{folder}</dir><cachedir>{tmp_path / 'cache'}</cachedir>"
        "</fontconfig>\n", encoding="utf-8")
    return {**os.environ, "FONTCONFIG_FILE": str(conf)}


@needs_renderer
@needs_fontconfig
def test_chinese_renders_as_real_glyphs_and_a_fontless_machine_warns(tmp_path):
    if not fonts.cjk_font_available():
        pytest.skip("no CJK font installed here (CI installs fonts-noto-cjk: .ci/install-fonts)")
    # This machine: 一 is a flat stroke, and no warning.
    height, out, picture = _run_glyphs(tmp_path, "real", dict(os.environ))
    assert height < 0.25, f"一 drawn {height:.0%} of the image tall: a box, not the glyph"
    assert "available True" in out and "MissingFontWarning" not in out
    assert picture.read_bytes().startswith(PNG)
    # A machine without the font: the same 一 becomes tall boxes, and the picture warns once,
    # naming the fix, and is still written.
    height, out, picture = _run_glyphs(tmp_path, "none", _latin_only_fontconfig(tmp_path))
    assert height > 0.5, f"一 is {height:.0%} tall even without a CJK font?"
    assert "available False" in out
    assert out.count("warning MissingFontWarning") == 1 and "fonts-noto-cjk" in out
    assert picture.read_bytes().startswith(PNG)
