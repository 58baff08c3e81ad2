"""`make bench`: every benchmark in one run, printed as one Markdown table of side-by-side ratios.

Each row times graphgrad and a baseline in the same process, interleaved (the order rotates every
repeat), and reports the median (min–max) of the per-repeat times and of the per-repeat ratio
graphgrad ÷ baseline: below 1 graphgrad is faster or smaller, above 1 it is slower.

Sections:
1. scalar engine: record + backward of a ~100k-op scalar MLP graph (bench_scalar.py's workload)
   vs the real micrograd 0.1.0 and the micrograd-style Value of micrograd_ref.py, gc on and off,
   and the graph's memory per op;
2. graph-size sweep (bench_sweep.py): time and memory per op from 1e3 to 1e6 ops, each size as a
   ratio to the smallest, and the fitted exponents (1 = linear);
3. TwoLayerNet 784-50-10 training step, batch 100, float64 and float32, vs hand-written NumPy
   (bench_nn.py), DeZero 0.0.13 and PyTorch CPU (bench_peers.py), and vs the step's matrix
   products alone (the floor);
4. SimpleConvNet training step vs hand-written im2col NumPy (the book's im2col) and PyTorch CPU;
5. viz: DOT text and PNG rendering for 10 to 10,000-node graphs (bench_viz.py's graph), each vs
   computing the same graph (record + backward), PNG vs its DOT text.

Peers are optional: a missing one is reported in the table, not an error. BLAS (and PyTorch) run
single-threaded unless ``--threads N``: on a small shared machine multithreaded BLAS at these sizes
mostly measures thread contention. Like bench_nn.py, the script re-runs itself with glibc told to
keep freed memory (benchmarks/_malloc.py), so page faults do not swamp the comparisons.
``--clock cpu`` times the network steps by this thread's CPU time instead of wall time (one
thread does all the work at ``--threads 1``), for a machine busy with other jobs.

    python benchmarks/run_all.py [--quick] [--threads 1] [--clock wall|cpu]
                                 [--only scalar sweep nn conv viz]
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

SECTIONS = ("scalar", "sweep", "nn", "conv", "viz")


def parse(argv: Sequence[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true",
                    help="smaller graphs and fewer repeats (about a minute; a smoke run)")
    ap.add_argument("--threads", type=int, default=1, help="BLAS and PyTorch threads (default 1)")
    ap.add_argument("--only", nargs="+", choices=SECTIONS, default=list(SECTIONS),
                    help="run only these sections")
    ap.add_argument("--repeats", type=int, help="timed repeats per row (default 7, quick 3)")
    ap.add_argument("--clock", choices=["wall", "cpu"], default="wall",
                    help="time the nn and conv steps by wall time (default) or by this thread's "
                         "CPU time, which leaves out waiting for a core on a busy machine")
    return ap.parse_args(argv)


# ===================================================================== table
class Table:
    """Rows of (benchmark, graphgrad, baseline, ratio, note) as one Markdown table.

    Each section is a bold row with a short title; its details become a numbered footnote
    printed under the table, so the table stays narrow enough to quote.
    """

    header = ("benchmark", "graphgrad", "baseline", "graphgrad ÷ baseline", "note")

    def __init__(self) -> None:
        self.rows: list[tuple[str, ...]] = []
        self.notes: list[str] = []

    def section(self, title: str, detail: str = "") -> None:
        mark = ""
        if detail:
            if detail not in self.notes:  # sections that share a description share a note
                self.notes.append(detail)
            mark = f" [{self.notes.index(detail) + 1}]"
        self.rows.append((f"**{title}**{mark}", "", "", "", ""))

    def add(self, name: str, ours: str, base: str, ratio: str, note: str = "") -> None:
        self.rows.append((name, ours, base, ratio, note))

    def render(self) -> str:
        widths = [max(len(r[i]) for r in [self.header, *self.rows]) for i in range(5)]
        lines = ["| " + " | ".join(h.ljust(w) for h, w in zip(self.header, widths)) + " |",
                 "| " + " | ".join("-" * w for w in widths) + " |"]
        lines += ["| " + " | ".join(c.ljust(w) for c, w in zip(row, widths)) + " |"
                  for row in self.rows]
        if self.notes:
            lines.append("")
            lines += [f"[{i}] {note}" for i, note in enumerate(self.notes, 1)]
        return "\n".join(lines)


def spread(values: Sequence[float], scale: float = 1.0, digits: int = 3) -> str:
    """'median (min–max)' of values × scale in `digits` significant digits; one value alone."""
    med, lo, hi = (scale * v for v in (statistics.median(values), min(values), max(values)))
    if len(values) == 1:
        return _sig(med, digits)
    return f"{_sig(med, digits)} ({_sig(lo, digits)}–{_sig(hi, digits)})"


def _sig(x: float, digits: int) -> str:
    if x == 0 or abs(x) >= 10 ** digits:
        return f"{x:.0f}"
    return f"{x:#.{digits}g}".rstrip(".")


def _x(r: float) -> str:
    return f"{r:.0f}x" if r >= 100 else f"{r:.3g}x" if r >= 10 else f"{r:.2f}x"


def ratio(ours: Sequence[float], base: Sequence[float]) -> str:
    """Median (min–max) of the paired per-repeat ratios ours / base."""
    r = [a / b for a, b in zip(ours, base)]
    if not r:
        return "—"
    if len(r) == 1:
        return _x(r[0])
    return f"{_x(statistics.median(r))} ({_x(min(r))[:-1]}–{_x(max(r))[:-1]})"


def ms(values: Sequence[float]) -> str:
    return spread(values, 1e3) + " ms"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# ===================================================================== 1. scalar engine
def scalar_section(table: Table, repeats: int, samples: int) -> None:
    import bench_scalar as bs
    from bench_peers import micrograd_value
    from micrograd_ref import Value as RefValue

    from autograd import Node

    xs, ys = bs.make_moons(samples)
    engines: dict[str, Any] = {"graphgrad": bs.make_mlp(Node)}
    Micrograd = micrograd_value()
    if Micrograd is not None:
        engines["micrograd 0.1.0"] = bs.make_mlp(Micrograd)
    engines["micrograd-style Value"] = bs.make_mlp(RefValue)  # benchmarks/micrograd_ref.py

    for name, layers in engines.items():  # warm-up, and the gradients to compare
        bs.step("ours" if name == "graphgrad" else "ref", layers, xs, ys)
    ours_grads = [p.grad for p in bs.parameters(engines["graphgrad"])]
    worst = max(abs(a - b.grad) for layers in list(engines.values())[1:]
                for a, b in zip(ours_grads, bs.parameters(layers)))
    loss = bs.forward_loss(engines["graphgrad"], xs, ys)
    ops = bs.count_nodes(loss)
    del loss

    table.section(f"Scalar engine, {ops:,}-op graph: record + backward",
                  f"Scalar engine: bench_scalar.py's workload, micrograd's demo: MLP 2-16-16-1 "
                  f"built from scalars, {samples} samples, hinge loss + L2, {ops:,} recorded ops; "
                  f"the gradients of all engines agree to {worst:.0e}. Engines interleaved, "
                  f"gc.collect() untimed before each run. Memory: tracemalloc after recording; "
                  f"'freed with gc off' = a dropped graph is freed by reference counting alone "
                  f"(graphgrad / the peer).")
    names = list(engines)
    for gc_on in (True, False):
        times: dict[str, list[float]] = {name: [] for name in names}
        (gc.enable if gc_on else gc.disable)()
        try:
            for r in range(repeats):
                for name in names[r % len(names):] + names[:r % len(names)]:
                    gc.collect()  # untimed: nobody pays for another engine's garbage
                    engine = "ours" if name == "graphgrad" else "ref"
                    times[name].append(bs.step(engine, engines[name], xs, ys))
        finally:
            gc.enable()
        for name in names[1:]:
            table.add(f"vs {name}, gc {'on' if gc_on else 'off'}", ms(times["graphgrad"]),
                      ms(times[name]), ratio(times["graphgrad"], times[name]))
    if Micrograd is None:
        table.add("vs micrograd 0.1.0", "", "not installed", "—",
                  "pip install -r benchmarks/requirements.txt")

    mem = {name: bs.memory_per_op(layers, xs, ys) for name, layers in engines.items()}
    freed = {name: bs.freed_without_gc(layers) for name, layers in engines.items()}
    for name in names[1:]:
        table.add(f"graph memory per op vs {name}", f"{mem['graphgrad'] / ops:.0f} B",
                  f"{mem[name] / ops:.0f} B", f"{mem['graphgrad'] / mem[name]:.2f}x",
                  f"freed with gc off: {_yes(freed['graphgrad'])} / {_yes(freed[name])}")


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


# ===================================================================== 2. size sweep
def sweep_section(table: Table, sizes: list[int], repeats: int) -> None:
    import bench_sweep as sw

    results = sw.sweep(sizes, repeats)
    first = results[0]
    ops = [r["ops"] for r in results]
    table.section(f"Graph-size sweep, per op, vs the {first['ops']:,}-op graph",
                  f"Graph-size sweep: bench_sweep.py, a scalar RNN ({sw.WIDTH} units, shared "
                  f"weights) unrolled to each size; record + backward time per op (median of "
                  f"{repeats}), and tracemalloc bytes per op held by the recorded graph and at the "
                  f"peak of backward. Ratios are to the smallest graph: flat = linear growth. With "
                  f"gc on, Python's full (generation-2) collections walk the whole live graph "
                  f"(at 1e6 ops: 8 of them, about 2 µs/op); graphgrad graphs hold no cycles, so "
                  f"gc.disable() or gc.freeze() around a huge scalar graph is safe.")
    for r in results:
        for gc_on in (True, False):
            per_op = r["per_op"][gc_on]
            base = statistics.median(first["per_op"][gc_on])
            table.add(f"{r['ops']:,} ops, gc {'on' if gc_on else 'off'}",
                      spread(per_op, 1e6) + " µs/op", f"{base * 1e6:.3g} µs/op",
                      ratio(per_op, [base] * len(per_op)))
        table.add(f"{r['ops']:,} ops, memory", f"{r['bytes_per_op']:.0f} B/op "
                  f"(peak {r['peak_per_op']:.0f})", f"{first['bytes_per_op']:.0f} B/op",
                  f"{r['bytes_per_op'] / first['bytes_per_op']:.2f}x",
                  "graph held (peak in backward)")
    fits = []
    for gc_on in (True, False):
        total = [statistics.median(r["per_op"][gc_on]) * r["ops"] for r in results]
        fits.append(f"time ∝ n^{sw.exponent(ops, total):.2f} (gc {'on' if gc_on else 'off'})")
    held = [r["bytes_per_op"] * r["ops"] for r in results]
    fits.append(f"memory ∝ n^{sw.exponent(ops, held):.2f}")
    table.add("fitted growth, n = ops", ", ".join(fits), "", "", "1.00 = linear")


# ===================================================================== 3./4. networks
def _cycle(data: list[tuple[Any, Any]], step: Callable) -> Callable[[], Any]:
    """A zero-argument call that takes the next batch each time (what run_interleaved times)."""
    state = [0]

    def call() -> Any:
        state[0] = (state[0] + 1) % len(data)
        return step(*data[state[0]])
    return call


CLOCK = time.perf_counter  # the nn and conv sections' clock (--clock cpu: time.thread_time)


def _time_steps(makers: dict[str, Callable], params: dict, dtype: Any, data: list,
                repeats: int, inner: int, rounds: int = 1
                ) -> tuple[dict[str, list[float]], list[str]]:
    """Build every available version, time them interleaved (bench_nn.run_interleaved).

    With `rounds` > 1 the versions are built anew for every round, in an order rotated by one
    each time, and each round times ``ceil(repeats / rounds)`` repeats. Where a version's arrays
    land in memory depends on what was built before it, and that alone moves a float32 step's
    time by up to ±15% for the whole run (the nn section's control row, the hand-written step
    timed twice, shows it); rotating gives every version every place in turn.
    """
    from bench_nn import run_interleaved

    names = list(makers)
    times: dict[str, list[float]] = {}
    missing: list[str] = []
    per_round = -(-repeats // rounds)
    for r in range(rounds):
        variants = {}
        for name in names[r % len(names):] + names[:r % len(names)]:
            step = makers[name](params, dtype)
            if step is None:
                if name not in missing:
                    missing.append(name)
            else:
                variants[name] = _cycle(data, step)
        if r == 0:
            log(f"  {', '.join(variants)}" + (f" ({rounds} rounds)" if rounds > 1 else ""))
        for name, ts in run_interleaved(variants, per_round, inner, CLOCK).items():
            times.setdefault(name, []).extend(ts)
        del variants
        gc.collect()
    return times, missing


def _compare(table: Table, times: dict[str, list[float]], missing: list[str],
             rows: list[tuple[str, str, str]]) -> None:
    """One row per (ours, baseline, note); a baseline that is not installed says so."""
    for ours, base, note in rows:
        label = "vs " + base if ours == "graphgrad" else f"{ours} vs {base}"
        if base in missing:
            table.add(label, "", "not installed", "—", "see benchmarks/requirements.txt")
            continue
        if note.startswith("target ≤ "):  # e.g. "target ≤ 1.10x": say whether the median meets it
            limit = float(note.removeprefix("target ≤ ").rstrip("x"))
            r = statistics.median([a / b for a, b in zip(times[ours], times[base])])
            note = f"{note}: {'met' if r <= limit else 'NOT met'}"
        table.add(label, ms(times[ours]), ms(times[base]), ratio(times[ours], times[base]),
                  note)


def nn_section(table: Table, repeats: int, inner: int, threads: int) -> None:
    import bench_peers as bp
    import numpy as np

    params = bp.two_layer_params()
    torch_name = f"PyTorch CPU {_torch_version()}".strip()
    makers = {"graphgrad": bp.make_ours_two_layer,
              "graphgrad engine": bp.make_engine_two_layer,
              "graphgrad PyTorch-style": bp.make_pytorch_style_two_layer,
              "NumPy by hand": bp.make_numpy_two_layer,
              "NumPy by hand, again": bp.make_numpy_two_layer,
              "graphgrad engine, no layers": bp.make_engine_core_two_layer,
              "a minimal graph engine": bp.make_minimal_engine_two_layer,
              "graphgrad's ops, no graph": bp.make_ops_two_layer,
              "DeZero 0.0.13": bp.make_dezero_two_layer,
              torch_name: bp.make_torch_two_layer,
              "matmuls alone (the floor)": bp.make_matmul_floor}
    for dtype_name in ("float64", "float32"):
        dtype = np.dtype(dtype_name).type
        data, source = bp.batches(True, dtype)
        log(f"  TwoLayerNet {dtype_name}")
        times, missing = _time_steps(makers, params, dtype, data, repeats, inner,
                                     rounds=len(makers))
        table.section(f"TwoLayerNet step, {dtype_name}",
                      f"TwoLayerNet 784-50-10: one training step = gradient + SGD "
                      f"update (lr 0.1), batch 100 of {source}, one-hot labels, {threads} "
                      f"BLAS/torch thread(s); {len(times['NumPy by hand'])} interleaved "
                      f"repeats of {inner} steps, in {len(makers)} rounds that build the versions "
                      f"anew in a rotated order (see _time_steps; the control row times the "
                      f"hand-written step against itself). "
                      f"graphgrad = net.gradient(x, t), the book's loop (the layer chain); "
                      f"graphgrad engine = net.gradient_by_engine(x, t) (the recorded graph and "
                      f"loss.backward()); graphgrad PyTorch-style = opt.zero_grad(), "
                      f"net.loss(Node(x), t).backward(retain_grad=False), opt.step() with "
                      f"SGD(net.parameters()); graphgrad engine, no layers = the same ops "
                      f"recorded with autograd.node.record and loss.backward(); "
                      f"a minimal graph engine = graphgrad's ops recorded "
                      f"as nodes and backpropagated by a 20-line loop with no layers, checks, "
                      f"modes or lock (the least a Python graph engine adds); graphgrad's ops, "
                      f"no graph = the same op functions called by hand, forward then backward "
                      f"(the arithmetic). "
                      f"All versions start from the same parameters "
                      f"and take the same step (bench_peers.py verifies it).")
        _compare(table, times, missing, [
            ("graphgrad", "NumPy by hand", "target ≤ 1.10x"),
            ("graphgrad engine", "NumPy by hand", "target ≤ 1.10x"),
            ("graphgrad PyTorch-style", "NumPy by hand", "target ≤ 1.10x"),
            ("NumPy by hand, again", "NumPy by hand", "control: the same code, so ideally 1.00x"),
            ("graphgrad engine, no layers", "NumPy by hand", "the ops recorded by hand"),
            ("a minimal graph engine", "NumPy by hand", "the engine floor (bench_peers.py)"),
            ("graphgrad's ops, no graph", "NumPy by hand", "the same arithmetic, no graph"),
            ("graphgrad", "DeZero 0.0.13", ""),
            ("graphgrad", torch_name, ""),
            ("graphgrad", "matmuls alone (the floor)", "2 forward + 3 backward products"),
            ("graphgrad engine", "matmuls alone (the floor)", "")])


def conv_section(table: Table, repeats: int, inner: int, threads: int) -> None:
    import bench_peers as bp
    import numpy as np

    params = bp.conv_params()
    torch_name = f"PyTorch CPU {_torch_version()}".strip()
    makers = {"graphgrad": bp.make_ours_conv,
              "graphgrad engine": bp.make_engine_conv,
              "NumPy im2col by hand": bp.make_numpy_conv,
              torch_name: bp.make_torch_conv}
    for dtype_name in ("float64", "float32"):
        dtype = np.dtype(dtype_name).type
        data, source = bp.batches(False, dtype, count=4)
        log(f"  SimpleConvNet {dtype_name}")
        times, missing = _time_steps(makers, params, dtype, data, repeats, inner)
        table.section(f"SimpleConvNet step, {dtype_name}",
                      f"SimpleConvNet: conv 30×5×5 → ReLU → max pool 2×2 → 100 → "
                      f"ReLU → 10, one training step (gradient + SGD), batch 100 of {source}, "
                      f"{threads} thread(s); {repeats} interleaved repeats of {inner} step(s). "
                      f"The NumPy version is a hand-written step with the book's im2col/col2im "
                      f"(graphgrad's nn.utils.im2col is faster, most in float32).")
        _compare(table, times, missing, [
            ("graphgrad", "NumPy im2col by hand", ""),
            ("graphgrad engine", "NumPy im2col by hand", ""),
            ("graphgrad", torch_name, "target ≤ 1.0x"),
            ("graphgrad engine", torch_name, "target ≤ 1.10x")])


def _torch_version() -> str:
    from bench_peers import torch

    th = torch()
    return th.__version__.split("+")[0] if th is not None else ""


# ===================================================================== 5. viz
def viz_section(table: Table, sizes: list[int], repeats: int, full_png_max: int) -> None:
    from bench_viz import layered_graph

    import viz

    backend = viz.backend()
    table.section("viz: drawing a graph vs computing it",
                  f"viz: bench_viz.py's graph of n nodes (y ← tanh(y·w + b), repeated), DOT text "
                  f"and PNG ({backend or 'no renderer'}), each timed right after recording + "
                  f"backpropagating the same graph (the baseline). The default drawing folds "
                  f"graphs beyond max_nodes=150 into a box; the whole graph is drawn as PNG up to "
                  f"{full_png_max:,} nodes, once (Graphviz needs seconds for 1,000 nodes).")
    for n in sizes:
        root = layered_graph(n)
        jobs = [("DOT, whole graph", lambda r=root: viz.to_dot(r, max_nodes=None), repeats)]
        if n > 150:
            jobs.append(("DOT, default (folded)", lambda r=root: viz.to_dot(r), repeats))
        if backend:
            default_dot = viz.to_dot(root)
            jobs.append(("PNG, default" + (" (folded)" if n > 150 else ""),
                         lambda d=default_dot: viz.dot_to_bytes(d, "png"), repeats))
            if 150 < n <= full_png_max:
                whole = viz.to_dot(root, max_nodes=None)
                jobs.append(("PNG, whole graph", lambda d=whole: viz.dot_to_bytes(d, "png"), 1))
        for label, job, runs in jobs:
            compute, draw = [], []
            for _ in range(runs):
                t0 = time.perf_counter()
                layered_graph(n)
                compute.append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                job()
                draw.append(time.perf_counter() - t0)
            table.add(f"{n:,} nodes: {label}", ms(draw), ms(compute), ratio(draw, compute),
                      "1 run" if runs == 1 < repeats else "")
        if not backend:
            table.add(f"{n:,} nodes: PNG", "", "", "—", "no renderer: pip install pygraphviz")


# ===================================================================== main
def environment(threads: int) -> str:
    import numpy as np
    from bench_peers import torch

    th = torch()
    if th is not None:
        th.set_num_threads(threads)
    peers = [f"torch {th.__version__}" if th is not None else "no torch"]
    return (f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, Python "
            f"{platform.python_version()}, NumPy {np.__version__}, {', '.join(peers)}, "
            f"{threads} BLAS/torch thread(s)")


def main(argv: Sequence[str] | None = None) -> None:
    global CLOCK
    args = parse(argv)
    if args.clock == "cpu":
        CLOCK = time.thread_time
    from _malloc import describe, ensure_steady_malloc

    ensure_steady_malloc()  # as bench_nn.py: no page-fault storms between steps (_malloc.py)
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.threads)  # before NumPy loads its BLAS
    quick = args.quick
    repeats = args.repeats or (3 if quick else 7)
    started = time.perf_counter()
    table = Table()
    env = environment(args.threads)
    runs = {
        "scalar": lambda: scalar_section(table, repeats, 40 if quick else 155),
        "sweep": lambda: sweep_section(
            table, [10**3, 10**4, 10**5] if quick else [10**3, 10**4, 10**5, 10**6],
            min(repeats, 3)),
        "nn": lambda: nn_section(table, repeats * 2, 10 if quick else 40, args.threads),
        "conv": lambda: conv_section(table, args.repeats or (3 if quick else 9), 1 if quick else 2,
                                     args.threads),
        "viz": lambda: viz_section(table, [10, 100, 1000, 10000], 1 if quick else 3,
                                   100 if quick else 1000),
    }
    for name in SECTIONS:
        if name in args.only:
            t0 = time.perf_counter()
            log(f"{name} ...")
            runs[name]()
            log(f"{name} done in {time.perf_counter() - t0:.0f} s")
    print(f"graphgrad benchmarks ({'quick' if quick else 'full'} run): {env}; {describe()}; "
          f"median (min–max) of {repeats} interleaved repeats unless noted; nn/conv steps "
          f"timed by {'CPU' if args.clock == 'cpu' else 'wall'} time")
    print()
    print(table.render())
    print()
    print(f"total {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
