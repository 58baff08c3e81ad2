"""MNIST loader with the textbook's signature (Deep Learning from Scratch, ``dataset/mnist.py``).

``load_mnist()`` returns ``((x_train, t_train), (x_test, t_test))`` as NumPy arrays.

Where the files come from, first match wins:

1. ``load_mnist(directory=...)``;
2. the ``MNIST_DIR`` environment variable;
3. the per-user cache, ``mnist_cache_dir()``; files missing there are downloaded from the
   mirrors in ``MNIST_MIRRORS`` (override with ``mirrors=`` or ``GRAPHGRAD_MNIST_MIRRORS``)
   and checked against ``MNIST_MD5`` before they are kept.

A folder named by 1 or 2 is never downloaded into: it is the user's own data (it may hold
Fashion-MNIST, whose file names are the same), so a missing file there is an error, not a
reason to fetch MNIST digits next to it.

Any folder with the four standard IDX files works, each gzipped or not:
``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``, ``t10k-images-idx3-ubyte``,
``t10k-labels-idx1-ubyte`` (optionally ending in ``.gz``). Local files are checked by their IDX
headers (magic number, counts, 28x28, length), not by checksum, because re-compressed copies of
the same data have different gz bytes.
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import math
import os
import re
import struct
import sys
import time
import urllib.request
import zlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import BinaryIO

import numpy as np

from autograd.files import atomic_write
from nn.progress import progress_bar, update_interval

__all__ = [
    "DOWNLOAD_DEADLINE",
    "DOWNLOAD_MAX_BYTES",
    "DOWNLOAD_TIMEOUT",
    "MNIST_FILES",
    "MNIST_MD5",
    "MNIST_MIRRORS",
    "MNISTDownloadError",
    "MNISTError",
    "MNISTNotFoundError",
    "load_mnist",
    "mnist_cache_dir",
]

#: The four files, uncompressed names; each may also be stored as ``name + ".gz"``.
MNIST_FILES: dict[str, str] = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}

#: MD5 of the gz files as published on the mirrors (torchvision's list). Only downloads are
#: checked against these.
MNIST_MD5: dict[str, str] = {
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}

#: Base URLs tried in order; ``base + "/" + file name`` is fetched. yann.lecun.com is left out
#: because it now answers most requests with 403.
MNIST_MIRRORS: tuple[str, ...] = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)

#: Seconds to wait for a mirror to connect or send the next chunk before trying the next one.
DOWNLOAD_TIMEOUT: float = 30.0

#: Seconds one file may take to download in all, however steadily the bytes trickle in.
DOWNLOAD_DEADLINE: float = 600.0

#: Largest file accepted from a mirror (MNIST's largest gz is 9.9 MB).
DOWNLOAD_MAX_BYTES: int = 16 * 1024 * 1024

#: Deflate cannot shrink data more than about 1032:1, so an uncompressed size declared above
#: this multiple of the gz file's size is a lie, refused before anything is inflated.
_MAX_DEFLATE_RATIO = 1032

_IMAGE_MAGIC = 2051  # 0x00000803: unsigned bytes, 3 dimensions (count, rows, columns)
_LABEL_MAGIC = 2049  # 0x00000801: unsigned bytes, 1 dimension (count)
_ROWS = _COLS = 28
_NUM_CLASSES = 10
_GZIP_MAGIC = b"\x1f\x8b"
_CHUNK = 1 << 16

_HOW_TO_POINT = (
    "To use MNIST files you already have, point the loader at their folder: "
    "set MNIST_DIR=/path/to/mnist or call load_mnist(directory='/path/to/mnist')."
)


class MNISTError(ValueError):
    """A file that ``load_mnist`` needs is missing, unreadable or not valid MNIST IDX data.

    Raised as is for bad file contents (truncated or corrupt gzip, wrong magic number, wrong
    image size, wrong length, image and label counts that differ); the message names the file
    and what is wrong with it. Catch this class to handle every loader failure.
    """


class MNISTNotFoundError(MNISTError, FileNotFoundError):
    """A required file is not in the folder and the loader will not download it.

    That is the case for a folder given by ``directory=`` or ``MNIST_DIR`` (never downloaded
    into) and for the cache when ``download=False``.
    """


class MNISTDownloadError(MNISTError, ConnectionError):
    """A file could not be downloaded from any mirror; the message lists each mirror's error."""


