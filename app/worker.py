"""The training worker: one long-lived QThread per run (DESIGN.md, "Threading").

The worker owns the :class:`~boltzmann_lab.learning.trainer.Trainer`.  It builds it (loading the data, building the
model) on its own thread, so data generation and numba compilation never freeze the window, then
loops:

* commands (play, pause, step, stop, reset, set_hyper, apply_edit, speed, quit) arrive through a
  :class:`queue.Queue` and are drained between chunks of work;
* while playing it runs ``trainer.step()`` for ~15 ms per chunk (or, at a chosen speed, a given
  number of steps per display frame);
* results go out *latest wins*: the newest :class:`~boltzmann_lab.learning.trainer.Snapshot` (its arrays are already
  copies) is put in a lock-guarded slot, every step's scalar metrics go into a bounded buffer so no
  curve point is lost, and rare events (ready, error, done...) into a small bounded list.

The GUI pulls all of this with a ~30 Hz timer through :meth:`Worker.take`; the worker never emits
a signal per step and never touches a widget.  Exceptions in the core become readable ``error``
events; the trainer then rolls back to its last good parameters.
"""

from __future__ import annotations

import collections
import queue
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
from PySide6.QtCore import QThread

from boltzmann_lab.learning.trainer import Snapshot

from .errors import log_exception

#: frames per second the speed control refers to ("steps per frame")
FRAME_RATE = 30.0


@dataclass
class Event:
    """Something rare the GUI must show: ``kind`` is one of building, compiling, ready, dataset,
    error, warning, done, hyper_rejected, info."""

    kind: str
    text: str = ""
    data: Any = None


@dataclass
class DatasetInfo:
    """What the Data panel shows about the loaded data (small copies only)."""

    name: str
    n_train: int
    n_val: int
    n: int
    convention: str
    image_shape: tuple | None
    preview: np.ndarray = field(repr=False)      # (k, n) first training samples


def default_builder(cfg: dict, dataset=None):
    """Build ``(trainer, dataset)`` for a resolved config; ``dataset`` is reused when given
    (reset keeps the data).  Runs on the worker thread."""
    from boltzmann_lab.build import make_trainer
    kind = cfg["model"]["kind"]
    if dataset is None and kind != "ising":
        from boltzmann_lab.data.prepare import load_dataset
        dataset = load_dataset(cfg)
    return make_trainer(cfg, dataset), dataset


def describe_error(exc: BaseException) -> str:
    """A one-paragraph message for a user: the exception's own text, its type when that adds
    something, and no traceback (``--debug`` prints it: boltzmann_lab.app.errors)."""
    text = str(exc).strip() or exc.__class__.__name__
    if isinstance(exc, ModuleNotFoundError):
        return f"This part of Boltzmann Lab is not available: {text}"
    if isinstance(exc, ValueError):   # LoadError, ConfigError, SessionError...: user-facing text
        return text
    return f"{exc.__class__.__name__}: {text}"


