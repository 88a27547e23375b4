"""One sweep point, run where the scheduler puts it: build the trainer from the resolved config
(:func:`boltzmann_lab.build.make_trainer`, the one training loop), train to the end, and hand back
the run's files and its final metrics.

The files are what ``boltzmann-lab train`` writes (:class:`boltzmann_lab.io.rundir.RunWriter`:
``config.toml``, ``model.npz``, ``metrics.jsonl``) plus ``session.npz`` (the trainer's full state,
:mod:`boltzmann_lab.io.session`, so the app can open the point and continue it).  They are written
in a private scratch folder on the worker (memory-backed ``/dev/shm`` where it has room) and
returned as bytes: the client alone writes the
sweep directory, so a worker that dies half-way leaves nothing behind, a retried point is written
once, and workers need no shared filesystem for the results (they do need to read the data path).

Every point runs with one BLAS thread (``threadpoolctl``) wherever it runs, so its numbers do not
depend on the machine's thread settings: serial and distributed sweeps give identical tables.
"""

from __future__ import annotations

import math
import shutil
import tempfile
import time
from pathlib import Path

SESSION_FILE = "session.npz"
#: a memory-backed folder for the point's scratch files when it has this much room (writing,
#: fsyncing and deleting them on disk costs more than a small run itself)
SCRATCH_ROOM = 2**30


def scratch_root() -> str | None:
    """``/dev/shm`` when it is a writable folder with at least SCRATCH_ROOM free, else ``None``
    (the system's temporary folder)."""
    import os
    import shutil as _sh
    root = "/dev/shm"
    try:
        if os.path.isdir(root) and os.access(root, os.W_OK) and \
                _sh.disk_usage(root).free >= SCRATCH_ROOM:
            return root
    except OSError:
        pass
    return None


def _monitor(cfg, learner) -> str:
    """The validation metric the run is judged by (the early-stopping monitor of ``cfg``)."""
    monitor = cfg["training"]["monitor"]
    return getattr(learner, "monitor", "val_ll") if monitor == "auto" else monitor


def run_point(cfg: dict, files: bool = True, stop=None, source: str = "sweep point") -> dict:
    """Train the run ``cfg`` (resolved) to the end.

    Parameters
    ----------
    cfg : a resolved run config (the point's, seed included).
    files : return the run directory's files (``{name: bytes}``); False for an in-memory sweep.
    stop : a ``threading.Event`` checked before every step (serial sweeps only); when set,
        :class:`~boltzmann_lab.sweeps.executor.Cancelled` is raised and nothing is kept.
    source : names the point in error messages (e.g. a memory refusal on the worker).

    Returns
    -------
    dict with ``status`` (the trainer's final message), ``diverged`` (bool), ``metrics`` (``step``,
    ``epoch`` of the last logged row and the latest value of every metric), ``best`` (``best_<monitor>``
    and ``best_step``: the best value of the validation metric over the run, ``None`` when it was
    never logged), ``seconds`` (wall time of the training) and ``files``.
    """
    from threadpoolctl import threadpool_limits

    from boltzmann_lab.build import make_trainer
    from boltzmann_lab.io.rundir import RunWriter
    from boltzmann_lab.io.session import save_trainer
    from boltzmann_lab.sweeps.executor import Cancelled, inside_task

    start = time.perf_counter()
    with threadpool_limits(1), inside_task():
        trainer = make_trainer(cfg, source=source)
        monitor = _monitor(cfg, trainer.learner)
        sign = 1.0 if trainer.mode == "max" else -1.0
        best, best_step = None, None
        last: dict = {}
        tmp = Path(tempfile.mkdtemp(prefix="boltzmann-lab-point-", dir=scratch_root())) \
            if files else None
        try:
            writer = RunWriter(tmp) if files else None
            try:
                while not trainer.done:
                    if stop is not None and stop.is_set():
                        raise Cancelled()
                    snap = trainer.step(with_views=False)
                    if writer is not None:
                        writer.log(snap)
                    if snap.metrics:
                        last.update(snap.metrics)
                        last["step"], last["epoch"] = snap.step, snap.epoch
                        v = snap.metrics.get(monitor)
                        if v is not None and math.isfinite(v) and \
                                (best is None or sign * v > sign * best):
                            best, best_step = float(v), snap.step
                if writer is not None:
                    writer.finish(trainer.learner.model, cfg)
                    save_trainer(tmp / SESSION_FILE, cfg, trainer)
            finally:
                if writer is not None:
                    writer.close()
            payload = {p.name: p.read_bytes() for p in sorted(tmp.iterdir())
                       if p.is_file() and not p.name.startswith(".")} if files else {}
        finally:
            if tmp is not None:
                shutil.rmtree(tmp, ignore_errors=True)
    metrics = {"step": last.pop("step", trainer.step_count), "epoch": last.pop("epoch", 0.0),
               **last}
    message = trainer.message or "stopped"
    return {"status": message, "diverged": message.startswith("training diverged"),
            "metrics": metrics, "best": {f"best_{monitor}": best, "best_step": best_step},
            "seconds": time.perf_counter() - start, "files": payload}
