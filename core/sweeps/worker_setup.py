"""Run in every worker process of a sweep's LocalCluster (a dask ``preload``), and asked by the
client of every cluster before a sweep starts.

Ctrl-C in a terminal reaches the whole process group, the worker processes included.  The client
(the sweep) handles it — cancels the tasks, keeps the finished points, shuts the cluster down — so
the workers ignore it instead of dying with a traceback each.
"""

from __future__ import annotations

import os
import signal
import threading


def dask_setup(worker) -> None:
    """dask preload hook: ignore SIGINT in this worker process (the client stops the sweep)."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def worker_info() -> dict:
    """What the client checks on every worker: the Boltzmann Lab version it can import, its
    process id and thread settings."""
    from boltzmann_lab import __version__
    return {"version": __version__, "pid": os.getpid(),
            "NUMBA_NUM_THREADS": os.environ.get("NUMBA_NUM_THREADS"),
            "OPENBLAS_NUM_THREADS": os.environ.get("OPENBLAS_NUM_THREADS")}
