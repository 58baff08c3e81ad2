"""Safe file writes, shared by every package that saves something (nn, viz, graphgrad).

It lives in ``autograd`` because that is the one package all the others may import
(dependencies point toward ``autograd``); it uses nothing but the standard library.

``atomic_write(path)`` is the one way graphgrad writes a file:

1. a temporary file with a unique random name is created *exclusively* (``O_CREAT|O_EXCL``)
   in the target's own folder, so a symlink or file planted there is never followed or
   overwritten, and two writers never share a temporary file;
2. the data is written, flushed and ``fsync``-ed;
3. the temporary file is renamed over the target (``os.replace``, atomic on one file system).
   A symlink at the target itself is replaced, not followed.

On any error (or Ctrl-C) the temporary file is removed and the target is untouched. Two
writers racing on one path leave one complete file: whichever rename came last.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

__all__ = ["atomic_write", "check_writable", "write_bytes"]


def _umask() -> int:
    # os.umask can only be read by setting it; this is what a plain open() would apply.
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike[str]) -> Iterator[BinaryIO]:
    """Open a binary file object whose contents replace ``path`` only when the block succeeds.

        with atomic_write("out/params.npz") as f:
            np.savez(f, W=W)

    Missing folders are created. The new file gets the permissions a plain ``open(path, "wb")``
    would give it (mkstemp's private 0600 is widened according to the umask).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name[:50]}.", suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        with contextlib.suppress(OSError):  # e.g. a file system without permissions
            os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_folder(path.parent)


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX); a no-op where folders cannot be opened."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` with :func:`atomic_write`; returns the path."""
    with atomic_write(path) as f:
        f.write(data)
    return Path(path)


def check_writable(path: str | os.PathLike[str]) -> str | None:
    """Why ``path`` could not be written as a file, or ``None`` if it looks writable.

    Checked without creating anything: the path is not a folder, its nearest existing
    ancestor is a folder (not a file) that this user may write into. Used to refuse a bad
    output path *before* a long computation rather than after it.
    """
    path = Path(path)
    if path.is_dir():
        return f"{path} is a folder; give a file name"
    ancestor = path.parent
    while not ancestor.exists():
        if ancestor == ancestor.parent:
            break
        ancestor = ancestor.parent
    if ancestor.exists() and not ancestor.is_dir():
        return f"{ancestor} is a file, so {path} cannot be created inside it"
    if not os.access(ancestor, os.W_OK | os.X_OK):
        return f"no permission to write into the folder {ancestor}"
    return None
