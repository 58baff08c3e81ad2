"""TwoLayerNet step: instructions and cache misses per step, counted under valgrind (cachegrind).

Timed ratios on a small shared machine move by about ±3 points from run to run, even with
`make bench`'s rotated rounds, so a change worth 1-2 points cannot be seen in them. Counts can:
each version of the step (from bench_peers.py, all taking the same step) runs in its own process
under cachegrind, once for WARM steps and once for WARM + STEPS, and the difference divided by
STEPS is what one step costs: instructions executed, and misses in a simulated cache shaped like
this machine's (L1i 32 KiB, L1d 48 KiB, and a 2 MiB last level, the size of its per-core L2).
The cycle collector is off in the counted process (its collections would land on different steps
in each run) and glibc keeps freed memory, as in `make bench`. Each count is taken with two heap
layouts (an extra array of 0 and of 300 KiB allocated first), because where the arrays land
changes the cache misses; the table shows the mean (and the spread).

Needs valgrind (``apt-get install valgrind``); takes about ten minutes for all versions.

    python benchmarks/bench_instructions.py [--dtype float64] [--steps 20] [--only KEY ...]
"""

from __future__ import annotations

import argparse
import gc
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from _malloc import SETTINGS  # noqa: E402

#: key: (bench_peers maker, what the row is)
VERSIONS = {
    "hand": ("make_numpy_two_layer", "NumPy by hand"),
    "ops": ("make_ops_two_layer", "graphgrad's ops called directly, no graph"),
    "minimal": ("make_minimal_engine_two_layer", "a minimal graph engine on graphgrad's ops"),
    "core": ("make_engine_core_two_layer", "graphgrad engine, no layers"),
    "engine": ("make_engine_two_layer", "graphgrad engine: gradient_by_engine()"),
    "torch-like": ("make_pytorch_style_two_layer", "graphgrad PyTorch-style loop"),
    "layers": ("make_ours_two_layer", "graphgrad: gradient(), the book's layer chain"),
}
CACHES = ["--I1=32768,8,64", "--D1=49152,12,64", "--LL=2097152,16,64"]
COUNTS = ("I   refs", "I1  misses", "D1  misses", "LL misses")  # as cachegrind names them
PADS_KIB = (0, 300)
WARM = 5


def child(key: str, steps: int, dtype_name: str, pad_kib: int) -> None:
    """Run `steps` steps of one version (in the process valgrind watches)."""
    import bench_peers as bp
    import numpy as np

    dtype = np.dtype(dtype_name).type
    data, _ = bp.batches(True, dtype)
    padding = np.ones(pad_kib * 128)  # moves where the step's arrays land
    step = getattr(bp, VERSIONS[key][0])(bp.two_layer_params(), dtype)
    gc.collect()
    gc.disable()
    for i in range(steps):
        x, t = data[i % len(data)]
        step(x, t)
    del padding


def count(key: str, steps: int, dtype_name: str, pad_kib: int) -> dict[str, int]:
    """cachegrind's totals for one run of `child`."""
    cmd = ["valgrind", "--tool=cachegrind", "--cache-sim=yes", *CACHES,
           "--cachegrind-out-file=/dev/null", sys.executable, __file__, "--child", key,
           str(steps), dtype_name, str(pad_kib)]
    env = {**os.environ, **SETTINGS, "PYTHONHASHSEED": "0", "OPENBLAS_NUM_THREADS": "1",
           "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"bench_instructions: {key} failed under valgrind:\n"
                           f"{done.stderr[-2000:]}")
    totals = {}
    for name in COUNTS:
        found = re.search(rf"{re.escape(name)}:\s+([\d,]+)", done.stderr)
        if found is None:
            raise RuntimeError(f"bench_instructions: no '{name}' in cachegrind's output for {key}")
        totals[name] = int(found.group(1).replace(",", ""))
    return totals


def per_step(jobs: dict, steps: int) -> dict[str, list[float]]:
    """One step's counts for each heap layout: (run of WARM + steps − run of WARM) / steps."""
    return {name: [(jobs[pad, WARM + steps].result()[name] - jobs[pad, WARM].result()[name])
                   / steps for pad in PADS_KIB] for name in COUNTS}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dtype", default="float64", choices=("float64", "float32"))
    ap.add_argument("--steps", type=int, default=20, help="counted steps (after 5 warm-up steps)")
    ap.add_argument("--only", nargs="+", choices=list(VERSIONS), help="versions to count")
    ap.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        key, steps, dtype_name, pad = args.child
        child(key, int(steps), dtype_name, int(pad))
        return
    if shutil.which("valgrind") is None:
        sys.exit("bench_instructions: valgrind is not installed (apt-get install valgrind)")
    keys = args.only or list(VERSIONS)
    if "hand" not in keys:
        keys.insert(0, "hand")
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:  # one valgrind per core
        jobs = {key: {(pad, n): pool.submit(count, key, n, args.dtype, pad)
                      for pad in PADS_KIB for n in (WARM, WARM + args.steps)} for key in keys}
        results = {key: per_step(jobs[key], args.steps) for key in keys}
    print(f"TwoLayerNet(784, 50, 10) step, batch 100, {args.dtype}: per step, under cachegrind "
          f"(mean of heap layouts {', '.join(f'+{p} KiB' for p in PADS_KIB)}, spread in "
          f"brackets; Δ = minus NumPy by hand)")
    means = {key: {name: sum(v) / len(v) for name, v in row.items()}
             for key, row in results.items()}
    hand = means["hand"]
    print(f"{'version':<46} {'instructions':>12} {'Δ':>9} {'I1 miss':>8} {'D1 miss':>8} "
          f"{'LL miss':>15} {'Δ LL':>6}")
    for key in keys:
        mean, ll = means[key], results[key]["LL misses"]
        print(f"{VERSIONS[key][1]:<46} {mean['I   refs']:>12,.0f} "
              f"{mean['I   refs'] - hand['I   refs']:>+9,.0f} {mean['I1  misses']:>8,.0f} "
              f"{mean['D1  misses']:>8,.0f} {mean['LL misses']:>7,.0f} "
              f"({min(ll):,.0f}-{max(ll):,.0f}) {mean['LL misses'] - hand['LL misses']:>+6,.0f}")

if __name__ == "__main__":
    main()