class Worker(QThread):
    """Runs one training run on a background thread.  All public methods are thread-safe and
    meant to be called from the GUI thread."""

    #: metric points kept between two GUI pulls (bounded: memory stays flat if the GUI stalls)
    MAX_POINTS = 20000
    MAX_EVENTS = 100

    def __init__(self, cfg: dict, builder: Callable | None = None, dataset=None,
                 chunk_seconds: float = 0.015, parent=None):
        super().__init__(parent)
        self.cfg = cfg
        self._builder = builder or default_builder
        self._dataset = dataset
        self._chunk = float(chunk_seconds)
        self._commands: queue.Queue = queue.Queue()
        self._lock = threading.Lock()
        self._latest: Snapshot | None = None
        self._points: collections.deque = collections.deque(maxlen=self.MAX_POINTS)
        self._events: collections.deque = collections.deque(maxlen=self.MAX_EVENTS)
        # read by the GUI (single attribute assignments are atomic under the GIL)
        self.state = "building"      # building, compiling, ready, running, paused, done, failed
        self.step_count = 0
        self.total_steps: int | None = None
        self.rate = 0.0              # steps per second while running
        self.trainer = None          # owned by the worker thread: the GUI must not call into it
        self.dataset = None
        self._playing = False
        self._speed: float | None = None     # steps per frame; None = as fast as possible
        self._credit = 0.0
        self._quit = False
        self._compiled = False
        self._rate_marks: collections.deque = collections.deque(maxlen=64)
        self._gui_time: float | None = None   # last liveness ping from the GUI thread

    # ------------------------------------------------------------------ GUI-side commands
    def play(self):
        self._commands.put(("play",))

    def pause(self):
        self._commands.put(("pause",))

    def step_once(self, n: int = 1):
        self._commands.put(("step", int(n)))

    def stop_run(self):
        """End the run now (final evaluation, ``done``); Reset starts a new one."""
        self._commands.put(("stop",))

    def reset(self):
        """Rebuild the model from the config, keeping the data."""
        self._commands.put(("reset",))

    def set_hyper(self, name: str, value):
        self._commands.put(("hyper", name, value))

    def apply_edit(self, indices, values):
        """Set lattice / state units ``indices`` to ``values`` (drawing on the lattice)."""
        self._commands.put(("edit", np.asarray(indices).copy(), np.asarray(values).copy()))

    def set_speed(self, steps_per_frame: float | None):
        self._commands.put(("speed", steps_per_frame))

    def call(self, fn):
        """Run ``fn(worker)`` on the worker thread between steps (e.g. save a session, denoise
        with the current model); returns a :class:`concurrent.futures.Future` with its result."""
        from concurrent.futures import Future
        fut = Future()
        self._commands.put(("call", fn, fut))
        return fut

    def request_quit(self):
        self._commands.put(("quit",))

    def quit_and_wait(self, timeout_s: float = 30.0) -> bool:
        """Ask the thread to finish and wait for it (a step in progress — e.g. a numba compile —
        is allowed to complete).  Returns whether the thread has finished."""
        self.request_quit()
        return self.wait(int(timeout_s * 1000))

    def gui_ping(self):
        """Called by the GUI thread every ~10 ms while its event loop runs (see
        :meth:`_yield_to_gui`)."""
        self._gui_time = time.perf_counter()

    @property
    def playing(self) -> bool:
        return self._playing

    def take(self):
        """Return ``(snapshot or None, metric points, events)`` produced since the last call."""
        with self._lock:
            snap, self._latest = self._latest, None
            points = list(self._points)
            self._points.clear()
            events = list(self._events)
            self._events.clear()
        return snap, points, events

    # ------------------------------------------------------------------ worker-side helpers
    def _event(self, kind, text="", data=None):
        with self._lock:
            self._events.append(Event(kind, text, data))

    def _publish(self, snap: Snapshot):
        """Buffer the step's metric points; offer the snapshot to the GUI when it has its display
        arrays (steps inside a chunk skip them: see :meth:`_chunk_of_steps`)."""
        with self._lock:
            if snap.views or snap.done or self._latest is None:
                self._latest = snap
            if snap.metrics:
                self._points.append((snap.step, snap.epoch, dict(snap.metrics)))
        self.step_count = snap.step

    def _initial_snapshot(self):
        """Step-0 snapshot: the untrained model as it is (no step taken, so a Hopfield cue or
        the EM starting point is visible before Play)."""
        learner = self.trainer.learner
        try:
            views = learner.views()
        except Exception:  # some learners can only draw after a step
            views = {}
        return Snapshot(step=self.trainer.step_count, epoch=self.trainer.epoch, kind=learner.kind,
                        metrics={}, views=views, image_shape=learner.image_shape,
                        convention=learner.convention, done=self.trainer.done,
                        message=self.trainer.message, total_steps=self.trainer.max_steps)

    def _build(self, reuse_data: bool) -> bool:
        self.state = "building"
        self._event("building", "loading data and building the model…")
        try:
            dataset = self.dataset if reuse_data else self._dataset
            trainer, dataset = self._builder(self.cfg, dataset)
        except Exception as exc:
            # bad input (ValueError: LoadError, ConfigError...) is the user's news, not a bug
            log_exception(exc, "while building the run", expected=isinstance(exc, ValueError))
            self.state = "failed"
            self._event("error", describe_error(exc))
            return False
        self.trainer, self.dataset = trainer, dataset
        self.total_steps = trainer.max_steps
        self.step_count = trainer.step_count
        if dataset is not None and not reuse_data:
            train = np.asarray(dataset.train)
            info = DatasetInfo(name=dataset.name, n_train=len(train), n_val=len(dataset.val),
                               n=int(train.shape[1]), convention=dataset.convention,
                               image_shape=dataset.image_shape,
                               preview=np.array(train[:64], dtype=np.float32, copy=True))
            self._event("dataset", dataset.name, info)
        self._publish(self._initial_snapshot())
        self.state = "ready"
        self._event("ready")
        return True

    def _step(self, with_views: bool = True) -> Snapshot | None:
        """One trainer step with error handling; returns the snapshot or None on error."""
        t = self.trainer
        if t is None or t.done:
            return None
        if not self._compiled:
            # numba compiles (or loads its cache) on the first step: tell the user why it waits
            self.state = "compiling"
            self._event("compiling", "compiling numba kernels (first run only)…")
        try:
            snap = t.step(with_views=with_views)
            if snap.done and not snap.views:
                snap.views = t.views()          # the final picture is always drawn
        except Exception as exc:
            log_exception(exc, "in a training step", expected=isinstance(exc, ValueError))
            try:
                t.roll_back()
            except Exception:
                pass
            self._playing = False
            self.state = "paused"
            self._event("error", "Training step failed, the last good model was kept. "
                        + describe_error(exc))
            return None
        if not self._compiled:
            self._compiled = True
            self.state = "running" if self._playing else "paused"
        self._publish(snap)
        if snap.done:
            self._playing = False
            self.state = "done"
            kind = "warning" if "diverged" in snap.message else "done"
            self._event(kind, snap.message)
        return snap

    def _handle(self, cmd):
        name = cmd[0]
        if name == "quit":
            self._quit = True
        elif name == "play":
            if self.trainer is not None and not self.trainer.done:
                self._playing = True
                self._credit = 0.0
                self.state = "running"
        elif name == "pause":
            self._playing = False
            if self.state in ("running", "compiling"):
                self.state = "paused"
        elif name == "step":
            self._playing = False
            for _ in range(cmd[1]):
                if self._step() is None:
                    break
            if self.state in ("running", "compiling", "ready"):
                self.state = "paused"
        elif name == "stop":
            self._playing = False
            if self.trainer is not None and not self.trainer.done:
                self.trainer.request_stop("stopped by user")
                self._step()
        elif name == "reset":
            self._playing = False
            with self._lock:
                self._points.clear()
            self._build(reuse_data=True)
        elif name == "speed":
            self._speed = None if cmd[1] is None else float(cmd[1])
            self._credit = 0.0
        elif name == "hyper":
            _, key, value = cmd
            try:
                self.trainer.set_hyper(key, value)
            except Exception as exc:
                self._event("hyper_rejected", describe_error(exc), (key, value))
            else:
                self._event("info", f"{key} = {value:g}" if isinstance(value, float)
                            else f"{key} = {value}")
                self._revive()
                self._republish_views()
        elif name == "edit":
            _, idx, vals = cmd
            edit = getattr(self.trainer.learner, "apply_edit", None) if self.trainer else None
            if edit is None:
                self._event("warning", "this model has no state that can be drawn on")
            else:
                try:
                    edit(idx, vals)
                except Exception as exc:
                    self._event("error", describe_error(exc))
                self._revive()
                self._republish_views()
        elif name == "call":
            _, fn, fut = cmd
            if fut.set_running_or_notify_cancel():
                try:
                    fut.set_result(fn(self))
                except BaseException as exc:  # noqa: BLE001 - handed to the caller
                    fut.set_exception(exc)

    def _revive(self):
        """A run that stopped because it converged (e.g. Hopfield recall at a fixed point) can go
        on after the user draws on the state or changes a setting (boltzmann_lab.app.revive)."""
        from .revive import revive_after_change
        if self.trainer is not None and revive_after_change(self.trainer):
            self.state = "paused"

    def _republish_views(self):
        """After an edit or a parameter change while paused, show the new state at once."""
        if self.trainer is not None and not self._playing:
            self._publish(self._initial_snapshot())

    def _yield_to_gui(self):
        """Back off while the GUI thread is starved.

        A worker running Python code holds the GIL most of the time; every Python callback the
        GUI needs (each pyqtgraph ``paint``, each timer slot) then waits up to a GIL switch
        interval, and a repaint made of dozens of such callbacks stalls the window.  The GUI
        pings every ~10 ms; when the last ping is late the worker sleeps (GIL released) in
        short slices until the event loop has caught up, for at most ``GUI_WAIT_MAX`` seconds.
        """
        t = self._gui_time
        if t is None:
            return
        start = time.perf_counter()
        while start - t > self.GUI_LATE and time.perf_counter() - start < self.GUI_WAIT_MAX:
            time.sleep(0.001)
            if self._gui_time != t:
                break

    GUI_LATE = 0.015
    GUI_WAIT_MAX = 0.1

    def _chunk_of_steps(self):
        """Run steps for about one chunk (~15 ms), or the number the speed control allows."""
        start = time.perf_counter()
        if self._speed is None:
            n_allowed = None
        else:
            # credit accrues at speed * FRAME_RATE steps per second of wall time
            now = start
            last = getattr(self, "_credit_time", now)
            self._credit = min(self._credit + (now - last) * self._speed * FRAME_RATE,
                               max(1.0, self._speed * 2))
            self._credit_time = now
            n_allowed = int(self._credit)
            if n_allowed == 0:
                self._mark_rate()
                return 0
        n = 0
        last = None
        while self._playing and (n_allowed is None or n < n_allowed):
            self._yield_to_gui()
            # display arrays only for the snapshot the GUI will draw: building them every step
            # cost more than the step itself on large models (e.g. EM on 10000 x 784 data)
            snap = self._step(with_views=False)
            if snap is None:
                break
            last = snap
            n += 1
            if time.perf_counter() - start > self._chunk:
                break
        if last is not None and not last.views:
            try:
                last.views = self.trainer.views()
            except Exception as exc:    # drawing must never stop training; metrics still flow
                log_exception(exc, "while drawing the views")
            with self._lock:
                self._latest = last
        if n_allowed is not None:
            self._credit -= n
        self._mark_rate()
        return n

    def _mark_rate(self):
        """Steps per second over the last ~2 s (slow speeds included)."""
        now = time.perf_counter()
        marks = self._rate_marks
        if marks and now - marks[-1][0] < 0.05:
            return
        marks.append((now, self.step_count))
        (t0, s0), (t1, s1) = marks[0], marks[-1]
        if t1 - t0 > 0.25:
            self.rate = (s1 - s0) / (t1 - t0)
        while len(marks) > 2 and t1 - marks[0][0] > 2.0:
            marks.popleft()

    # ------------------------------------------------------------------ the thread
    def run(self):  # noqa: D401 - QThread entry point
        if not self._build(reuse_data=False):
            # keep the thread alive until told to quit, so the owner's life cycle is uniform
            while not self._quit:
                self._handle(self._commands.get())
            return
        while not self._quit:
            if self._playing:
                while True:                       # drain without blocking
                    try:
                        self._handle(self._commands.get_nowait())
                    except queue.Empty:
                        break
                if self._quit:
                    break
                if self._playing:
                    n = self._chunk_of_steps()
                    # let the GUI thread take the GIL between chunks (it may be waiting for it)
                    time.sleep(0.0005)
                    if n == 0:
                        # slow speed: wait for the next step's credit, still listening
                        try:
                            self._handle(self._commands.get(timeout=0.01))
                        except queue.Empty:
                            pass
                else:
                    self.rate = 0.0
                    self._rate_marks.clear()
            else:
                self.rate = 0.0
                self._rate_marks.clear()
                try:
                    cmd = self._commands.get(timeout=0.1)
                except queue.Empty:
                    continue
                self._handle(cmd)
                if self._playing:
                    self._credit_time = time.perf_counter()
