"""Run directories: one writer at a time, and no stale temporary files.

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
import os
import re
import time
from pathlib import Path

LOCK_NAME = ".boltzmann-lab.lock"
#: the files a run writes; their temporaries are ``.<name>.<random>.tmp`` (tempfile.mkstemp)
RUN_FILES = ("model.npz", "metrics.jsonl", "config.toml")
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
