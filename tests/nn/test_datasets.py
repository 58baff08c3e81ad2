"""Tests for nn/datasets.py: IDX parsing, the load_mnist flags, error messages, downloads.

Small IDX files are generated in tmp_path; downloads come from a local HTTP server on
127.0.0.1. The real-data tests read MNIST_DIR or ../shared/datasets/mnist and skip without it.
"""

from __future__ import annotations

import gzip
import hashlib
import http.server
import os
import socket
import struct
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from nn import datasets
from nn.datasets import (
    MNISTDownloadError,
    MNISTError,
    MNISTNotFoundError,
    load_mnist,
    mnist_cache_dir,
)

N_TRAIN, N_TEST = 20, 5
NAMES = list(datasets.MNIST_FILES.values())  # train images, train labels, test images, labels


def idx_images(pixels: np.ndarray) -> bytes:
    """IDX3 bytes for uint8 images shaped (N, rows, cols)."""
    n, rows, cols = pixels.shape
    return struct.pack(">4I", 2051, n, rows, cols) + pixels.astype(np.uint8).tobytes()


def idx_labels(labels: np.ndarray) -> bytes:
    """IDX1 bytes for uint8 labels shaped (N,)."""
    return struct.pack(">2I", 2049, len(labels)) + labels.astype(np.uint8).tobytes()


def make_mnist() -> dict[str, tuple[np.ndarray, bytes]]:
    """Build a tiny fake MNIST: file name -> (array, IDX bytes). Labels cover all ten digits."""
    rng = np.random.default_rng(0)
    x_train = rng.integers(0, 256, (N_TRAIN, 28, 28), dtype=np.uint8)
    x_test = rng.integers(0, 256, (N_TEST, 28, 28), dtype=np.uint8)
    x_train[0] = 0  # keep both extremes so the [0, 1] range check means something
    x_train[1] = 255
    t_train = np.arange(N_TRAIN, dtype=np.uint8) % 10
    t_test = np.array([7, 2, 1, 0, 4], dtype=np.uint8)
    arrays = [x_train, t_train, x_test, t_test]
    encoders = [idx_images, idx_labels, idx_images, idx_labels]
    return {name: (a, enc(a)) for name, a, enc in zip(NAMES, arrays, encoders, strict=True)}


FAKE = make_mnist()


def write_mnist(folder: Path, gz: bool | list[bool] = True) -> Path:
    """Write the fake files into ``folder``; ``gz`` per file or for all four."""
    folder.mkdir(parents=True, exist_ok=True)
    flags = gz if isinstance(gz, list) else [gz] * 4
    for (name, (_, raw)), zipped in zip(FAKE.items(), flags, strict=True):
        if zipped:
            (folder / (name + ".gz")).write_bytes(gzip.compress(raw, mtime=0))
        else:
            (folder / name).write_bytes(raw)
    return folder


@pytest.fixture(autouse=True)
def isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Keep every test away from the user's MNIST_DIR, cache and proxies."""
    for var in ("MNIST_DIR", "GRAPHGRAD_MNIST_MIRRORS", "XDG_CACHE_HOME"):
        monkeypatch.delenv(var, raising=False)
    for var in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("GRAPHGRAD_CACHE", str(tmp_path / "cache"))
    # A hung server must fail a test quickly, not stall the suite for the default 30 s.
    monkeypatch.setattr(datasets, "DOWNLOAD_TIMEOUT", 5.0)
    return tmp_path / "cache" / "mnist"


# --- shapes, dtypes and flags ---------------------------------------------------------------


def test_defaults_match_the_book(tmp_path: Path) -> None:
    (x, t), (xt, tt) = load_mnist(directory=write_mnist(tmp_path / "d"))
    assert x.shape == (N_TRAIN, 784) and x.dtype == np.float32
    assert xt.shape == (N_TEST, 784) and xt.dtype == np.float32
    assert t.shape == (N_TRAIN,) and t.dtype == np.uint8
    assert tt.shape == (N_TEST,) and tt.dtype == np.uint8
    np.testing.assert_array_equal(x, FAKE[NAMES[0]][0].reshape(N_TRAIN, 784) / np.float32(255))
    assert x.min() == 0.0 and x.max() == 1.0
    np.testing.assert_array_equal(t, FAKE[NAMES[1]][0])
    np.testing.assert_array_equal(tt, [7, 2, 1, 0, 4])