def mnist_cache_dir() -> Path:
    """Return the folder that downloads go to and that is searched when no folder is given.

    ``$GRAPHGRAD_CACHE/mnist`` if ``GRAPHGRAD_CACHE`` is set, else
    ``$XDG_CACHE_HOME/graphgrad/mnist``, else ``~/.cache/graphgrad/mnist``.
    """
    root = os.environ.get("GRAPHGRAD_CACHE")
    if root:
        return Path(root).expanduser() / "mnist"
    xdg = os.environ.get("XDG_CACHE_HOME")
    # The XDG spec says a relative value is invalid and must be ignored.
    if xdg and os.path.isabs(xdg):
        return Path(xdg) / "graphgrad" / "mnist"
    return Path.home() / ".cache" / "graphgrad" / "mnist"


def load_mnist(
    normalize: bool = True,
    flatten: bool = True,
    one_hot_label: bool = False,
    *,
    directory: str | os.PathLike[str] | None = None,
    download: bool = True,
    mirrors: Sequence[str] | None = None,
    checksums: Mapping[str, str] | None = None,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Load MNIST as ``((x_train, t_train), (x_test, t_test))``, like the textbook's loader.

    Args:
        normalize: images as float32 in [0, 1] (pixel / 255); else the raw uint8 pixels.
        flatten: images shaped (N, 784); else (N, 1, 28, 28) (one channel, for convolutions).
        one_hot_label: labels as (N, 10) float32 one-hot rows; else (N,) uint8 digits 0-9.
        directory: folder with the four IDX files (gz or not). Default: ``$MNIST_DIR``, then
            ``mnist_cache_dir()``.
        download: fetch files missing from the cache. Never applies to ``directory`` or
            ``MNIST_DIR``, which must already hold all four files.
        mirrors: base URLs to download from, in order. Default: the whitespace- or
            comma-separated list in ``$GRAPHGRAD_MNIST_MIRRORS``, else ``MNIST_MIRRORS``.
        checksums: MD5 per gz file name, overriding entries of ``MNIST_MD5`` (for other
            mirrors or test servers).

    Returns:
        Training set (60,000 images) and test set (10,000 images) for the real MNIST. All
        arrays are fresh and writable.

    Raises:
        MNISTNotFoundError: a file is missing and is not to be downloaded.
        MNISTDownloadError: a file could not be fetched from any mirror.
        MNISTError: a file is truncated, corrupt or not MNIST-shaped IDX data.
    """
    folder, source = _resolve_folder(directory)
    found = {key: _find(folder, name) for key, name in MNIST_FILES.items()}
    missing = [MNIST_FILES[key] for key, path in found.items() if path is None]
    if missing:
        if source != "cache" or not download:
            raise _not_found(folder, source, missing)
        md5 = {**MNIST_MD5, **(checksums or {})}
        urls = _mirror_list(mirrors)
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise MNISTDownloadError(
                f"cannot create the MNIST cache folder {folder}: {exc}. Set GRAPHGRAD_CACHE to "
                f"a writable folder. {_HOW_TO_POINT}"
            ) from exc
        for key, path in found.items():
            if path is None:
                gz_name = MNIST_FILES[key] + ".gz"
                found[key] = _download(gz_name, folder, urls, md5.get(gz_name))

    try:
        x_train = _read_idx(found["train_images"], _IMAGE_MAGIC)
        t_train = _read_idx(found["train_labels"], _LABEL_MAGIC)
        x_test = _read_idx(found["test_images"], _IMAGE_MAGIC)
        t_test = _read_idx(found["test_labels"], _LABEL_MAGIC)
    except MNISTError as exc:
        if source != "cache":
            raise
        # A cached file went bad after it was verified (disk, manual edit): say how to recover.
        raise MNISTError(f"{exc}. Delete it and call load_mnist() again to re-download.") from exc

    _check_counts(found["train_images"], x_train, found["train_labels"], t_train)
    _check_counts(found["test_images"], x_test, found["test_labels"], t_test)

    def images(x: np.ndarray) -> np.ndarray:
        if normalize:
            x = x.astype(np.float32)
            x /= 255.0  # in place: no second 188 MB temporary for the training set
        return x.reshape(len(x), _ROWS * _COLS) if flatten else x.reshape(len(x), 1, _ROWS, _COLS)

    def labels(t: np.ndarray, path: Path) -> np.ndarray:
        if not one_hot_label:
            return t
        if t.size and t.max() >= _NUM_CLASSES:
            raise MNISTError(
                f"{path}: label {int(t.max())} is outside 0-{_NUM_CLASSES - 1}, "
                "so it cannot be one-hot encoded in 10 columns"
            )
        one_hot = np.zeros((t.size, _NUM_CLASSES), dtype=np.float32)
        one_hot[np.arange(t.size), t] = 1.0
        return one_hot

    return (
        (images(x_train), labels(t_train, found["train_labels"])),
        (images(x_test), labels(t_test, found["test_labels"])),
    )


def _resolve_folder(directory: str | os.PathLike[str] | None) -> tuple[Path, str]:
    """Pick the folder to read and say where the choice came from (for error messages)."""
    if directory is not None:
        return Path(directory).expanduser(), "directory="
    env = os.environ.get("MNIST_DIR")
    if env:
        return Path(env).expanduser(), "MNIST_DIR"
    return mnist_cache_dir(), "cache"


def _find(folder: Path, name: str) -> Path | None:
    """Return ``folder/name`` or ``folder/name.gz``, whichever exists (uncompressed first)."""
    for candidate in (folder / name, folder / (name + ".gz")):
        if candidate.is_file():
            return candidate
    return None


def _not_found(folder: Path, source: str, missing: list[str]) -> MNISTNotFoundError:
    """Build the error for files that are missing and will not be downloaded."""
    names = ", ".join(f"{name}[.gz]" for name in missing)
    if source == "cache":
        return MNISTNotFoundError(
            f"MNIST files missing from the cache folder {folder}: {names}, and download=False. "
            f"Call load_mnist(download=True) to fetch them. {_HOW_TO_POINT}"
        )
    where = "given by MNIST_DIR" if source == "MNIST_DIR" else "given as directory="
    if not folder.exists():
        problem = f"the folder {folder} ({where}) does not exist"
    elif not folder.is_dir():
        problem = f"{folder} ({where}) is a file, not a folder"
    else:
        problem = f"the folder {folder} ({where}) has no {names}"
    return MNISTNotFoundError(
        f"MNIST files not found: {problem}. It needs the four standard IDX files "
        f"({', '.join(MNIST_FILES.values())}), each optionally gzipped (.gz). A folder you "
        "name is never downloaded into; unset MNIST_DIR and leave out directory= to download "
        "into the cache instead."
    )


def _mirror_list(mirrors: Sequence[str] | None) -> list[str]:
    """Mirrors from the argument, else ``$GRAPHGRAD_MNIST_MIRRORS``, else ``MNIST_MIRRORS``."""
    if mirrors is None:
        env = os.environ.get("GRAPHGRAD_MNIST_MIRRORS", "").strip()
        # Read the constant at call time so that reassigning it (e.g. in a test) takes effect.
        mirrors = re.split(r"[\s,]+", env) if env else MNIST_MIRRORS
    if isinstance(mirrors, str):  # one URL passed bare would otherwise be split into letters
        mirrors = [mirrors]
    return [m for m in mirrors if m]


def _download(gz_name: str, folder: Path, urls: Sequence[str], md5: str | None) -> Path:
    """Fetch ``gz_name`` into ``folder`` from the first mirror that serves it intact."""
    if md5 is None:
        raise MNISTDownloadError(f"no MD5 checksum known for {gz_name}; pass checksums=")
    target = folder / gz_name
    failures = []
    for base in urls:
        url = base.rstrip("/") + "/" + gz_name
        try:
            _fetch(url, target, md5)
            return target
        # OSError covers URLError, HTTPError (404...), refused connections and timeouts;
        # HTTPException covers protocol errors; ValueError covers bad URLs and checksums.
        except (OSError, http.client.HTTPException, ValueError) as exc:
            failures.append(f"  {url}: {exc}")
    tried = "\n".join(failures) if failures else "  (the mirror list is empty)"
    raise MNISTDownloadError(
        f"could not download {gz_name} into {folder}; every mirror failed:\n{tried}\n"
        f"{_HOW_TO_POINT} Other mirrors can be given with mirrors= or GRAPHGRAD_MNIST_MIRRORS."
    )


def _fetch(url: str, target: Path, md5: str) -> None:
    """Download ``url`` to ``target``, keeping it only if it is complete and matches ``md5``.

    The bytes go through :func:`autograd.files.atomic_write` (a unique temporary file beside
    the target, renamed into place only after the checks), so a failed, corrupt, oversized,
    too slow or interrupted (even Ctrl-C) download never leaves a file that a later call would
    mistake for good data. A body larger than ``DOWNLOAD_MAX_BYTES`` (announced or actual) and
    a download still running after ``DOWNLOAD_DEADLINE`` seconds are abandoned.
    """
    print(f"Downloading {url}", file=sys.stderr)
    deadline, cap = time.monotonic() + DOWNLOAD_DEADLINE, DOWNLOAD_MAX_BYTES
    # A fresh opener per call reads the proxy settings from the environment as they are now.
    opener = urllib.request.build_opener()
    with opener.open(url, timeout=DOWNLOAD_TIMEOUT) as response:
        length = response.headers.get("Content-Length", "")
        total = int(length) if length.isdigit() else None
        if total is not None and total > cap:
            raise OSError(f"the server announces {total:,} bytes; MNIST files are smaller than "
                          f"{cap:,} bytes (DOWNLOAD_MAX_BYTES)")
        with atomic_write(target) as out:
            digest = hashlib.md5(usedforsecurity=False)
            done = 0
            progress = _Progress(target.name, total)
            try:
                # read1: whatever has arrived, so a server that drips bytes meets the deadline
                while chunk := response.read1(_CHUNK):
                    done += len(chunk)
                    if done > cap:
                        raise OSError(f"more than {cap:,} bytes received; MNIST files are "
                                      "smaller (DOWNLOAD_MAX_BYTES)")
                    if time.monotonic() > deadline:
                        raise TimeoutError(
                            f"not finished after {DOWNLOAD_DEADLINE:g} s (DOWNLOAD_DEADLINE); "
                            f"{done:,} bytes received")
                    out.write(chunk)
                    digest.update(chunk)
                    progress.update(len(chunk))
            finally:
                progress.close()
            # http.client returns a short body without complaint when the server hangs up early.
            if total is not None and done != total:
                raise OSError(f"connection closed after {done} of {total} bytes")
            if digest.hexdigest() != md5.lower():
                raise ValueError(
                    f"MD5 checksum mismatch: got {digest.hexdigest()}, expected {md5}")


class _Progress:
    """Download progress: a tqdm bar when tqdm is installed, else a byte counter on stderr.

    Both update rarely when stderr is a log rather than a terminal (see :mod:`nn.progress`).
    """

    def __init__(self, name: str, total: int | None) -> None:
        self.name, self.total, self.done = name, total, 0
        self.bar = progress_bar(total, name, unit="B", unit_scale=True, unit_divisor=1024)
        self.interval, self.last = update_interval(), time.monotonic()

    def _write_counter(self) -> None:
        of_total = f" / {self.total / 1e6:.1f}" if self.total else ""
        sys.stderr.write(f"\r{self.name}: {self.done / 1e6:.1f}{of_total} MB")

    def update(self, n: int) -> None:
        """Record ``n`` more bytes."""
        self.done += n
        if self.bar is not None:
            self.bar.update(n)
        elif time.monotonic() - self.last >= self.interval:
            self.last = time.monotonic()
            self._write_counter()

    def close(self) -> None:
        """Finish the bar or the counter's line."""
        if self.bar is not None:
            self.bar.close()
        elif self.done:
            self._write_counter()
            sys.stderr.write("\n")


def _read_idx(path: Path, magic: int) -> np.ndarray:
    """Read an IDX file of unsigned bytes (gzipped or not) and check it is MNIST-shaped.

    Images (magic 2051) come back as uint8 (N, 28, 28), labels (magic 2049) as uint8 (N,).
    Only the header is read (inflated) before the checks: the size it declares must agree with
    the file (for a gz file, with its trailer and with what deflate can hold), so a small file
    that declares a huge one costs nothing. The data is then inflated straight into the result.
    Every failure, including an unreadable file, is an :class:`MNISTError` naming the file.
    """
    try:
        f = open(path, "rb")
    except OSError as exc:
        raise MNISTError(f"{path}: cannot read the file: {exc.strerror or exc}") from exc
    try:
        with f:
            return _parse_idx(path, f, magic)
    except OSError as exc:  # a read error on the disk or on the underlying file
        raise MNISTError(f"{path}: cannot read the file: {exc.strerror or exc}") from exc


def _parse_idx(path: Path, f: BinaryIO, magic: int) -> np.ndarray:
    kind = "image" if magic == _IMAGE_MAGIC else "label"
    size = os.fstat(f.fileno()).st_size
    # Sniff the content rather than trust the extension: renamed files are common.
    gz = f.read(2) == _GZIP_MAGIC
    f.seek(0)
    trailer = None
    stream: BinaryIO = f
    if gz:
        if size >= 18:  # smallest gzip member: 10-byte header, 8-byte trailer
            f.seek(size - 4)
            (trailer,) = struct.unpack("<I", f.read(4))  # ISIZE: length mod 2**32
            f.seek(0)
        stream = gzip.GzipFile(fileobj=f, mode="rb")  # type: ignore[assignment]

    def read_into(buffer: memoryview) -> int:
        got = 0
        try:
            while got < len(buffer):
                n = stream.readinto(buffer[got:])
                if not n:
                    break
                got += n
        except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
            raise MNISTError(
                f"{path}: corrupt or truncated gzip data ({exc}); the file is damaged or an "
                "incomplete download"
            ) from exc
        return got

    ndim = 3 if magic == _IMAGE_MAGIC else 1
    header_len = 4 * (1 + ndim)  # big-endian uint32 magic, then one uint32 per dimension
    header = bytearray(header_len)
    got = read_into(memoryview(header))
    if got < header_len:
        raise MNISTError(
            f"{path}: only {got} bytes, too short for an IDX {kind} header "
            f"({header_len} bytes); the file is empty or truncated"
        )
    found_magic, *dims = struct.unpack(f">{1 + ndim}I", header)
    if found_magic != magic:
        other = {_IMAGE_MAGIC: "an IDX image file", _LABEL_MAGIC: "an IDX label file"}
        looks_like = other.get(found_magic, "not an IDX file of unsigned bytes")
        raise MNISTError(
            f"{path}: wrong magic number {found_magic} (expected {magic} for an IDX {kind} "
            f"file); this is {looks_like}"
        )
    if ndim == 3 and dims[1:] != [_ROWS, _COLS]:
        raise MNISTError(f"{path}: images are {dims[1]}x{dims[2]}, expected {_ROWS}x{_COLS}")
    expected = header_len + math.prod(dims)
    declared = f"header says {dims[0]} {kind}s, which take {expected} bytes, but"
    if not gz and size != expected:
        problem = "truncated" if size < expected else "has extra bytes at the end"
        raise MNISTError(f"{path}: {declared} the data is {size} bytes; the file is {problem}")
    if gz and (expected > _MAX_DEFLATE_RATIO * size or trailer != expected % 2**32):
        raise MNISTError(
            f"{path}: {declared} the gzip file ({size} bytes, its trailer says {trailer} "
            "uncompressed) cannot hold that; the file is truncated or not what its header says"
        )
    data = np.empty(expected - header_len, dtype=np.uint8)
    got = read_into(memoryview(data))
    extra = read_into(memoryview(bytearray(1)))
    if got < len(data) or extra:
        problem = "truncated" if got < len(data) else "has extra bytes at the end"
        total = header_len + got + extra
        raise MNISTError(f"{path}: {declared} the data is {'at least ' if extra else ''}"
                         f"{total} bytes; the file is {problem}")
    return data.reshape(dims)


def _check_counts(image_path: Path, x: np.ndarray, label_path: Path, t: np.ndarray) -> None:
    """Refuse a split whose image and label files disagree on the number of examples."""
    if len(x) != len(t):
        raise MNISTError(
            f"{image_path} has {len(x)} images but {label_path} has {len(t)} labels; "
            "the two files do not belong together"
        )
