"""Fonts for Chinese text in pictures: the font stack, and a warning when no CJK font exists.

Graphviz draws a character that no installed font has as a framed box with its hex code
inside, so on a machine without a CJK font a node named 苹果 or a Chinese caption comes out
as boxes. Pictures whose text has Chinese characters ask for :data:`CJK_FONTS` after the Latin
font (Pango, which renders for Graphviz, takes each character from the first font in the list
that has it), and the first such PNG/PDF/GIF picture on a machine with none of them gives one
:class:`MissingFontWarning` that names the font and the command that installs it. The picture
is still written.
"""

from __future__ import annotations

import functools
import glob
import os
import re
import shutil
import subprocess
import sys
import threading
import warnings

from .messages import message

__all__ = ["CJK_FONTS", "MissingFontWarning", "cjk_font_available", "font_stack", "has_cjk"]

#: Fonts with Chinese characters, in order of preference: Noto Sans CJK / Source Han Sans
#: (Linux, `apt-get install fonts-noto-cjk`), WenQuanYi (older Linux), Microsoft YaHei and
#: SimHei (Windows), PingFang and Hiragino Sans GB (macOS), Droid Sans Fallback (Android).
CJK_FONTS = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Microsoft YaHei",
    "PingFang SC",
    "Hiragino Sans GB",
    "SimHei",
    "Droid Sans Fallback",
)

#: Han ideographs, CJK punctuation and full-width forms: text that needs a CJK font.
_CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")

#: Font files to look for where fontconfig's `fc-list` is not there (Windows, macOS).
_FONT_FILES = (
    "C:/Windows/Fonts/msyh.tt?",
    "C:/Windows/Fonts/simhei.ttf",
    "/System/Library/Fonts/PingFang.ttc",
    "/System/Library/Fonts/Hiragino Sans GB.ttc",
    "/Library/Fonts/*CJK*",
    "/usr/share/fonts/**/*CJK*",
    "/usr/share/fonts/**/wqy*",
)

#: Formats whose glyphs Graphviz itself draws (SVG leaves that to the viewer's fonts).
DRAWN_FORMATS = frozenset({"png", "pdf", "gif", "jpg", "jpeg", "bmp", "tif", "tiff", "ps",
                           "eps", "webp"})

_warned = False
_lock = threading.Lock()


class MissingFontWarning(UserWarning):
    """A picture has Chinese text, and no font on this machine can draw it."""


def has_cjk(text: str) -> bool:
    """True if `text` has a character that needs a CJK font (苹果, 。, ：...)."""
    return _CJK.search(text) is not None


def font_stack(latin: str, text: str) -> str:
    """The DOT ``fontname`` for `text`: `latin` alone, or followed by :data:`CJK_FONTS`.

    Latin-only pictures keep their single font, so their DOT stays as it was.
    """
    if not has_cjk(text):
        return latin
    return ",".join((latin, *CJK_FONTS))


@functools.lru_cache(maxsize=1)
def cjk_font_available() -> bool | None:
    """Whether a font with Chinese characters is installed: True, False, or None (cannot tell).

    Asks fontconfig (``fc-list :lang=zh``), which is what Graphviz's renderer uses; without
    `fc-list`, looks for the usual font files. Cached: install a font, then restart Python.
    """
    fc_list = shutil.which("fc-list")
    if fc_list:
        try:
            done = subprocess.run([fc_list, ":lang=zh", "family"], capture_output=True,
                                  text=True, timeout=20, check=False)
        except (OSError, subprocess.SubprocessError):
            return None
        if done.returncode == 0:
            return bool(done.stdout.strip())
        return None
    for pattern in _FONT_FILES:
        if glob.glob(pattern, recursive=True):
            return True
    return None if sys.platform.startswith(("win", "darwin")) else False


def _install_hint() -> str:
    return message("font.missing_cjk", "en", fonts=", ".join(CJK_FONTS)) + "\n" + \
        message("font.missing_cjk", "zh", fonts=", ".join(CJK_FONTS))


def warn_if_missing(dot: str, fmt: str) -> None:
    """Warn once per process if `dot` has Chinese text, `fmt` is drawn by Graphviz and no CJK
    font is installed. Never raises: the picture is drawn anyway (with boxes)."""
    global _warned
    if _warned or fmt not in DRAWN_FORMATS or not has_cjk(dot):
        return
    if cjk_font_available() is not False:
        return
    with _lock:
        if _warned:
            return
        _warned = True
    warnings.warn(_install_hint(), MissingFontWarning, stacklevel=_user_stacklevel())


def _user_stacklevel() -> int:
    """The ``stacklevel`` that points the warning at the user's line, outside viz."""
    here = os.path.dirname(os.path.abspath(__file__))
    frame, level = sys._getframe(1), 1
    while frame.f_back is not None and \
            os.path.dirname(os.path.abspath(frame.f_code.co_filename)) == here:
        frame, level = frame.f_back, level + 1
    return level
