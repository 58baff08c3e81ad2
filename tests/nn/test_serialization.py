"""nn/serialization.py: parameter files checked from their headers; the book's pickles, safely."""

import io
import os
import pickle
import struct
import tracemalloc
import zipfile
import zlib

import numpy as np
import pytest

from nn import TwoLayerNet
from nn.serialization import (
    ParamsFileError,
    ParamsFileNotFoundError,
    load_book_pickle,
    load_params,
    save_params,
)


def _npy_header(shape, dtype="<f8"):
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buf, {"descr": dtype, "fortran_order": False, "shape": shape})
    return buf.getvalue()


def _net():
    np.random.seed(0)
    return TwoLayerNet(784, 50, 10)


def _valid_members(net, skip=()):
    members = {}
    for key, val in net.params.items():
        if key not in skip:
            buf = io.BytesIO()
            np.lib.format.write_array(buf, val)
            members[key + ".npy"] = buf.getvalue()
    return members


def test_round_trip_and_unchanged_on_error(tmp_path):
    net = _net()
    path = save_params(tmp_path / "p.npz", net.params)
    loaded = load_params(path, net.params)
    assert sorted(loaded) == ["W1", "W2", "b1", "b2"]
    np.testing.assert_array_equal(loaded["W1"], net.params["W1"])


def test_a_huge_declared_array_is_refused_before_its_data_is_read(tmp_path):
    # W1 declared as 5000 x 1000 float64 (40 MB), stored deflated: 40 KB on disk.
    net = _net()
    path = tmp_path / "bomb.npz"
    header = _npy_header((5000, 1000))
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in _valid_members(net, skip=("W1",)).items():
            zf.writestr(name, data)
        with zf.open("W1.npy", "w", force_zip64=True) as member:
            member.write(header)
            zeros = bytes(1_000_000)
            for _ in range(40):
                member.write(zeros)
    assert path.stat().st_size < 200_000
    before = net.params["W1"].copy()
    tracemalloc.start()
    try:
        with pytest.raises(ParamsFileError, match=r"W1 has shape \(5000, 1000\) in .*bomb.npz"):
            net.load_params(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2_000_000, f"{peak:,} bytes used to refuse the file"
    np.testing.assert_array_equal(net.params["W1"], before)


def test_a_tiny_member_declaring_a_giant_shape(tmp_path):
    path = tmp_path / "liar.npz"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("W1.npy", _npy_header((10**11,)) + bytes(16))
    with pytest.raises(ParamsFileError, match=r"W1 declares shape \(100000000000,\)"):
        load_params(path, {"W1": np.zeros(3)})


def test_object_arrays_and_junk_members(tmp_path):
    path = tmp_path / "obj.npz"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("W1.npy", _npy_header((1,), "|O") + bytes(8))
    with pytest.raises(ParamsFileError, match="Python objects"):
        load_params(path, {"W1": np.zeros(1)})
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("readme.txt", "hello")
    with pytest.raises(ParamsFileError, match="'readme.txt', not an array"):
        load_params(path, {"W1": np.zeros(1)})


def test_file_errors_name_the_file(tmp_path):
    like = {"W": np.zeros(2)}
    with pytest.raises(ParamsFileNotFoundError, match="no such file: .*nope.npz"):
        load_params(tmp_path / "nope.npz", like)
    with pytest.raises(FileNotFoundError):  # still a FileNotFoundError for old callers
        load_params(tmp_path / "nope.npz", like)
    with pytest.raises(ParamsFileError, match="is a folder"):
        load_params(tmp_path, like)
    npy = tmp_path / "x.npy"
    np.save(npy, np.zeros(2))
    with pytest.raises(ParamsFileError, match=r"x.npy is a .npy file \(one array\)"):
        _net().load_params(npy)
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(ParamsFileError, match="notes.txt is not a parameter file"):
        load_params(text, like)
    secret = tmp_path / "secret.npz"
    save_params(secret, like)
    secret.chmod(0)
    try:
        if not os.access(secret, os.R_OK):  # root reads anything
            with pytest.raises(ParamsFileError, match="cannot read .*secret.npz"):
                load_params(secret, like)
    finally:
        secret.chmod(0o600)


# ---------------------------------------------------------------- the book's params.pkl
@pytest.mark.parametrize("protocol", [2, 3, 4, 5])
def test_the_books_pickle_loads_in_every_protocol(tmp_path, protocol):
    net = _net()
    book = {key: val.copy() for key, val in net.params.items()}  # the book's save_params
    path = tmp_path / "params.pkl"
    path.write_bytes(pickle.dumps(book, protocol=protocol))
    loaded = load_book_pickle(path)
    assert list(loaded) == ["W1", "b1", "W2", "b2"]
    for key in book:
        np.testing.assert_array_equal(loaded[key], book[key])
        assert loaded[key].flags.writeable
    other = TwoLayerNet(784, 50, 10)
    other.load_params(path)
    np.testing.assert_array_equal(other.params["W2"], net.params["W2"])


def test_a_pickle_from_numpy_1_loads(tmp_path):
    # NumPy 1.x wrote numpy.core.multiarray where NumPy 2 writes numpy._core.multiarray.
    data = pickle.dumps({"W": np.arange(6.0).reshape(2, 3)}, protocol=2)
    old = data.replace(b"numpy._core.multiarray", b"numpy.core.multiarray")
    assert old != data
    path = tmp_path / "old.pkl"
    path.write_bytes(old)
    np.testing.assert_array_equal(load_book_pickle(path)["W"], np.arange(6.0).reshape(2, 3))


class _Evil:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


@pytest.mark.parametrize("kind", ["system", "eval", "in_dict", "subclass", "objects"])
def test_a_malicious_pickle_runs_nothing(tmp_path, kind):
    marker = tmp_path / "pwned"
    payload = {
        "system": _Evil(marker),
        "eval": None,
        "in_dict": {"W1": np.zeros(2), "b1": _Evil(marker)},
        "subclass": {"W": np.ma.masked_array([1.0, 2.0])},
        "objects": {"W": np.array([_Evil(marker)], dtype=object)},
    }[kind]
    if kind == "eval":
        # GLOBAL builtins.eval, then REDUCE with a string: hand-written opcodes
        code = f"__import__('os').system('touch {marker}')"
        data = (b"\x80\x02cbuiltins\neval\nq\x00X" + struct.pack("<I", len(code))
                + code.encode() + b"\x85R.")
    else:
        data = pickle.dumps(payload, protocol=4)
    path = tmp_path / "params.pkl"
    path.write_bytes(data)
    with pytest.raises(ParamsFileError, match="params.pkl is not a parameter file that can be"):
        load_book_pickle(path)
    with pytest.raises(ParamsFileError):
        _net().load_params(path)
    assert not marker.exists()


def test_pickles_of_the_wrong_shape_or_kind(tmp_path):
    path = tmp_path / "params.pkl"
    path.write_bytes(pickle.dumps([np.zeros(2)]))
    with pytest.raises(ParamsFileError, match="holds a list, not a dict"):
        load_book_pickle(path)
    path.write_bytes(pickle.dumps({"W1": [1.0, 2.0]}))
    with pytest.raises(ParamsFileError, match="'W1' in .* is a list"):
        load_book_pickle(path)
    path.write_bytes(pickle.dumps({"W1": np.zeros((3, 3))}))
    with pytest.raises(ParamsFileError, match=r"missing \['W2', 'b1', 'b2'\]"):
        _net().load_params(path)
    path.write_bytes(zlib.compress(b"junk"))
    with pytest.raises(ParamsFileError, match="not a parameter file that can be loaded safely"):
        load_book_pickle(path)
