"""autograd/files.py: the one safe-write helper (unique exclusive temp file, fsync, rename)."""

import os
import stat
import threading

import numpy as np
import pytest

from autograd.files import atomic_write, check_writable, write_bytes


def test_writes_and_replaces(tmp_path):
    target = tmp_path / "sub" / "a.bin"
    assert write_bytes(target, b"one") == target
    write_bytes(target, b"two")
    assert target.read_bytes() == b"two"
    assert sorted(p.name for p in target.parent.iterdir()) == ["a.bin"]


def test_permissions_follow_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        write_bytes(tmp_path / "p.bin", b"x")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "p.bin").stat().st_mode) == 0o644


def test_planted_symlinks_are_never_followed(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_bytes(b"precious")
    # the old fixed temporary name, and the target itself, both point at the victim
    (tmp_path / ".out.png.tmp").symlink_to(victim)
    target = tmp_path / "out.png"
    target.symlink_to(victim)
    write_bytes(target, b"picture")
    assert victim.read_bytes() == b"precious"
    assert not target.is_symlink() and target.read_bytes() == b"picture"


def test_temp_file_is_created_exclusively(tmp_path, monkeypatch):
    # Force the "random" name to collide with a planted symlink: mkstemp must skip it.
    import tempfile

    victim = tmp_path / "victim.txt"
    victim.write_bytes(b"precious")
    names = iter(["planted", "planted", "fresh"])

    class Names:
        def __iter__(self):
            return self

        def __next__(self):
            return next(names)

    monkeypatch.setattr(tempfile, "_get_candidate_names", lambda: Names())
    (tmp_path / ".t.bin.planted.tmp").symlink_to(victim)
    write_bytes(tmp_path / "t.bin", b"new")
    assert victim.read_bytes() == b"precious"
    assert (tmp_path / "t.bin").read_bytes() == b"new"


def test_failure_leaves_nothing_and_keeps_the_old_file(tmp_path):
    target = tmp_path / "keep.bin"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError, match="boom"):
        with atomic_write(target) as f:
            f.write(b"half")
            raise RuntimeError("boom")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["keep.bin"]
    # a target that cannot be replaced (a folder) also leaves no temporary file behind
    (tmp_path / "dir").mkdir()
    with pytest.raises(OSError):
        write_bytes(tmp_path / "dir", b"x")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dir", "keep.bin"]


def test_concurrent_writers_leave_one_valid_file(tmp_path):
    target = tmp_path / "params.npz"
    arrays = [np.full((200, 200), float(i)) for i in range(6)]
    errors = []

    def save(i):
        try:
            for _ in range(10):
                with atomic_write(target) as f:
                    np.savez(f, W=arrays[i])
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=save, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with np.load(target) as archive:
        w = archive["W"]
    assert w.shape == (200, 200) and np.all(w == w[0, 0]) and 0 <= w[0, 0] < 6
    assert [p.name for p in tmp_path.iterdir()] == ["params.npz"]


def test_check_writable(tmp_path):
    assert check_writable(tmp_path / "new" / "deeper" / "x.png") is None
    (tmp_path / "some-file").write_text("x")
    assert "is a file" in check_writable(tmp_path / "some-file" / "page.html")
    assert "is a folder" in check_writable(tmp_path)
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        if not os.access(locked, os.W_OK):  # root may write anywhere
            assert "no permission" in check_writable(locked / "x.png")
    finally:
        locked.chmod(0o700)
