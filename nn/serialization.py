"""Parameter files: ``.npz`` written safely, read with every header checked before any data.

- :func:`save_params` writes a dict of arrays as ``.npz`` with :func:`autograd.files.atomic_write`.
- :func:`load_params` reads an ``.npz`` back, checked against the arrays it will replace:
  every member's header (name, shape, dtype) and its size in the archive are checked
  *before* any array data is read, so a small file that declares a huge array costs nothing.
- The book's ``params.pkl`` (a pickled dict of NumPy arrays, as its ``save_params`` writes)
  is read by :func:`load_book_pickle` with a restricted unpickler: only NumPy's own array
  reconstruction is allowed, so a malicious pickle cannot run code.

Every failure is a :class:`ParamsFileError` (a ``ValueError``) naming the file.
"""

from __future__ import annotations

import collections
import os
import pickle
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from autograd.files import atomic_write

__all__ = [
    "ParamsFileError",
    "ParamsFileNotFoundError",
    "load_book_pickle",
    "load_params",
    "save_params",
]

_ZIP_MAGIC = b"PK\x03\x04"
_NPY_MAGIC = b"\x93NUMPY"
_PICKLE_SUFFIXES = (".pkl", ".pickle", ".p")


class ParamsFileError(ValueError):
    """A parameter file is missing, unreadable, malformed or does not match the model."""


class ParamsFileNotFoundError(ParamsFileError, FileNotFoundError):
    """The parameter file does not exist."""


def save_params(path: str | os.PathLike[str], params: Mapping[str, Any]) -> Path:
    """Write ``params`` as an ``.npz`` archive of plain arrays (never pickled); returns the path."""
    path = Path(path)
    with atomic_write(path) as f:  # a file object: np.savez would append ".npz" to a name
        np.savez(f, **{key: np.asarray(val) for key, val in params.items()})
    return path


def _open(path: Path, who: str):
    try:
        return open(path, "rb")
    except FileNotFoundError:
        raise ParamsFileNotFoundError(f"{who}: no such file: {path}") from None
    except IsADirectoryError:
        raise ParamsFileError(f"{who}: {path} is a folder, not a parameter file") from None
    except OSError as exc:
        raise ParamsFileError(f"{who}: cannot read {path}: {exc.strerror or exc}") from None


def load_params(path: str | os.PathLike[str], like: Mapping[str, np.ndarray],
                who: str = "load_params") -> dict[str, np.ndarray]:
    """Read the parameter file ``path``, checked against ``like`` (the model's ``params``).

    ``.npz`` files (from :func:`save_params`) and the book's pickles (``.pkl``, read with
    :func:`load_book_pickle`) are accepted. The file must hold exactly the keys of ``like``,
    each with the same shape and a floating-point dtype. Returns new arrays; ``like`` is not
    changed. Raises :class:`ParamsFileError` naming the file and what is wrong.
    """
    path = Path(path)
    with _open(path, who) as f:
        magic = f.read(len(_NPY_MAGIC))
    if magic.startswith(_ZIP_MAGIC):
        return _read_npz(path, like, who)
    if magic == _NPY_MAGIC:
        raise ParamsFileError(
            f"{who}: {path} is a .npy file (one array); parameters are saved as an .npz archive "
            f"of named arrays by save_params (np.savez(path, **params) writes one too)")
    if magic[:1] == b"\x80" or path.suffix.lower() in _PICKLE_SUFFIXES:
        loaded = load_book_pickle(path, who=who)
        _check_matches(path, who, like, {k: (v.shape, v.dtype) for k, v in loaded.items()})
        return loaded
    raise ParamsFileError(f"{who}: {path} is not a parameter file saved by save_params "
                          f"(.npz of plain arrays) or the book's save_params (.pkl)")


def _check_matches(path: Path, who: str, like: Mapping[str, np.ndarray],
                   found: Mapping[str, tuple[tuple[int, ...], np.dtype]]) -> None:
    missing = sorted(set(like) - set(found))
    extra = sorted(set(found) - set(like))
    if missing or extra:
        raise ParamsFileError(f"{who}: {path} does not match this model: missing "
                              f"{missing or 'nothing'}, unexpected {extra or 'nothing'}")
    for key, (shape, dtype) in found.items():
        if tuple(shape) != like[key].shape:
            raise ParamsFileError(f"{who}: {key} has shape {tuple(shape)} in {path} but "
                                  f"{like[key].shape} in this model")
        if dtype.kind != "f":
            raise ParamsFileError(f"{who}: {key} in {path} has dtype {dtype}; parameters must "
                                  f"be floating point")


