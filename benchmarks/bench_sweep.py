"""Sweep speed: 16 small runs on a LocalCluster of 2 worker processes against the same 16 runs
serially in this process, and the scheduler's overhead per point measured with trivial runs.

Run:  python benchmarks/bench_sweep.py [--repeats 3] [--workers 2] [--steps 5000]

The 16 runs are PCD RBMs on 4x4 bars and stripes (a 4 x 4 grid over the hidden units and the
learning rate, one seed), each a fraction of a second to a few seconds.  Both sides write the full
sweep directory (every point's config, model, metrics, session and marker, the CSV).  The serial
side runs after a warm-up point (kernels compiled); the cluster — the LocalCluster a sweep starts,
with its settings — is started once (its start-up time is printed on its own) and each repeat is a fresh sweep directory on the running cluster, so a
repeat includes the workers' first point (kernels loaded from numba's cache) only in repeat 1.

Reference: the same 16 runs split over ``--workers`` plain processes (a ProcessPoolExecutor, no
dask, no files) — the parallel speed-up this machine offers at the moment of measuring; the
cluster's wall time is also given as a share of it.

Overhead per point: 64 trivial runs (a 4-spin MaxEnt model, one step) serially and on the cluster:
``(workers * t_cluster - t_serial) / 64`` is the worker-seconds per point that the scheduler,
the transfer of the point's files and the client's writing add.  With point duration t and that
overhead o, W workers reach a speed-up of W * t / (t + o) on an idle machine.

Times are medians over ``--repeats``; the machine's load average is printed with them, since a
shared machine slows the cluster (which needs two free cores) more than the serial run.
"""

import os

for _v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ[_v] = "1"                       # one thread, set before numpy is imported

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from boltzmann_lab.sweeps import sweep                       # noqa: E402
from boltzmann_lab.sweeps.executor import DaskExecutor       # noqa: E402


def rbm_config(steps):
    return {"data": {"generator": "bars_and_stripes", "size": 4, "validation_fraction": 0.0},
            "model": {"kind": "rbm", "hidden": 8},
            "training": {"method": "pcd", "k": 1, "chains": 100, "batch_size": 30,
                         "learning_rate": 0.02, "steps": steps, "eval_every": 100, "seed": 1}}


RBM_GRID = {"model.hidden": [4, 8, 12, 16], "training.learning_rate": [0.01, 0.02, 0.05, 0.1]}
TRIVIAL = {"data": {"generator": "sk", "n": 4, "samples": 100, "seed": 0},
           "model": {"kind": "maxent"}, "training": {"estimator": "exact", "steps": 1}}
TRIVIAL_GRID = {"training.learning_rate": [0.01 * (i + 1) for i in range(64)]}


def _warm_up(steps):
    sweep(rbm_config(steps), {"model.hidden": [4]}, scheduler="serial")


def _half(steps, grid):
    return sweep(rbm_config(steps), grid, scheduler="serial")


def plain_parallel(pool, steps, workers):
    """The same 16 runs split over ``workers`` plain processes (no dask, no files): the parallelism
    this machine offers right now, the reference for the cluster's wall time."""
    hidden = RBM_GRID["model.hidden"]
    parts = [{"model.hidden": hidden[i::workers],
              "training.learning_rate": RBM_GRID["training.learning_rate"]}
             for i in range(workers)]
    t = time.perf_counter()
    list(pool.map(_half, [steps] * workers, parts))
    return time.perf_counter() - t


def timed(fn):
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def _cpu_seconds():
    import psutil
    c = psutil.Process().cpu_times()
    return c.user + c.system


def cpu_of(client, fn):
    """(wall s, CPU s of this process, CPU s of all workers) while ``fn`` runs."""
    w0 = sum(client.run(_cpu_seconds).values())
    c0, t0 = time.process_time(), time.perf_counter()
    fn()
    wall, own = time.perf_counter() - t0, time.process_time() - c0
    return wall, own, sum(client.run(_cpu_seconds).values()) - w0


