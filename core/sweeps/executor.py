"""Where sweep tasks run: in this process one after another, or on ``dask.distributed``.

``scheduler`` (the same argument everywhere: :func:`boltzmann_lab.sweeps.sweep`, :func:`map_tasks`,
the command line's ``--scheduler``/``--serial``):

* ``"serial"`` — in this process, in order (no dask at all);
* ``None`` or ``"local"`` — a :class:`distributed.LocalCluster` on this machine: ``workers``
  processes (default: the usable cores), one thread each, ``NUMBA_NUM_THREADS`` /
  ``OPENBLAS_NUM_THREADS`` / ``OMP_NUM_THREADS`` = 1 in every worker (set before the worker process
  starts), a memory limit per worker (default: the machine's memory split evenly; the nanny
  restarts a worker that exceeds 95 % of it), ``allowed_failures`` retries of a task whose worker
  died, and the scheduler bound to 127.0.0.1 only;
* ``"tcp://HOST:PORT"`` — a running scheduler (``dask scheduler`` + ``dask worker``, or
  dask-jobqueue); its own ``distributed.scheduler.allowed-failures`` applies;
* a :class:`distributed.Client` (used, not closed) or a cluster object with ``scheduler_address``.

dask is imported only here, and only when a dask scheduler is used: importing Boltzmann Lab (and
starting the app) does not pay for it.  Every task runs under ``threadpoolctl`` limits of one BLAS
thread (in :mod:`boltzmann_lab.sweeps.point`), so a task's floating-point result does not depend on
where it ran.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator

SERIAL = "serial"
LOCAL = "local"
#: retries of a task whose worker process died (distributed.scheduler.allowed-failures)
ALLOWED_FAILURES = 3
#: environment of every LocalCluster worker process (set before it starts, so numba and OpenBLAS
#: read it at import): one thread each, the process is the unit of parallelism
WORKER_ENV = {"NUMBA_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
              "MKL_NUM_THREADS": "1"}
#: module run in every LocalCluster worker at start (ignores Ctrl-C: the client cancels cleanly)
PRELOAD = "boltzmann_lab.sweeps.worker_setup"
ENV_SCHEDULER = "BOLTZMANN_LAB_SCHEDULER"
POLL_S = 0.05


class SweepError(ValueError):
    """A sweep cannot start: bad output folder, unreachable scheduler, workers without Boltzmann
    Lab, a point that cannot fit a worker's memory.  The message says what to do."""


class Cancelled(Exception):
    """Raised inside a serial task when the sweep's ``stop`` event is set."""


@dataclass
class Outcome:
    """What became of task ``index``: its ``value``, or ``error`` (one line) when it failed."""

    index: int
    value: Any = None
    error: str | None = None


_task = threading.local()


@contextlib.contextmanager
def inside_task():
    """Marks the current thread as running a sweep task: :func:`map_tasks` inside it (EM
    restarts of a sweep point) runs serially instead of starting a cluster within a worker."""
    before = getattr(_task, "active", False)
    _task.active = True
    try:
        yield
    finally:
        _task.active = before


def default_scheduler() -> str:
    """The scheduler of in-process helpers (EM restarts, Λ paths, capacity curves) when none is
    given: ``$BOLTZMANN_LAB_SCHEDULER`` if set, else ``"serial"`` (starting a cluster for a few
    seconds of work would cost more than it saves)."""
    return os.environ.get(ENV_SCHEDULER) or SERIAL


def usable_cores() -> int:
    """Cores this process may use (affinity and cgroup quotas respected)."""
    try:
        from dask.system import CPU_COUNT
        return max(1, int(CPU_COUNT))
    except Exception:   # pragma: no cover - dask is a dependency
        return max(1, os.cpu_count() or 1)


def _error_line(exc: BaseException) -> str:
    name = type(exc).__name__
    if name == "KilledWorker":
        tries = getattr(exc, "allowed_failures", ALLOWED_FAILURES) + 1
        return (f"its worker process died {tries} times while running it (killed, crashed or over "
                f"its memory limit); the point was given up")
    text = str(exc).strip().splitlines()
    return f"{name}: {text[0] if text else ''}".rstrip(": ")