def test_raw_pixels_unflattened_one_hot(tmp_path: Path) -> None:
    folder = write_mnist(tmp_path / "d")
    (x, t), (xt, tt) = load_mnist(False, False, True, directory=folder)
    assert x.shape == (N_TRAIN, 1, 28, 28) and x.dtype == np.uint8
    assert xt.shape == (N_TEST, 1, 28, 28)
    np.testing.assert_array_equal(x[:, 0], FAKE[NAMES[0]][0])
    assert t.shape == (N_TRAIN, 10) and t.dtype == np.float32
    np.testing.assert_array_equal(t.sum(axis=1), 1.0)
    np.testing.assert_array_equal(t.argmax(axis=1), FAKE[NAMES[1]][0])
    np.testing.assert_array_equal(tt[0], [0, 0, 0, 0, 0, 0, 0, 1, 0, 0])


def test_normalized_unflattened(tmp_path: Path) -> None:
    (x, _), _ = load_mnist(normalize=True, flatten=False, directory=write_mnist(tmp_path / "d"))
    assert x.shape == (N_TRAIN, 1, 28, 28) and x.dtype == np.float32
    assert x[1].min() == 1.0 and x[0].max() == 0.0


@pytest.mark.parametrize(
    "gz", [True, False, [True, False, False, True]], ids=["gz", "raw", "mixed"]
)
def test_gzipped_or_not(tmp_path: Path, gz: bool | list[bool]) -> None:
    (x, _), (xt, tt) = load_mnist(normalize=False, directory=write_mnist(tmp_path / "d", gz))
    np.testing.assert_array_equal(x.reshape(-1, 28, 28), FAKE[NAMES[0]][0])
    np.testing.assert_array_equal(xt.reshape(-1, 28, 28), FAKE[NAMES[2]][0])
    np.testing.assert_array_equal(tt, FAKE[NAMES[3]][0])


def test_content_sniffed_not_extension(tmp_path: Path) -> None:
    """An uncompressed file misnamed .gz still loads."""
    folder = write_mnist(tmp_path / "d")
    (folder / (NAMES[1] + ".gz")).write_bytes(FAKE[NAMES[1]][1])
    (_, t), _ = load_mnist(directory=folder)
    np.testing.assert_array_equal(t, FAKE[NAMES[1]][0])


def test_arrays_are_writable(tmp_path: Path) -> None:
    (x, t), (xt, tt) = load_mnist(normalize=False, directory=write_mnist(tmp_path / "d"))
    for a in (x, t, xt, tt):
        assert a.flags.writeable
    x -= 1  # the kind of in-place preprocessing students do


def test_mnist_dir_env_and_directory_precedence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env_folder = write_mnist(tmp_path / "env")
    monkeypatch.setenv("MNIST_DIR", str(env_folder))
    (_, t), _ = load_mnist()
    np.testing.assert_array_equal(t, FAKE[NAMES[1]][0])

    # directory= wins over MNIST_DIR: a broken folder given explicitly must be the one read.
    explicit = write_mnist(tmp_path / "explicit")
    (explicit / (NAMES[3] + ".gz")).unlink()
    with pytest.raises(MNISTNotFoundError, match="explicit"):
        load_mnist(directory=explicit)