def run_in(tmp, name, config, grid, scheduler):
    out = Path(tmp) / name
    shutil.rmtree(out, ignore_errors=True)
    table = sweep(config, grid, out=out, scheduler=scheduler)
    assert all(r["status"].startswith("finished") for r in table), "a point did not finish"
    return table


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--steps", type=int, default=5000, help="PCD steps per run (~2 s points)")
    args = ap.parse_args()

    cfg = rbm_config(args.steps)
    load = os.getloadavg()
    print(f"load average before: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} "
          f"on {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as tmp:
        sweep(cfg, {"model.hidden": [4]}, scheduler="serial")      # compile the kernels here
        t_start = time.perf_counter()
        ex = DaskExecutor(None, workers=args.workers)   # the LocalCluster a sweep starts
        client = ex.client
        t_start = time.perf_counter() - t_start
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor
        pool = ProcessPoolExecutor(args.workers, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=_warm_up, initargs=(args.steps,))
        try:
            serial, dask, plain = [], [], []
            for r in range(args.repeats):
                serial.append(timed(lambda: run_in(tmp, "s", cfg, RBM_GRID, "serial")))
                dask.append(timed(lambda: run_in(tmp, "d", cfg, RBM_GRID, client)))
                plain.append(plain_parallel(pool, args.steps, args.workers))
                print(f"  repeat {r + 1}: serial {serial[-1]:.2f} s, cluster {dask[-1]:.2f} s, "
                      f"{args.workers} plain processes {plain[-1]:.2f} s")
            c0 = time.process_time()
            a = run_in(tmp, "s", cfg, RBM_GRID, "serial")
            serial_cpu = time.process_time() - c0
            box = {}
            _, client_cpu, worker_cpu = cpu_of(
                client, lambda: box.setdefault("b", run_in(tmp, "d", cfg, RBM_GRID, client)))
            same = a == box["b"]
            ts, td, tp = (statistics.median(serial), statistics.median(dask),
                          statistics.median(plain))
            print(f"16 runs ({args.steps} PCD steps each), medians of {args.repeats}:")
            print(f"  serial, one process          {ts:8.2f} s   ({ts / 16:.3f} s per run)")
            print(f"  LocalCluster({args.workers}), warm       {td:8.2f} s")
            print(f"  speed-up                     {ts / td:8.2f} x   (target >= 1.8 x on an idle "
                  f"2-core machine)")
            print(f"  cluster start-up (once)      {t_start:8.2f} s   -> speed-up including it "
                  f"{ts / (td + t_start):.2f} x")
            print(f"  reference: {args.workers} plain processes, no dask, no files {tp:6.2f} s   "
                  f"-> the machine offers {ts / tp:.2f} x now; the cluster reaches "
                  f"{tp / td:.0%} of it")
            print(f"  tables identical serial vs cluster: {same}")
            print(f"  CPU seconds: serial {serial_cpu:.2f}; cluster workers {worker_cpu:.2f} + "
                  f"client {client_cpu:.2f}  -> on {args.workers} idle cores at most "
                  f"{args.workers * serial_cpu / max(worker_cpu, client_cpu, 1e-9):.2f} x "
                  f"(load-independent bound)")

            triv_s, triv_d = [], []
            for r in range(args.repeats):
                triv_s.append(timed(lambda: run_in(tmp, "ts", TRIVIAL, TRIVIAL_GRID, "serial")))
                triv_d.append(timed(lambda: run_in(tmp, "td", TRIVIAL, TRIVIAL_GRID, client)))
            ts1, td1 = statistics.median(triv_s), statistics.median(triv_d)
            over = (args.workers * td1 - ts1) / 64
            t_point = ts / 16
            print(f"64 trivial runs: serial {ts1:.2f} s ({ts1 / 64 * 1e3:.1f} ms per point), "
                  f"cluster {td1:.2f} s ({td1 / 64 * 1e3:.1f} ms per point)")
            print(f"  scheduler overhead per point: {over * 1e3:.1f} ms of worker time "
                  f"(workers x cluster time - serial time, per point)")
            print(f"  expected speed-up on an idle machine for {t_point:.3f} s points: "
                  f"{args.workers * t_point / (t_point + over):.2f} x")
        finally:
            pool.shutdown()
            ex.close()
    load = os.getloadavg()
    print(f"load average after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


if __name__ == "__main__":
    main()
