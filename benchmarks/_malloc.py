"""Run benchmarks with glibc keeping freed memory, so page faults don't drown the comparison.

With glibc's default settings, freeing a step's large arrays often hands their pages back to the
OS and the next step faults them in again, costing several milliseconds per step. Whether that
happens depends on the heap's state left by whatever ran before, so the same NumPy code swings
between 2.6 and 6.2 ms. Both sides of every comparison run in the same process under the same
settings, so the ratio stays fair; the settings only remove the noise.
"""

from __future__ import annotations

import os
import sys

SETTINGS = {"MALLOC_TRIM_THRESHOLD_": str(1 << 30), "MALLOC_MMAP_THRESHOLD_": str(1 << 30)}


def ensure_steady_malloc() -> None:
    """Re-run this script with the settings unless they are set (or GRAPHGRAD_DEFAULT_MALLOC=1)."""
    if os.environ.get("GRAPHGRAD_DEFAULT_MALLOC") == "1" or sys.platform != "linux":
        return
    if all(os.environ.get(k) == v for k, v in SETTINGS.items()):
        return
    os.execve(sys.executable, [sys.executable, *sys.argv], {**os.environ, **SETTINGS})


def describe() -> str:
    """One line for the benchmark's output saying which allocator settings were in force."""
    if all(os.environ.get(k) == v for k, v in SETTINGS.items()):
        return "allocator: glibc keeps freed memory (MALLOC_*_THRESHOLD_=1 GiB), both sides"
    return "allocator: default settings (page faults may dominate; see benchmarks/_malloc.py)"
