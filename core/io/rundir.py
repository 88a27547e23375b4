"""A run directory: what ``boltzmann-lab train`` writes, and what every sweep point holds.

::

    DIR/model.npz       the trained model (:func:`boltzmann_lab.io.modelio.save_model`)
    DIR/metrics.jsonl   one JSON object per step that logged metrics: ``step``, ``epoch`` and the
                        metric names (non-finite floats are written as ``null``)
    DIR/config.toml     the fully resolved run config (every default written out)

:class:`RunWriter` streams the metrics row by row into a temporary file (the trainer's in-memory
history is bounded and an open-ended run may take millions of steps) and, in :meth:`RunWriter.finish`,
writes the model, renames the metrics into place and writes the config — each file atomically
(temporary name + :func:`os.replace`), so a crash never leaves a half-written file.  Leaving the
``with`` block without ``finish`` (an exception) removes the temporary metrics file and writes nothing.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path

MODEL_FILE = "model.npz"
METRICS_FILE = "metrics.jsonl"
CONFIG_FILE = "config.toml"
RUN_FILES = (CONFIG_FILE, METRICS_FILE, MODEL_FILE)


def json_safe(value):
    """``value`` with non-finite floats replaced by ``None`` (JSON has no inf/NaN)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


#: permissions of written files: what open() would give (mkstemp's 0600 would hide results
#: from the other users of a shared cluster filesystem)
FILE_MODE = 0o666 & ~_umask()


def atomic_write_bytes(path, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def atomic_write_text(path, text: str) -> Path:
    """:func:`atomic_write_bytes` for UTF-8 text."""
    return atomic_write_bytes(path, text.encode("utf-8"))


class RunWriter:
    """Writes one run directory ``out`` (created if missing) as ``boltzmann-lab train`` does.

    Use::

        with RunWriter(out) as writer:
            while not trainer.done:
                writer.log(trainer.step(with_views=False))
            writer.finish(trainer.learner.model, cfg)

    ``last`` holds the latest value of every metric logged so far (the final metrics of the run).
    """

    def __init__(self, out):
        self.out = Path(out)
        self.out.mkdir(parents=True, exist_ok=True)
        self.last: dict[str, float] = {}
        self.rows = 0
        fd, self._tmp = tempfile.mkstemp(dir=self.out, prefix=f".{METRICS_FILE}.", suffix=".tmp")
        self._file = os.fdopen(fd, "w", encoding="utf-8")
        self.finished = False

    def log(self, snap) -> None:
        """Append the snapshot's metrics as one row (snapshots without metrics write nothing)."""
        if not snap.metrics:
            return
        row = {"step": snap.step, "epoch": snap.epoch, **snap.metrics}
        self._file.write(json.dumps({k: json_safe(v) for k, v in row.items()}) + "\n")
        self.last.update(snap.metrics)
        self.rows += 1

    def finish(self, model, cfg) -> None:
        """Write ``model.npz``, move ``metrics.jsonl`` into place, write ``config.toml``."""
        from boltzmann_lab import config
        from boltzmann_lab.io.modelio import save_model

        self._file.close()
        save_model(self.out / MODEL_FILE, model)
        os.replace(self._tmp, self.out / METRICS_FILE)
        atomic_write_text(self.out / CONFIG_FILE, config.dumps(cfg))
        self.finished = True

    def close(self) -> None:
        """Drop the temporary metrics file if the run was not finished (idempotent)."""
        if not self._file.closed:
            self._file.close()
        if os.path.exists(self._tmp):
            os.unlink(self._tmp)

    def __enter__(self) -> "RunWriter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
