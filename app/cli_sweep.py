"""``boltzmann-lab sweep CONFIG.toml --grid SECTION.KEY=V1,V2,… --out DIR``: a grid of runs.

The work is :func:`boltzmann_lab.sweeps.sweep`; this module parses the command line, shows the
progress (a bar on a terminal, one line per finished point otherwise, on stderr), prints the table
at the end and maps the outcome to the exit codes of the other commands: 0 every point finished,
1 some points failed (they are retried by the next run with the same ``--out``), 2 bad usage or
input (grid, config, data, ``--out``, scheduler, memory — all checked before anything runs), 130
interrupted (Ctrl-C or SIGTERM: the unfinished points are cancelled, the finished ones kept).
Importing it costs nothing: dask is imported only when a sweep starts a cluster.
"""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path

from boltzmann_lab.app.cli import PROG, UsageError

EPILOG = """\
writes into DIR:
  <point>/       one folder per point: config.toml, model.npz, metrics.jsonl (as train writes
                 them), session.npz (opens in the app) and result.json (written last: finished)
  results.csv    one row per point: the swept keys, seed, status, final metrics, best_<val metric>
  sweep.json     the base config, the grid and the points

Values are typed by the config schema (numbers, true/false, strings, [TOML,arrays]); every point
is checked before anything runs.  A rerun with the same --out skips finished points; a point whose
worker dies is retried; Ctrl-C cancels the rest and keeps what finished.

examples:
  boltzmann-lab sweep run.toml --grid training.l1=0,0.003,0.01 --grid model.hidden=16,32 \\
      --seeds 3 --out sweeps/l1
  boltzmann-lab sweep run.toml --grid training.learning_rate=0.01,0.1 --out s --serial
  boltzmann-lab sweep run.toml --grid model.hidden=16,32,64 --out s --scheduler tcp://head:8786
"""

#: metrics shown in the final table when present (all of them are in DIR/results.csv)
SHOWN_METRICS = ("train_ll", "val_ll", "train_pll", "val_pll", "bound", "energy", "overlap")


def add_parser(sub, fmt, debug_flag) -> None:
    """The ``sweep`` subcommand of :func:`boltzmann_lab.app.cli.build_parser`."""
    sp = sub.add_parser("sweep", help="a grid of runs, on all cores or a dask cluster",
                        formatter_class=fmt, epilog=EPILOG,
                        description="Train one run per grid point (and seed) of a TOML run config, "
                                    "on a local dask cluster (default), a running dask scheduler "
                                    "or serially.")
    sp.add_argument("config", metavar="CONFIG.toml", help="base run config (TOML)")
    sp.add_argument("--grid", metavar="SECTION.KEY=V1,V2,…", action="append", default=[],
                    help="values of one config key (repeat for more keys; points are all "
                         "combinations)")
    sp.add_argument("--seeds", metavar="N", type=int, default=1,
                    help="runs per grid point, [training] seed = base seed + 0..N-1 (default 1)")
    sp.add_argument("--out", metavar="DIR", required=True,
                    help="sweep directory (a rerun with the same DIR skips finished points)")
    where = sp.add_mutually_exclusive_group()
    where.add_argument("--scheduler", metavar="ADDRESS",
                       help="a running dask scheduler, e.g. tcp://HOST:8786 (default: start a "
                            "local cluster)")
    where.add_argument("--serial", action="store_true",
                       help="run the points one after another in this process (no dask)")
    sp.add_argument("--workers", metavar="N", type=int,
                    help="local cluster: worker processes (default: the usable cores)")
    sp.add_argument("--memory-limit", metavar="SIZE", default="auto",
                    help="local cluster: memory per worker, e.g. 4GB (default: memory / workers)")
    debug_flag(sp)
    sp.set_defaults(func=cmd_sweep)


class _Terminate:
    """SIGTERM during a sweep interrupts it like Ctrl-C (cancel, keep what finished, exit 130)."""

    def __enter__(self):
        self.old = None
        if threading.current_thread() is threading.main_thread():
            self.old = signal.signal(signal.SIGTERM, self._raise)
        return self

    @staticmethod
    def _raise(signum, frame):
        raise KeyboardInterrupt

    def __exit__(self, *exc):
        if self.old is not None:
            signal.signal(signal.SIGTERM, self.old)


def _memory_limit(text):
    if text == "auto":
        return text
    from dask.utils import parse_bytes
    try:
        return parse_bytes(text)
    except (ValueError, TypeError):
        raise UsageError(f"--memory-limit {text}: write a size such as 4GB or 500MB") from None


def cmd_sweep(args) -> int:
    from boltzmann_lab.sweeps import SweepError, parse_grid_args, sweep
    from boltzmann_lab.sweeps.results import format_table

    if args.workers is not None and (args.scheduler or args.serial):
        raise UsageError("--workers sets the size of the local cluster; it cannot be combined "
                         "with --scheduler (the cluster has its own workers) or --serial")
    if args.workers is not None and args.workers < 1:
        raise UsageError(f"--workers {args.workers}: at least one worker is needed")
    memory_limit = _memory_limit(args.memory_limit)
    grid = parse_grid_args(args.grid)
    tty = sys.stderr.isatty()

    def progress(event):
        if event.kind == "start":
            print(f"{PROG} sweep: {event.message}", file=sys.stderr)
            return
        if event.kind == "skipped":
            return
        name = event.point.name.rsplit("-", 1)[0]
        status = event.row["status"]
        if tty:
            frac = event.done / max(event.total, 1)
            bar = "[" + "#" * int(30 * frac) + "." * (30 - int(30 * frac)) + "]"
            sys.stderr.write(f"\r{bar} {event.done}/{event.total} points  {name}: "
                             f"{status[:40]}".ljust(100)[:120])
            sys.stderr.flush()
        else:
            print(f"{event.done}/{event.total} {name}: {status}", file=sys.stderr)

    scheduler = "serial" if args.serial else args.scheduler
    table = None
    try:
        with _Terminate():
            table = sweep(args.config, grid, seeds=args.seeds, out=args.out,
                          scheduler=scheduler, workers=args.workers, memory_limit=memory_limit,
                          progress=progress)
    except SweepError as exc:
        raise UsageError(str(exc)) from None
    except KeyboardInterrupt:
        pass
    finally:
        if tty:
            sys.stderr.write("\n")
    out = Path(args.out)
    if table is None:
        print(f"{PROG} sweep: interrupted; the finished points are kept in {out} "
              f"({out / 'results.csv'}). Run the same command again to continue.",
              file=sys.stderr)
        return 130
    shown = [c for c in table.columns if c.startswith(("training.", "model.", "data."))]
    shown += ["seed", "status"] + [c for c in SHOWN_METRICS if c in table.columns]
    shown += [c for c in table.columns if c.startswith("best_") and c != "best_step"]
    rows = [{**r, "status": "diverged" if str(r["status"]).startswith("training diverged")
             else r["status"]} for r in table]
    print(format_table(rows, shown))
    failed = table.failed
    print(f"{len(table) - len(failed)} of {len(table)} points finished; results in "
          f"{out / 'results.csv'}, one folder per point in {out}")
    if failed:
        print(f"{PROG} sweep: {len(failed)} point(s) failed (status column); run the same "
              f"command again to retry them.", file=sys.stderr)
        return 1
    return 0