def _read_npz(path: Path, like: Mapping[str, np.ndarray], who: str) -> dict[str, np.ndarray]:
    """Check every member's header against ``like``, then (only then) read the data."""
    bad = f"{who}: {path} is not a parameter file saved by save_params (.npz of plain arrays)"
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise ParamsFileError(f"{bad}: {exc}") from None
    with archive:
        headers: dict[str, tuple[tuple[int, ...], np.dtype]] = {}
        members: dict[str, zipfile.ZipInfo] = {}
        try:
            for info in archive.infolist():
                if not info.filename.endswith(".npy"):
                    raise ParamsFileError(f"{bad}: it holds {info.filename!r}, not an array")
                key = info.filename[: -len(".npy")]
                with archive.open(info) as member:
                    version = np.lib.format.read_magic(member)
                    if version == (1, 0):
                        shape, _, dtype = np.lib.format.read_array_header_1_0(member)
                    elif version == (2, 0):
                        shape, _, dtype = np.lib.format.read_array_header_2_0(member)
                    else:
                        raise ParamsFileError(f"{bad}: {key} uses .npy version {version}")
                    header_len = member.tell()
                if dtype.hasobject:
                    raise ParamsFileError(f"{bad}: {key} holds Python objects (a pickle), "
                                          "which are never loaded")
                # The declared size must be what the archive actually holds.
                declared = header_len + int(np.prod(shape, dtype=object)) * dtype.itemsize
                if declared != info.file_size:
                    raise ParamsFileError(
                        f"{bad}: {key} declares shape {tuple(shape)} ({declared:,} bytes) but "
                        f"the archive holds {info.file_size:,} bytes for it")
                headers[key], members[key] = (tuple(shape), dtype), info
        except ParamsFileError:
            raise
        except (ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
            raise ParamsFileError(f"{bad}: {exc}") from None
        _check_matches(path, who, like, headers)
        loaded = {}
        try:
            for key, info in members.items():
                with archive.open(info) as member:
                    loaded[key] = np.lib.format.read_array(member, allow_pickle=False)
        except (ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
            raise ParamsFileError(f"{bad}: {exc}") from None
    return loaded


# ---------------------------------------------------------------- the book's pickles


def _reconstruct(subtype: Any, shape: Any, dtype: Any) -> np.ndarray:
    """numpy's ``_reconstruct`` (the empty array that pickle's BUILD then fills), ndarray only."""
    if subtype is not np.ndarray:
        raise pickle.UnpicklingError(f"array subclass {subtype!r} is not allowed")
    return np.ndarray.__new__(np.ndarray, shape,
                              dtype if isinstance(dtype, np.dtype) else _dtype(dtype))


def _dtype(spec: Any, align: bool = False, copy: bool = False) -> np.dtype:
    dt = np.dtype(spec, align, copy)
    if dt.hasobject:
        raise pickle.UnpicklingError("arrays of Python objects are not allowed")
    return dt


def _frombuffer(buf: Any, dtype: np.dtype, shape: tuple[int, ...], order: str) -> np.ndarray:
    """numpy's ``_frombuffer`` (pickle protocol 5), for plain dtypes; returns a writable copy."""
    if not isinstance(dtype, np.dtype) or dtype.hasobject:
        raise pickle.UnpicklingError("arrays of Python objects are not allowed")
    return np.frombuffer(buf, dtype=dtype).reshape(shape, order=order).copy()


def _latin1(text: str, encoding: str = "latin1") -> bytes:
    """``_codecs.encode`` as protocol-2 pickles use it for array bytes; latin-1 only."""
    if encoding not in ("latin1", "latin-1") or not isinstance(text, str):
        raise pickle.UnpicklingError(f"codecs.encode with {encoding!r} is not allowed")
    return text.encode("latin1")


#: Everything a pickled dict of NumPy arrays refers to, and nothing else.
_ALLOWED: dict[tuple[str, str], Any] = {
    **{(m, "_reconstruct"): _reconstruct
       for m in ("numpy.core.multiarray", "numpy._core.multiarray")},
    **{(m, "_frombuffer"): _frombuffer for m in ("numpy.core.numeric", "numpy._core.numeric")},
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): _dtype,
    ("_codecs", "encode"): _latin1,
    ("collections", "OrderedDict"): collections.OrderedDict,
}


class _ArraysOnly(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        try:
            return _ALLOWED[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(f"it is a pickle that refers to {module}.{name}"
                                         ) from None


def load_book_pickle(path: str | os.PathLike[str], who: str = "load_book_pickle"
                     ) -> dict[str, np.ndarray]:
    """Read the book's ``params.pkl`` (a pickled dict of NumPy arrays) without running code.

    Only NumPy's array reconstruction may be called while unpickling; anything else (a
    class, a function, ``os.system``) is refused before it is called. The result must be a
    dict of string keys to numeric arrays. Raises :class:`ParamsFileError` naming the file.

        params = load_book_pickle("params.pkl")      # {'W1': array(...), ...}
        net.load_params("params.pkl")                # the same, checked against net.params
    """
    path = Path(path)
    with _open(path, who) as f:
        try:
            obj = _ArraysOnly(f).load()
        except (pickle.UnpicklingError, ValueError, TypeError, EOFError, AttributeError,
                IndexError, KeyError, MemoryError, OverflowError) as exc:
            raise ParamsFileError(
                f"{who}: {path} is not a parameter file that can be loaded safely ({exc}): "
                "of pickles, only a dict of NumPy arrays (the book's params.pkl) is loaded, "
                "because unpickling anything else could run code") from None
    if not isinstance(obj, dict) or not all(isinstance(k, str) for k in obj):
        raise ParamsFileError(f"{who}: {path} holds a {type(obj).__name__}, not a dict of "
                              "named arrays like the book's params.pkl")
    for key, value in obj.items():
        if not isinstance(value, np.ndarray) or value.dtype.kind not in "fiu":
            raise ParamsFileError(f"{who}: {key!r} in {path} is a {type(value).__name__}, not a "
                                  "numeric NumPy array")
    return dict(obj)