def test_cache_dir_locations(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("GRAPHGRAD_CACHE", str(tmp_path / "g"))
    assert mnist_cache_dir() == tmp_path / "g" / "mnist"
    monkeypatch.delenv("GRAPHGRAD_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert mnist_cache_dir() == tmp_path / "xdg" / "graphgrad" / "mnist"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/ignored")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert mnist_cache_dir() == tmp_path / "home" / ".cache" / "graphgrad" / "mnist"


def test_files_already_in_cache_need_no_network(isolated_env: Path) -> None:
    write_mnist(isolated_env, gz=False)
    (_, t), _ = load_mnist(download=False)
    np.testing.assert_array_equal(t, FAKE[NAMES[1]][0])


# --- bad files: every message names the file -------------------------------------------------


def corrupt(tmp_path: Path, name: str, data: bytes) -> tuple[Path, Path]:
    """Write a fake MNIST folder (uncompressed) whose ``name`` file holds ``data``."""
    folder = write_mnist(tmp_path / "d", gz=False)
    path = folder / name
    path.write_bytes(data)
    return folder, path


def assert_refused(folder: Path, path: Path, match: str, **kwargs: bool) -> str:
    """load_mnist(directory=folder) raises an MNISTError matching `match` that names `path`."""
    with pytest.raises(MNISTError, match=match) as info:
        load_mnist(directory=folder, **kwargs)
    assert str(path) in str(info.value)
    return str(info.value)


def test_truncated_idx(tmp_path: Path) -> None:
    folder, path = corrupt(tmp_path, NAMES[0], FAKE[NAMES[0]][1][:-100])
    message = assert_refused(folder, path, "truncated")
    assert "20 images" in message


def test_trailing_bytes(tmp_path: Path) -> None:
    folder, path = corrupt(tmp_path, NAMES[3], FAKE[NAMES[3]][1] + b"\0")
    assert_refused(folder, path, "extra bytes")


@pytest.mark.parametrize("size", [0, 10])
def test_shorter_than_header(tmp_path: Path, size: int) -> None:
    folder, path = corrupt(tmp_path, NAMES[2], FAKE[NAMES[2]][1][:size])
    assert_refused(folder, path, "too short for an IDX image header")


def test_truncated_gzip(tmp_path: Path) -> None:
    folder = write_mnist(tmp_path / "d")
    path = folder / (NAMES[0] + ".gz")
    path.write_bytes(path.read_bytes()[:-50])
    assert_refused(folder, path, "gzip")


def test_corrupted_gzip(tmp_path: Path) -> None:
    folder = write_mnist(tmp_path / "d")
    path = folder / (NAMES[0] + ".gz")
    data = bytearray(path.read_bytes())
    data[len(data) // 2 : len(data) // 2 + 16] = b"\xff" * 16
    path.write_bytes(bytes(data))
    assert_refused(folder, path, "corrupt")


def test_wrong_magic_label_file_as_images(tmp_path: Path) -> None:
    folder, path = corrupt(tmp_path, NAMES[0], FAKE[NAMES[1]][1])
    message = assert_refused(folder, path, "wrong magic number 2049")
    assert "label file" in message


def test_wrong_magic_garbage(tmp_path: Path) -> None:
    folder, path = corrupt(tmp_path, NAMES[3], b"<html>404 Not Found</html>")
    assert_refused(folder, path, "wrong magic number")


def test_wrong_image_size(tmp_path: Path) -> None:
    small = idx_images(np.zeros((N_TRAIN, 28, 27), dtype=np.uint8))
    folder, path = corrupt(tmp_path, NAMES[0], small)
    assert_refused(folder, path, "28x27, expected 28x28")


def test_count_mismatch(tmp_path: Path) -> None:
    folder, path = corrupt(tmp_path, NAMES[3], idx_labels(np.zeros(N_TEST + 1, np.uint8)))
    message = assert_refused(folder, path, r"5 images but .* 6 labels")
    assert str(folder / NAMES[2]) in message


def test_one_hot_label_out_of_range(tmp_path: Path) -> None:
    folder, path = corrupt(tmp_path, NAMES[1], idx_labels(np.full(N_TRAIN, 12, np.uint8)))
    load_mnist(directory=folder)  # fine as plain labels
    assert_refused(folder, path, "label 12", one_hot_label=True)


def test_missing_file_in_given_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = write_mnist(tmp_path / "d")
    (folder / (NAMES[1] + ".gz")).unlink()
    monkeypatch.setenv("GRAPHGRAD_MNIST_MIRRORS", f"http://127.0.0.1:{closed_port()}/")
    # A named folder is never downloaded into, so this is "not found", not a download error.
    with pytest.raises(MNISTNotFoundError) as info:
        load_mnist(directory=folder)
    message = str(info.value)
    assert NAMES[1] in message and str(folder) in message
    assert isinstance(info.value, FileNotFoundError)
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        n + ".gz" for n in NAMES if n != NAMES[1]
    )


def test_missing_folder_from_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MNIST_DIR", str(tmp_path / "nowhere"))
    with pytest.raises(MNISTNotFoundError, match="does not exist") as info:
        load_mnist()
    assert "MNIST_DIR" in str(info.value) and "nowhere" in str(info.value)


def test_bad_cached_file_says_how_to_recover(isolated_env: Path) -> None:
    write_mnist(isolated_env)
    path = isolated_env / (NAMES[2] + ".gz")
    path.write_bytes(b"")
    with pytest.raises(MNISTError, match="re-download") as info:
        load_mnist()
    assert str(path) in str(info.value)


def test_download_false_with_empty_cache(isolated_env: Path) -> None:
    with pytest.raises(MNISTNotFoundError, match="download=False") as info:
        load_mnist(download=False)
    assert all(name in str(info.value) for name in NAMES)
    assert "MNIST_DIR" in str(info.value)


# --- downloads from a local server ------------------------------------------------------------


def closed_port() -> int:
    """Return a localhost port with nothing listening (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Handler(http.server.BaseHTTPRequestHandler):
    """Serves ``server.routes``: path -> bytes, or ("cut", bytes) to hang up halfway."""

    timeout = 5  # socket timeout: a stuck client cannot hold a server thread for long

    def do_GET(self) -> None:
        self.server.requests.append(self.path)
        route = self.server.routes.get(self.path)
        if route is None:
            self.send_error(404)
            return
        if isinstance(route, tuple) and route[0] == "drip":  # 4 bytes every 0.1 s
            self.send_response(200)
            self.send_header("Content-Length", str(len(route[1])))
            self.end_headers()
            for i in range(0, len(route[1]), 4):
                self.wfile.write(route[1][i : i + 4])
                self.wfile.flush()
                if self.server.stop.wait(0.1):
                    return
            return
        if isinstance(route, tuple) and route[0] == "huge":  # no length, endless bytes
            self.send_response(200)
            if route[1] is not None:
                self.send_header("Content-Length", str(route[1]))
            self.end_headers()
            while not self.server.stop.is_set():
                self.wfile.write(bytes(65536))
            return
        cut = isinstance(route, tuple)
        body = route[1] if cut else route
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[: len(body) // 2] if cut else body)
        if cut:
            self.close_connection = True

    def handle(self) -> None:
        try:
            super().handle()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up on a slow or oversized body, as it should

    def log_message(self, *args: object) -> None:
        """Keep test output quiet."""


@pytest.fixture
def server():
    """Run a threaded HTTP server on 127.0.0.1 serving the fake gz files under /good/."""
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    httpd.block_on_close = False
    httpd.requests = []
    httpd.stop = threading.Event()
    httpd.gz = {name + ".gz": gzip.compress(raw, mtime=0) for name, (_, raw) in FAKE.items()}
    httpd.routes = {f"/good/{name}": data for name, data in httpd.gz.items()}
    httpd.md5 = {name: hashlib.md5(data).hexdigest() for name, data in httpd.gz.items()}
    httpd.base = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    yield httpd
    httpd.stop.set()
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)


def test_download_404_then_good_mirror(server, isolated_env: Path) -> None:
    mirrors = [f"{server.base}/missing/", f"{server.base}/good"]
    (x, _), (_, tt) = load_mnist(normalize=False, mirrors=mirrors, checksums=server.md5)
    np.testing.assert_array_equal(x.reshape(-1, 28, 28), FAKE[NAMES[0]][0])
    np.testing.assert_array_equal(tt, FAKE[NAMES[3]][0])
    assert sorted(p.name for p in isolated_env.iterdir()) == sorted(server.gz)
    assert (isolated_env / (NAMES[0] + ".gz")).read_bytes() == server.gz[NAMES[0] + ".gz"]
    assert len(server.requests) == 8  # each file: 404 from the first mirror, then 200

    # Second call: everything is cached, nothing is fetched.
    load_mnist(mirrors=mirrors, checksums=server.md5)
    assert len(server.requests) == 8


def test_download_only_missing_files(server, isolated_env: Path) -> None:
    write_mnist(isolated_env)
    (isolated_env / (NAMES[3] + ".gz")).unlink()
    load_mnist(mirrors=[f"{server.base}/good/"], checksums=server.md5)
    assert server.requests == [f"/good/{NAMES[3]}.gz"]


def test_mirrors_from_env(server, isolated_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "GRAPHGRAD_MNIST_MIRRORS", f"http://127.0.0.1:{closed_port()}/, {server.base}/good/"
    )
    (_, t), _ = load_mnist(checksums=server.md5)
    np.testing.assert_array_equal(t, FAKE[NAMES[1]][0])


def test_mirrors_from_module_constant(
    server, isolated_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(datasets, "MNIST_MIRRORS", (f"{server.base}/good/",))
    load_mnist(checksums=server.md5)
    assert len(server.requests) == 4


def test_checksum_mismatch_keeps_nothing(server, isolated_env: Path) -> None:
    wrong = {**server.md5, NAMES[2] + ".gz": "0" * 32}
    with pytest.raises(MNISTDownloadError) as info:
        load_mnist(mirrors=[f"{server.base}/good/"], checksums=wrong)
    message = str(info.value)
    assert NAMES[2] + ".gz" in message and "MD5 checksum mismatch" in message
    assert not (isolated_env / (NAMES[2] + ".gz")).exists()
    assert not list(isolated_env.glob(".*"))


def test_default_checksums_reject_other_data(server, isolated_env: Path) -> None:
    """Without checksums=, the published MNIST MD5s apply and our fake files fail them."""
    with pytest.raises(MNISTDownloadError, match=datasets.MNIST_MD5[NAMES[0] + ".gz"]):
        load_mnist(mirrors=[f"{server.base}/good/"])
    assert list(isolated_env.iterdir()) == []


def test_interrupted_download_leaves_no_partial_file(server, isolated_env: Path) -> None:
    name = NAMES[0] + ".gz"
    server.routes[f"/good/{name}"] = ("cut", server.gz[name])
    with pytest.raises(MNISTDownloadError) as info:
        load_mnist(mirrors=[f"{server.base}/good/"], checksums=server.md5)
    assert name in str(info.value)
    assert "connection closed after" in str(info.value)
    assert not (isolated_env / name).exists()
    assert not list(isolated_env.glob(".*"))


def test_ctrl_c_during_download_leaves_no_partial_file(
    server, isolated_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupt(self: object, n: int) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(datasets._Progress, "update", interrupt)
    with pytest.raises(KeyboardInterrupt):
        load_mnist(mirrors=[f"{server.base}/good/"], checksums=server.md5)
    assert list(isolated_env.iterdir()) == []


def test_a_dripping_mirror_meets_the_overall_deadline(
    server, isolated_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    name = NAMES[0] + ".gz"
    server.routes[f"/slow/{name}"] = ("drip", server.gz[name])
    monkeypatch.setattr(datasets, "DOWNLOAD_DEADLINE", 0.5)
    started = time.monotonic()
    with pytest.raises(MNISTDownloadError, match=r"not finished after 0.5 s \(DOWNLOAD_DEADLINE"):
        load_mnist(mirrors=[f"{server.base}/slow/"], checksums=server.md5)
    assert time.monotonic() - started < 3  # the body alone would take over 10 s
    assert list(isolated_env.iterdir()) == []


@pytest.mark.parametrize("announced", [10**12, None])
def test_an_oversized_body_is_refused(
    server, isolated_env: Path, monkeypatch: pytest.MonkeyPatch, announced: int | None
) -> None:
    name = NAMES[0] + ".gz"
    server.routes[f"/huge/{name}"] = ("huge", announced)
    monkeypatch.setattr(datasets, "DOWNLOAD_MAX_BYTES", 200_000)
    with pytest.raises(MNISTDownloadError) as info:
        load_mnist(mirrors=[f"{server.base}/huge/"], checksums=server.md5)
    expected = "announces 1,000,000,000,000 bytes" if announced else "more than 200,000 bytes"
    assert expected in str(info.value) and "DOWNLOAD_MAX_BYTES" in str(info.value)
    assert list(isolated_env.iterdir()) == []


def test_no_network_points_at_local_files(isolated_env: Path) -> None:
    port = closed_port()
    with pytest.raises(MNISTDownloadError) as info:
        load_mnist(mirrors=[f"http://127.0.0.1:{port}/a/", f"http://127.0.0.1:{port}/b/"])
    message = str(info.value)
    assert "every mirror failed" in message
    assert f"127.0.0.1:{port}/a/{NAMES[0]}.gz" in message
    assert f"127.0.0.1:{port}/b/{NAMES[0]}.gz" in message
    assert "MNIST_DIR=" in message and "directory=" in message
    assert isinstance(info.value, ConnectionError)
    assert list(isolated_env.iterdir()) == []


def test_progress_without_tqdm(
    server, isolated_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.setitem(sys.modules, "tqdm", None)  # makes `import tqdm` fail
    load_mnist(mirrors=[f"{server.base}/good/"], checksums=server.md5)
    err = capsys.readouterr().err
    assert f"Downloading {server.base}/good/{NAMES[0]}.gz" in err
    assert f"\r{NAMES[0]}.gz: " in err and " MB" in err


# --- bounded reads: headers first ------------------------------------------------------------


def test_a_gz_that_declares_more_than_it_holds_is_refused_before_inflating(tmp_path: Path) -> None:
    import tracemalloc

    folder = write_mnist(tmp_path / "d")
    # 600 MB of images declared, 1 MB of real zeros behind the header: 1 KB on disk.
    header = struct.pack(">4I", 2051, 765_000, 28, 28)
    path = folder / (NAMES[0] + ".gz")
    path.write_bytes(gzip.compress(header + bytes(1_000_000), mtime=0))
    tracemalloc.start()
    try:
        with pytest.raises(MNISTError, match="header says 765000 images") as info:
            load_mnist(directory=folder)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert str(path) in str(info.value) and "cannot hold that" in str(info.value)
    assert peak < 1_000_000, f"{peak:,} bytes used to refuse a 1 KB file"


def test_a_gz_bomb_with_a_matching_trailer_is_still_bounded(tmp_path: Path) -> None:
    import tracemalloc

    folder = write_mnist(tmp_path / "d")
    # The header claims 20 images, and so does the (doctored) gzip trailer, but 3 MB of zeros
    # follow: inflating stops one byte after the declared size.
    header = struct.pack(">4I", 2051, 20, 28, 28)
    path = folder / (NAMES[0] + ".gz")
    data = gzip.compress(header + bytes(20 * 784) + bytes(3_000_000), mtime=0)
    path.write_bytes(data[:-4] + struct.pack("<I", 16 + 20 * 784))
    tracemalloc.start()
    try:
        with pytest.raises(MNISTError, match="extra bytes"):
            load_mnist(directory=folder)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1_000_000, f"{peak:,} bytes"


def test_a_raw_file_that_declares_more_than_it_holds(tmp_path: Path) -> None:
    folder = write_mnist(tmp_path / "d", gz=False)
    path = folder / NAMES[0]
    path.write_bytes(struct.pack(">4I", 2051, 2**32 - 1, 28, 28) + bytes(100))
    with pytest.raises(MNISTError, match=r"header says 4294967295 images.*truncated"):
        load_mnist(directory=folder)


def test_an_unreadable_file_is_an_mnist_error(tmp_path: Path) -> None:
    folder = write_mnist(tmp_path / "d")
    path = folder / (NAMES[1] + ".gz")
    path.chmod(0)
    try:
        if os.access(path, os.R_OK):
            pytest.skip("running as root: every file is readable")
        with pytest.raises(MNISTError, match="cannot read the file") as info:
            load_mnist(directory=folder)
        assert str(path) in str(info.value)
    finally:
        path.chmod(0o600)


def test_an_unreadable_file_is_an_mnist_error_even_as_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = write_mnist(tmp_path / "d")
    real_open = open

    def deny(file, *args, **kwargs):
        if str(file).endswith(NAMES[1] + ".gz"):
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr("builtins.open", deny)
    with pytest.raises(MNISTError, match="cannot read the file: Permission denied"):
        load_mnist(directory=folder)


# --- the real MNIST ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_raw(mnist_dir) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Load the real MNIST as uint8, once for the module."""
    return load_mnist(normalize=False, directory=mnist_dir)


def test_real_mnist_raw(real_raw) -> None:
    (x, t), (xt, tt) = real_raw
    assert x.shape == (60000, 784) and xt.shape == (10000, 784)
    assert x.dtype == np.uint8 and t.dtype == np.uint8
    assert x.min() == 0 and x.max() == 255
    # Published facts about MNIST: the first labels and the per-digit counts.
    np.testing.assert_array_equal(t[:10], [5, 0, 4, 1, 9, 2, 1, 3, 1, 4])
    np.testing.assert_array_equal(tt[:10], [7, 2, 1, 0, 4, 1, 4, 9, 5, 9])
    np.testing.assert_array_equal(
        np.bincount(t), [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    )
    np.testing.assert_array_equal(
        np.bincount(tt), [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    )


def test_real_mnist_book_defaults(real_raw, mnist_dir) -> None:
    (x, t), (xt, tt) = load_mnist(flatten=False, one_hot_label=True, directory=mnist_dir)
    assert x.shape == (60000, 1, 28, 28) and x.dtype == np.float32
    assert xt.shape == (10000, 1, 28, 28)
    assert x.min() >= 0.0 and x.max() <= 1.0
    assert t.shape == (60000, 10) and tt.shape == (10000, 10) and t.dtype == np.float32
    np.testing.assert_array_equal(t.argmax(axis=1), real_raw[0][1])
    np.testing.assert_array_equal(x[123, 0], real_raw[0][0][123].reshape(28, 28) / np.float32(255))
