"""Run directories: what ``boltzmann-lab train`` writes (and every sweep point holds), one writer
at a time, and no stale temporary files.

::

    DIR/model.npz       the trained model (:func:`boltzmann_lab.io.modelio.save_model`)
    DIR/metrics.jsonl   one JSON object per step that logged metrics: ``step``, ``epoch`` and the
                        metric names (non-finite floats are written as ``null``)
    DIR/config.toml     the fully resolved run config (every default written out)

:class:`RunWriter` streams the metrics row by row into a temporary file (the trainer's in-memory
history is bounded and an open-ended run may take millions of steps) and, in
:meth:`RunWriter.finish`, writes the model, renames the metrics into place and writes the config —
each file atomically (temporary name + :func:`os.replace`), so a crash never leaves a half-written
file.  Leaving the ``with`` block without ``finish`` (an exception) removes the temporary metrics
file and writes nothing.  The ``train`` command (:mod:`boltzmann_lab.app.cli_train`) and the sweep
points (:mod:`boltzmann_lab.sweeps.point`) both write through it.

``boltzmann-lab train --out DIR`` holds :class:`RunDirLock` on ``DIR`` for the whole run: an
exclusive ``flock`` on ``DIR/.boltzmann-lab.lock`` (which also records the holder's pid and start
time).  A second run on the same directory is refused at once (:class:`RunDirBusy`).  The kernel
releases an ``flock`` when its process dies, so a run killed with ``kill -9`` leaves at most an
unlocked lock file, which the next run simply takes over: a stale lock never blocks.  On a normal
exit the lock file is removed.

Writes into a run directory go through hidden temporary files next to their target
(``.model.npz.XXXX.tmp`` …) that are renamed into place.  A run killed with ``kill -9`` can leave
such files behind; :func:`stale_temp_files` finds them (only names of this exact pattern, regular
files, never symlinks) so the next run — holding the lock, hence sure no other run of ours is
writing them — can delete them, and the emptiness check ignores them.
"""

from __future__ import annotations

import errno
import fcntl
import json
import math
import os
import re
import tempfile
import time
from pathlib import Path

LOCK_NAME = ".boltzmann-lab.lock"
MODEL_FILE = "model.npz"
METRICS_FILE = "metrics.jsonl"
CONFIG_FILE = "config.toml"
#: the files a run writes; their temporaries are ``.<name>.<random>.tmp`` (tempfile.mkstemp)
RUN_FILES = (MODEL_FILE, METRICS_FILE, CONFIG_FILE)
_TEMP = re.compile(r"^\.(%s)\.[A-Za-z0-9_]{6,}\.tmp$" % "|".join(re.escape(n) for n in RUN_FILES))


class RunDirBusy(Exception):
    """Another process holds the run directory's lock."""


def stale_temp_files(directory) -> list[Path]:
    """Hidden temporaries of our own writes (``.model.npz.XXXX.tmp`` …) in ``directory``."""
    out = []
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return out
    for e in entries:
        if _TEMP.match(e.name) and e.is_file(follow_symlinks=False):
            out.append(Path(e.path))
    return out


def user_files(directory) -> list[str]:
    """Names in ``directory`` other than our lock file and our stale temporaries."""
    ours = {p.name for p in stale_temp_files(directory)} | {LOCK_NAME}
    try:
        return sorted(n for n in os.listdir(directory) if n not in ours)
    except OSError:
        return []


class RunDirLock:
    """Exclusive lock on a run directory (module docstring).  Use as a context manager or call
    :meth:`acquire` / :meth:`release`; :meth:`acquire` raises :class:`RunDirBusy` naming the holder."""

    def __init__(self, directory):
        self.directory = Path(directory)
        self.path = self.directory / LOCK_NAME
        self.fd = None

    def _holder(self) -> str:
        try:
            text = self.path.read_text(encoding="utf-8").split()
            return f"pid {int(text[0])}"
        except (OSError, ValueError, IndexError):
            return "another process"

    def acquire(self) -> "RunDirLock":
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                os.close(fd)
                if exc.errno in (errno.EWOULDBLOCK, errno.EACCES, errno.EAGAIN):
                    raise RunDirBusy(f"{self.directory}: another boltzmann-lab run "
                                     f"({self._holder()}) is writing to this run directory; wait "
                                     f"for it to finish or choose another --out.") from None
                raise
            # The holder before us may have removed the file between our open and our flock:
            # then we locked an unlinked inode; start again on the file now at the path.
            try:
                same = os.path.samestat(os.fstat(fd), os.stat(self.path, follow_symlinks=False))
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()} {time.time():.0f}\n".encode())
        self.fd = fd
        return self

    def release(self) -> None:
        if self.fd is None:
            return
        try:
            os.unlink(self.path)     # while still holding it: nobody can lock this inode after
        except OSError:
            pass
        os.close(self.fd)
        self.fd = None

    def __enter__(self):
        return self.acquire()

    def __exit__(self, *exc):
        self.release()


# ----------------------------------------------------------------------------- writing
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
        self.write_row({"step": snap.step, "epoch": snap.epoch, **snap.metrics})
        self.last.update(snap.metrics)

    def write_row(self, row: dict) -> None:
        """Append one row as it is (e.g. the diverged step's row, marked ``"diverged": true``)."""
        self._file.write(json.dumps({k: json_safe(v) for k, v in row.items()}) + "\n")
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