# ----------------------------------------------------------------------------- serial
class SerialExecutor:
    """Runs tasks in this process, in order; ``in_process`` tasks may watch the stop event."""

    in_process = True
    description = "serially in this process"
    n_workers = 1

    @property
    def memory_limit(self) -> int | None:
        """Memory this process may use (``BOLTZMANN_LAB_MEMORY_LIMIT`` caps it)."""
        from boltzmann_lab.memory import available_memory
        return available_memory()

    def run(self, calls: list, stop=None) -> Iterator[Outcome]:
        for i, (fn, args, kwargs) in enumerate(calls):
            if stop is not None and stop.is_set():
                return
            try:
                value = fn(*args, **kwargs)
            except Cancelled:
                return
            except Exception as exc:  # noqa: BLE001 - a failed task is reported, the sweep goes on
                yield Outcome(i, error=_error_line(exc))
            else:
                yield Outcome(i, value)

    def map(self, fn, items, common=()) -> list:
        return [fn(item, *common) for item in items]

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# ----------------------------------------------------------------------------- dask
class DaskExecutor:
    """Runs tasks on dask.distributed (see the module docstring for ``scheduler``)."""

    in_process = False

    def __init__(self, scheduler=None, workers: int | None = None, memory_limit="auto",
                 allowed_failures: int = ALLOWED_FAILURES, connect_timeout: float | None = None):
        try:
            import dask
            from dask.utils import parse_timedelta
            from distributed import Client, LocalCluster
        except ImportError as exc:  # pragma: no cover - a regular dependency
            raise SweepError(f"dask.distributed is not installed ({exc}); install "
                             f"'dask[distributed]' or run the sweep with --serial") from None
        if connect_timeout is None:     # dask's own setting (30 s unless configured)
            connect_timeout = parse_timedelta(dask.config.get("distributed.comm.timeouts.connect"))
        self.cluster = None
        self._own_client = True
        if scheduler is None or scheduler == LOCAL:
            n = usable_cores() if workers is None else int(workers)
            if n < 1:
                raise SweepError(f"--workers {workers}: at least one worker is needed")
            env = {**WORKER_ENV}
            # the workers' statistical profiler samples every thread each 10 ms: CPU a sweep of
            # numba runs does not need (it is only read by dask's dashboard, which is off)
            with dask.config.set({"distributed.nanny.pre-spawn-environ":
                                  {**dask.config.get("distributed.nanny.pre-spawn-environ"), **env},
                                  "distributed.worker.daemon": True,
                                  "distributed.worker.profile.enabled": False}):
                self.cluster = LocalCluster(
                    n_workers=n, threads_per_worker=1, processes=True, host="127.0.0.1",
                    memory_limit=memory_limit, dashboard_address=None,
                    silence_logs=logging.ERROR, scheduler_kwargs={"allowed_failures":
                                                                  int(allowed_failures)},
                    env=env, preload=[PRELOAD])
            self.client = Client(self.cluster, set_as_default=False)
            self.description = f"on a local dask cluster of {n} worker processes"
        elif hasattr(scheduler, "submit") and hasattr(scheduler, "scheduler_info"):
            self.client, self._own_client = scheduler, False
            self.description = f"on the dask cluster of {scheduler}"
        else:
            address = getattr(scheduler, "scheduler_address", scheduler)
            if not isinstance(address, str):
                raise SweepError(f"scheduler {scheduler!r}: give 'serial', 'local', an address "
                                 f"such as tcp://HOST:8786, or a distributed.Client")
            try:
                self.client = Client(address, timeout=connect_timeout, set_as_default=False)
            except (OSError, TimeoutError, ValueError) as exc:
                raise SweepError(f"--scheduler {address}: cannot reach a dask scheduler there "
                                 f"({exc}). Start one with 'dask scheduler' and connect workers "
                                 f"with 'dask worker {address}' (README, \"Sweeps\").") from None
            self.description = f"on the dask cluster at {address}"
        try:
            self._check_workers(connect_timeout)
        except BaseException:
            self.close()
            raise

    def _check_workers(self, timeout: float) -> None:
        from boltzmann_lab import __version__
        from boltzmann_lab.sweeps.worker_setup import worker_info

        try:
            self.client.wait_for_workers(1, timeout=max(timeout, 60.0))
        except (TimeoutError, OSError) as exc:
            raise SweepError(f"no dask worker joined the scheduler {self.description} within "
                             f"a minute ({exc}); start workers with 'dask worker ADDRESS'") from None
        try:
            info = self.client.run(worker_info)
        except Exception as exc:  # noqa: BLE001 - the workers cannot import us
            raise SweepError(f"the dask workers {self.description} cannot run Boltzmann Lab "
                             f"({type(exc).__name__}: {exc}); install the same version of "
                             f"boltzmann-lab in the workers' environment") from None
        versions = {v["version"] for v in info.values()}
        if versions != {__version__}:
            raise SweepError(f"the dask workers run Boltzmann Lab {', '.join(sorted(versions))} "
                             f"but this is {__version__}; install the same version everywhere")
        self.worker_info = info
        try:     # recent distributed lists only the first 5 workers unless asked for all
            workers = self.client.scheduler_info(n_workers=-1)["workers"]
        except TypeError:
            workers = self.client.scheduler_info()["workers"]
        limits = [int(w.get("memory_limit") or 0) for w in workers.values()]
        self.n_workers = len(workers)
        limits = [x for x in limits if x > 0]
        self._limit = min(limits) if limits else None

    @property
    def memory_limit(self) -> int | None:
        """The smallest worker's memory limit in bytes (``None``: unlimited or unknown)."""
        return self._limit

    def run(self, calls: list, stop=None) -> Iterator[Outcome]:
        """Submit every call, then yield outcomes as tasks finish; unfinished tasks are cancelled
        when the generator is closed (``stop`` set, Ctrl-C, an exception in the consumer)."""
        from distributed import as_completed

        token = uuid.uuid4().hex[:8]
        futures = {}
        try:
            for i, (fn, args, kwargs) in enumerate(calls):
                fut = self.client.submit(fn, *args, key=f"{getattr(fn, '__name__', 'task')}-{i}-"
                                                        f"{token}", pure=False, **kwargs)
                futures[fut] = i
            ac = as_completed(list(futures), loop=self.client.loop)
            while futures:
                if stop is not None and stop.is_set():
                    return
                batch = ac.next_batch(block=False)
                if not batch:
                    time.sleep(POLL_S)
                    continue
                # one round trip for the batch's results (results of failed tasks one by one)
                good = [f for f in batch if f.status == "finished"]
                try:
                    values = dict(zip(good, self.client.gather(good))) if good else {}
                except Exception:  # noqa: BLE001 - a result lost meanwhile: fetch one by one
                    values = {}
                for fut in batch:
                    i = futures.pop(fut)
                    if fut in values:
                        outcome = Outcome(i, values.pop(fut))
                    else:
                        try:
                            outcome = Outcome(i, fut.result())
                        except Exception as exc:  # noqa: BLE001 - reported as the outcome
                            outcome = Outcome(i, error=_error_line(exc))
                    fut.release()
                    yield outcome
        finally:
            if futures:
                try:
                    self.client.cancel(list(futures))
                except Exception:  # noqa: BLE001 - the cluster may already be gone
                    pass

    def map(self, fn, items, common=()) -> list:
        """``[fn(item, *common) for item in items]`` on the cluster (``common`` sent once)."""
        shared = [self.client.scatter(c, broadcast=True) for c in common]
        futures = [self.client.submit(fn, item, *shared, pure=False) for item in items]
        try:
            return self.client.gather(futures)
        finally:
            self.client.cancel(futures)

    def close(self) -> None:
        client, cluster = getattr(self, "client", None), self.cluster
        self.cluster = None
        if client is not None and self._own_client:
            try:
                client.close(timeout=10)
            except Exception:  # noqa: BLE001 - closing after an interrupt must not raise
                pass
        if cluster is not None:
            try:
                cluster.close(timeout=20)
            except Exception:  # noqa: BLE001
                pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def open_executor(scheduler=None, workers: int | None = None, memory_limit="auto",
                  allowed_failures: int = ALLOWED_FAILURES):
    """A :class:`SerialExecutor` for ``scheduler == "serial"``, else a :class:`DaskExecutor`
    (a context manager; closing it shuts down a LocalCluster it started)."""
    if scheduler == SERIAL:
        return SerialExecutor()
    return DaskExecutor(scheduler, workers=workers, memory_limit=memory_limit,
                        allowed_failures=allowed_failures)


def map_tasks(fn: Callable, items: Iterable, common: tuple = (), scheduler=None,
              workers: int | None = None) -> list:
    """``[fn(item, *common) for item in items]`` through the sweep mechanism, results in order.

    ``scheduler`` as in the module docstring; ``None`` means :func:`default_scheduler` (serial
    unless ``$BOLTZMANN_LAB_SCHEDULER`` names a cluster; always serial inside a sweep task, so a
    sweep point never starts a cluster of its own).  ``common`` arguments are sent to a
    cluster once.  The first failing task's exception is raised; ``fn`` must be picklable (a
    module-level function) on a cluster.
    """
    items = list(items)
    if scheduler is None:
        scheduler = SERIAL if getattr(_task, "active", False) else default_scheduler()
    if scheduler == SERIAL or (len(items) <= 1 and scheduler == LOCAL):
        return SerialExecutor().map(fn, items, common)
    with open_executor(scheduler, workers=workers) as ex:
        return ex.map(fn, items, common)
