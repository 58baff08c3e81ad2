"""Progress bars that suit where the output goes.

On a terminal (or in Jupyter) a bar redraws a few times a second. When the output is a log
file, a CI job or a pipe, every redraw would be another ``\\r...`` line in the log, so the bar
updates only every :data:`LOG_INTERVAL` seconds (and once at the end). tqdm is optional:
without it, :func:`progress_bar` returns ``None`` and callers print nothing per step.
"""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["LOG_INTERVAL", "interactive", "progress_bar", "update_interval"]

#: Seconds between progress updates when the output is not a terminal.
LOG_INTERVAL = 30.0


def interactive() -> bool:
    """True on a terminal or in a Jupyter kernel, where redrawing a line is cheap."""
    if "ipykernel" in sys.modules:
        return True
    isatty = getattr(sys.stderr, "isatty", None)
    try:
        return bool(isatty and isatty())
    except ValueError:  # a closed stream
        return False


def update_interval() -> float:
    """Seconds between two progress updates here: 0.1 when interactive, else LOG_INTERVAL."""
    return 0.1 if interactive() else LOG_INTERVAL


def progress_bar(total: int | None, desc: str, **options: Any) -> Any:
    """A ``tqdm.auto`` bar (``None`` without tqdm) that updates rarely when not interactive."""
    try:
        import tqdm as _  # noqa: F401  (checks tqdm itself, even when tqdm.auto is cached)
        from tqdm.auto import tqdm
    except ImportError:
        return None
    if not interactive():
        options.setdefault("mininterval", LOG_INTERVAL)
        options.setdefault("maxinterval", 2 * LOG_INTERVAL)
    return tqdm(total=total, desc=desc, **options)
