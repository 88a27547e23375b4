"""The main window: settings on the left, transport and live views in the centre, status below.

Life cycle of a run: ``start_run(cfg)`` starts a new :class:`~boltzmann_lab.app.worker.Worker` as *pending*;
the current run keeps going (paused) until the new one reports ``ready``, then the two are swapped.
If the new run fails (bad file, bad settings, a model kind that is missing) the error is shown
and the previous data and model stay exactly as they were.

The GUI thread never calls into the trainer: it sends commands to the worker and pulls the
latest snapshot, curve points and events with a ~30 Hz timer (``_tick``).
"""

from __future__ import annotations

import html
import math
import time
import traceback
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import (QApplication, QFileDialog, QLabel, QMainWindow,
                               QProgressBar, QSplitter, QToolBar, QVBoxLayout, QWidget)

from boltzmann_lab import config as C

from . import heap, theme
from .advice_banner import AdviceBanner
from .banner import Banner
from .errors import ErrorReporter
from .panels.config_panel import LIVE_KEYS, ConfigPanel
from .elided_combo import ElidedComboBox
from .panels.transport import Transport
from .views.lattice_view import LatticeView
from .views.view_grid import ViewGrid
from .worker import Worker, describe_error

POLL_MS = 33

#: metrics shown in the status bar, in this order, when present
STATUS_METRICS = ("train_ll", "val_ll", "bound", "energy", "magnetization", "abs_magnetization",
                  "recon_error", "free_energy_gap", "overlap", "moment_error", "max_error")

STATE_TEXT = {"building": ("● loading…", "#b36b00"), "compiling": ("● compiling…", "#b36b00"),
              "ready": ("● ready", "#0b5cad"), "running": ("● running", "#007a55"),
              "paused": ("● paused", "#52606d"), "done": ("● finished", "#0b5cad"),
              "failed": ("● failed", "#c0392b")}

LR_KINDS = ("maxent", "gaussian", "rbm", "dbm", "potts")

#: workers that had not finished when their window shut down (see MainWindow.shutdown)
_UNFINISHED: list = []

#: smallest window size (px)
MIN_SIZE = (1000, 600)


def progress_of(snap) -> tuple[int, str]:
    """(value, text) of the progress bar for a snapshot of a run with ``total_steps``: a run
    that ended by converging (or early stopping) is complete, so the bar is full and says at
    which step; one stopped by the user or diverged keeps its step."""
    total, step = int(snap.total_steps), int(snap.step)
    value = min(step, total)
    message = (snap.message or "") if snap.done else ""
    if not message or message.startswith("finished"):
        return value, "%p%"
    if "diverged" in message:
        return value, f"diverged at step {step:,}"
    if message.startswith("stopped"):
        return value, f"stopped at step {step:,}"
    if message.startswith("early stopping"):
        return total, f"stopped early at step {step:,}"
    return total, f"converged at step {step:,}"


class MainWindow(QMainWindow):
    """Extension hooks (boltzmann_lab.app.lecture connects to these; nothing wraps the window's methods):

    * ``run_starting(cfg)`` — at the start of :meth:`start_run`, before the new worker exists,
      so a slot that changes transport settings (a preset's speed hint) acts on the new run;
    * ``run_started(worker, cfg)`` — the new (pending) worker has started building;
    * ``views.view_created(name, view)``, ``views.snapshot_shown(snap)``,
      ``views.points_arriving(points)`` — see :class:`~boltzmann_lab.app.views.view_grid.ViewGrid`.
    """

    run_starting = Signal(object)
    run_started = Signal(object, object)

    def __init__(self, builder=None, presentation: bool = False, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Boltzmann Lab")
        self.builder = builder            # tests inject fake models; None = boltzmann_lab.build
        self.worker: Worker | None = None
        self.pending: Worker | None = None
        self._pending_items: list = []
        self._pending_autoplay = False
        self._retired: list[Worker] = []
        self.active_cfg: dict | None = None
        self.dataset_info = None
        self.last_snapshot = None
        self.presentation = presentation
        self._closing = False
        self.close_deadline: float | None = None     # set by shutdown_for_exit

        self.errors = ErrorReporter(self)
        self.tick_errors: list[str] = []
        self._build_ui()
        # A fixed minimum: otherwise every layout change (views appearing, a longer title) moves
        # the window's minimum size, which the window system must be told each time (the
        # offscreen platform warns "does not support propagateSizeHints()" for each).  It fits
        # 1024-wide projectors; below the panels' own minimum the controls are compressed.
        self.setMinimumSize(MIN_SIZE[0], MIN_SIZE[1])
        self.timer = QTimer(self)
        self.timer.setInterval(POLL_MS)
        self.timer.timeout.connect(self._tick)
        self.timer.start()
        # liveness ping: a worker backs off when the event loop falls behind (Worker._yield_to_gui)
        self.ping_timer = QTimer(self)
        self.ping_timer.setInterval(10)
        self.ping_timer.timeout.connect(self._ping)
        self.ping_timer.start()
        # Ctrl+Q / Session > Quit (boltzmann_lab.app.quitting)
        from .quitting import install_quit_action
        self.quit_action = install_quit_action(self)
        # lecture-hall features: presentation, sessions, export, drawing tools, help (boltzmann_lab.app.lecture)
        from .lecture import install as install_lecture
        install_lecture(self)
        heap.settle()

    # ================================================================== UI
    def _build_ui(self):
        tb = QToolBar("main")
        tb.setObjectName("mainToolbar")       # saveState() needs names to restore toolbars
        tb.setMovable(False)
        self.addToolBar(tb)
        title = QLabel("Boltzmann Lab")
        title.setObjectName("appTitle")
        tb.addWidget(title)
        tb.addWidget(QLabel("preset "))
        # a long title is shortened with "…" where the box is narrow (presentation mode on a
        # 1024 x 768 projector), in full in its tooltip and list
        self.preset_combo = ElidedComboBox(base_tip="ready-made demos; choosing one starts it")
        self.preset_combo.setMinimumWidth(260)
        self.preset_combo.setPlaceholderText("custom")     # shown for anything but a preset
        self._preset_names: list = []
        try:
            from boltzmann_lab.presets import list_presets
            for name, ptitle, desc in list_presets():
                self.preset_combo.addItem(ptitle, name)
                self.preset_combo.setItemData(self.preset_combo.count() - 1, desc,
                                              Qt.ToolTipRole)
                self._preset_names.append(name)
        except Exception:   # presets are optional for the window itself
            pass
        self.preset_combo.activated.connect(self._preset_chosen)
        tb.addWidget(self.preset_combo)
        tb.addSeparator()
        self.open_action = QAction("Open config…", self)
        self.open_action.triggered.connect(self.open_config_dialog)
        tb.addAction(self.open_action)
        self.save_action = QAction("Save config…", self)
        # Ctrl+S saves the whole session (boltzmann_lab.app.lecture); the config alone is Ctrl+Shift+S
        self.save_action.setShortcut(QKeySequence("Ctrl+Shift+S"))
        self.save_action.triggered.connect(self.save_config_dialog)
        tb.addAction(self.save_action)
        tb.addSeparator()
        self.presentation_action = QAction("Presentation", self)
        self.presentation_action.setCheckable(True)
        self.presentation_action.setChecked(self.presentation)
        self.presentation_action.setShortcut(QKeySequence("F11"))
        self.presentation_action.setToolTip("large fonts and thick lines for a projector (F11)")
        self.presentation_action.toggled.connect(self.set_presentation)
        tb.addAction(self.presentation_action)

        central = QWidget()
        central.setObjectName("central")
        self.setCentralWidget(central)
        outer = QVBoxLayout(central)
        outer.setContentsMargins(6, 6, 6, 0)
        self.splitter = QSplitter(Qt.Horizontal)
        outer.addWidget(self.splitter, 1)

        self.panel = ConfigPanel()
        self.panel.setMinimumWidth(300)
        self.panel.edited.connect(self._panel_edited)
        self.panel.apply_requested.connect(self.apply_settings)
        self.splitter.addWidget(self.panel)

        right = QWidget()
        rl = QVBoxLayout(right)
        rl.setContentsMargins(6, 0, 0, 0)
        self.transport = Transport()
        rl.addWidget(self.transport)
        self.banner = Banner()
        rl.addWidget(self.banner)
        self.advice = AdviceBanner()          # below baseline / swings: cause and remedy
        self.advice.remedy_requested.connect(self._apply_remedy)
        rl.addWidget(self.advice)
        self.views = ViewGrid()
        self.views.view_created.connect(self._view_created)
        rl.addWidget(self.views, 1)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([360, 1240])

        t = self.transport
        t.play_toggled.connect(self._play_toggled)
        t.step_clicked.connect(self.step)
        t.stop_clicked.connect(self.stop)
        t.reset_clicked.connect(self.reset)
        t.speed_changed.connect(self._speed_changed)
        t.hyper_changed.connect(self._hyper_from_transport)

        sb = self.statusBar()
        self.state_label = QLabel("● idle")
        self.step_label = QLabel("")
        self.rate_label = QLabel("")
        self.metrics_label = QLabel("")
        # the metric read-out is clipped on a narrow window rather than widening it
        self.metrics_label.setMinimumWidth(40)
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(220)
        self.progress.hide()
        for w in (self.state_label, self.step_label, self.rate_label):
            sb.addWidget(w)
        sb.addWidget(self.metrics_label, 1)
        sb.addPermanentWidget(self.progress)

        for key, slot in (("Space", self.toggle_play), ("Right", self.step), ("R", self.reset)):
            sc = QShortcut(QKeySequence(key), self)
            sc.setContext(Qt.WindowShortcut)
            sc.activated.connect(slot)

    def _view_created(self, name, view):
        if isinstance(view, LatticeView):
            view.edited.connect(self._lattice_edited)

    # ================================================================== runs
    def load_config(self, cfg: dict, autoplay: bool = False, preset: str | None = None) -> None:
        """Show ``cfg`` (resolved) in the panels and start it as a new run; ``preset`` names
        the preset it came from (the preset box is cleared for any other config)."""
        i = self.preset_combo.findData(preset) if preset else -1
        self.preset_combo.setCurrentIndex(i)
        self.setWindowTitle("Boltzmann Lab" + (f" — {self.preset_combo.itemText(i)}"
                                               if i >= 0 else ""))
        self.panel.load(cfg)
        self.start_run(cfg, autoplay=autoplay)

    def show_custom(self) -> None:
        """The preset box says "custom": the data, the model kind or a session replaced the
        preset's settings."""
        if self.preset_combo.currentIndex() != -1:
            self.preset_combo.setCurrentIndex(-1)
            self.setWindowTitle("Boltzmann Lab")

    def load_preset(self, name: str, autoplay: bool = False) -> None:
        from boltzmann_lab.presets import load_preset
        try:
            cfg = load_preset(name)
        except Exception as exc:
            self.errors.show(describe_error(exc), "Could not open the preset")
            return
        self.load_config(cfg, autoplay=autoplay, preset=name)

    def _preset_chosen(self, index):
        name = self.preset_combo.itemData(index)
        if name:
            self.load_preset(name)

    def start_run(self, cfg: dict, autoplay: bool = False, builder=None) -> None:
        """Build a new run on a new worker thread; the current one stays until it is ready.

        ``builder`` replaces the window's builder for this run only (a session restores its
        saved state this way)."""
        self.run_starting.emit(cfg)
        if self.pending is not None:
            self._retire(self.pending)
        if self.worker is not None:
            self.worker.pause()
        self.pending = Worker(cfg, builder=builder or self.builder)
        self._pending_items = []
        self._pending_autoplay = autoplay
        self.pending.set_speed(self.transport.speed_value())
        self.pending.start()
        self._show_state("building")
        self.run_started.emit(self.pending, cfg)

    def apply_settings(self) -> None:
        """Apply the panels' pending settings as a new run."""
        try:
            cfg = self.panel.config()
        except C.ConfigError as exc:
            self.errors.show(str(exc), "Invalid settings")
            return
        self.show_custom()           # the preset's settings, changed: no longer the preset
        self.start_run(cfg)

    def _retire(self, w: Worker):
        w.request_quit()
        self._retired.append(w)

    def _swap_in_pending(self):
        old, self.worker = self.worker, self.pending
        self.pending = None
        if old is not None:
            self._retire(old)
        self.active_cfg = self.worker.cfg
        self.panel.load(self.active_cfg)
        self.views.clear()
        # a reopened session's saved curves (boltzmann_lab.app.session), before its first snapshot
        self.views.add_points(getattr(self.worker, "restored_points", None) or [])
        self.last_snapshot = None
        self.banner.hide()
        self.advice.reset(self.active_cfg["training"].get("learning_rate"))
        kind = self.active_cfg["model"]["kind"]
        self.views.curves.set_kind(kind)
        self._kind = kind
        lr = self.active_cfg["training"].get("learning_rate") if kind in LR_KINDS else None
        self.transport.show_hypers(lr, self.active_cfg["model"].get("temperature"))
        heap.settle()          # the new run's objects are long-lived: out of the collector's way

    # ================================================================== polling
    def _tick(self):
        try:
            self._poll_pending()
            self._poll_active()
            self._reap()
        except Exception:   # a bug in a view must not kill the event loop
            traceback.print_exc()
            self.tick_errors.append(traceback.format_exc())   # tests assert this stays empty

    def _ping(self):
        w = self.worker
        if w is not None:
            w.gui_ping()

    def _poll_pending(self):
        p = self.pending
        if p is None:
            return
        snap, points, events = p.take()
        self._pending_items.append((snap, points, events))
        kinds = [e.kind for e in events]
        if "error" in kinds:
            msg = next(e.text for e in events if e.kind == "error")
            self.pending = None
            self._retire(p)
            kept = " The previous data and model were kept." if self.worker is not None else ""
            self.errors.show(msg + kept, "Could not start the run")
            if self.worker is not None:      # the Data panel shows the data still in use
                self.panel.restore_data(self.active_cfg)
            self._show_state(self.worker.state if self.worker is not None else "failed")
            return
        if "ready" in kinds:
            items, self._pending_items = self._pending_items, []
            self._swap_in_pending()
            for s, pts, evs in items:
                self._consume(s, pts, evs)
            if self._pending_autoplay:
                self.play()

    def _poll_active(self):
        w = self.worker
        if w is None:
            return
        snap, points, events = w.take()
        self._consume(snap, points, events)
        self.views.render_due()          # views whose redraw was postponed (frame budget)
        self._show_state(w.state)
        self.transport.set_playing(w.playing or w.state in ("running", "compiling") and
                                   w.playing)

    def _consume(self, snap, points, events):
        for e in events:
            if e.kind == "dataset":
                self.dataset_info = e.data
                self.panel.show_dataset(e.data)
            elif e.kind == "error":
                self.errors.show(e.text, "Training error")
            elif e.kind == "warning":
                self.banner.show_message(f"<b>Note.</b> {html.escape(e.text)}", error=True)
            elif e.kind == "done":
                self.banner.show_message(f"<b>Run finished:</b> {html.escape(e.text)}",
                                         error=False)
            elif e.kind == "hyper_rejected":
                self.statusBar().showMessage(e.text, 6000)
                self.panel.set_modified(True)
            elif e.kind == "info":
                self.statusBar().showMessage(f"changed {e.text}", 3000)
        if points:
            self.views.add_points(points)
            self.advice.feed(points)
        if snap is not None:
            self.last_snapshot = snap
            self.views.update_snapshot(snap)
            self._show_progress(snap)

    def _reap(self):
        for w in list(self._retired):
            if w.isFinished():
                self._retired.remove(w)
                w.deleteLater()

    # ================================================================== status
    def _show_state(self, state):
        text, colour = STATE_TEXT.get(state, (state, "#52606d"))
        if self.pending is not None:
            text, colour = STATE_TEXT["building"]
        if self.state_label.text() != text:
            self.state_label.setText(text)
            self.state_label.setStyleSheet(f"color: {colour}; font-weight: 600;")
        w = self.worker
        rate = w.rate if w is not None else 0.0
        self.rate_label.setText("" if rate <= 0 else f"{rate:,.0f} steps/s" if rate >= 10
                                else f"{rate:.2g} steps/s")

    def _show_progress(self, snap):
        total = snap.total_steps
        epoch = "" if getattr(self, "_kind", "") in ("ising", "hopfield") else \
            f" · epoch {snap.epoch:.2f}"
        self.step_label.setText(f"step {snap.step:,}" + (f" / {total:,}" if total else "") + epoch)
        if total:
            self.progress.show()
            self.progress.setMaximum(int(total))
            value, text = progress_of(snap)
            self.progress.setValue(value)
            self.progress.setFormat(text)
        else:
            self.progress.hide()
        latest = self.views.curves.latest()
        parts = []
        for k in STATUS_METRICS:
            if k in latest and math.isfinite(latest[k]):
                parts.append(f"{k} {latest[k]:.4g}")
        self.metrics_label.setText("   ".join(parts[:5]))

    # ================================================================== transport
    def play(self):
        w = self.worker
        if w is None:
            return
        if w.state == "done":
            # a finished run starts over (same settings, same data)
            self.reset()
        w.play()
        self.transport.set_playing(True)

    def pause(self):
        if self.worker is not None:
            self.worker.pause()
        self.transport.set_playing(False)

    def toggle_play(self):
        if self.worker is not None and self.worker.playing:
            self.pause()
        else:
            self.play()

    def _play_toggled(self, on):
        self.play() if on else self.pause()

    def step(self):
        if self.worker is not None:
            if self.worker.state == "done":
                return
            self.worker.step_once()
            self.transport.set_playing(False)

    def stop(self):
        if self.worker is not None:
            self.worker.stop_run()
            self.transport.set_playing(False)

    def reset(self):
        if self.worker is not None:
            self.worker.reset()
            self.views.reset_curves()
            self.banner.hide()
            self.advice.reset(self.panel.cfg["training"].get("learning_rate"))

    def _speed_changed(self, value):
        for w in (self.worker, self.pending):
            if w is not None:
                w.set_speed(value)

    def _hyper_from_transport(self, name, value):
        section = "training" if name == "learning_rate" else "model"
        self.panel.set_value(section, name, value, emit=False)
        if self.worker is not None:
            self.worker.set_hyper(name, value)

    def _apply_remedy(self, name, value):
        """The advice banner's button: change the setting as if edited in the panel."""
        self.panel.set_value("training", name, value, emit=False)
        self._panel_edited("training", name, value)

    def _panel_edited(self, section, key, value):
        if section == "data" or (section, key) == ("model", "kind"):
            self.show_custom()
        live = LIVE_KEYS.get((section, key))
        if live is not None and self.worker is not None and value is not None:
            self.worker.set_hyper(live, value)
            if live == "learning_rate":
                self.transport.show_hypers(value if not self.transport.lr.isHidden() else None,
                                           self.panel.cfg["model"].get("temperature")
                                           if not self.transport.temperature.isHidden() else None)
            elif live == "temperature" and not self.transport.temperature.isHidden():
                self.transport.temperature.blockSignals(True)
                self.transport.temperature.setValue(float(value))
                self.transport.temperature.blockSignals(False)

    def _lattice_edited(self, indices, values):
        if self.worker is not None:
            self.worker.apply_edit(indices, values)

    # ================================================================== files
    def open_config_dialog(self):
        path, _ = QFileDialog.getOpenFileName(self, "Open a run config", "", "TOML (*.toml)")
        if path:
            self.open_config(path)

    def open_config(self, path) -> None:
        try:
            cfg = C.load(path)
        except Exception as exc:
            self.errors.show(describe_error(exc), "Could not open the config")
            return
        self.load_config(cfg)

    def save_config_dialog(self):
        path, _ = QFileDialog.getSaveFileName(self, "Save the run config", "run.toml",
                                              "TOML (*.toml)")
        if path:
            self.save_config(path)

    def save_config(self, path) -> None:
        try:
            text = C.dumps(self.panel.config())
            Path(path).write_text(text, encoding="utf-8")
        except Exception as exc:
            self.errors.show(describe_error(exc), "Could not save the config")
            return
        self.statusBar().showMessage(f"saved {path}", 4000)

    # ================================================================== presentation
    def set_presentation(self, on: bool) -> None:
        self.presentation = bool(on)
        app = QApplication.instance()
        if app is not None:
            from .screen_fit import presentation_point_size
            theme.set_presentation_size(presentation_point_size(self))   # from the screen height
            theme.apply(app, self.presentation)
        # larger fonts need a wider settings column
        total = max(sum(self.splitter.sizes()), 1)
        left = 480 if self.presentation else 360
        self.splitter.setSizes([left, max(total - left, 400)])
        # views pick up pen widths and fonts when they are rebuilt; curves keep their data
        self.views.restyle(self.last_snapshot)

    # ================================================================== shutdown
    def shutdown(self, timeout_s: float = 30.0) -> bool:
        """Stop every worker thread and wait for them, ``timeout_s`` in all (idempotent);
        returns whether they all stopped (those that did not stay in ``_retired``)."""
        self.timer.stop()
        self.ping_timer.stop()
        workers = [w for w in (self.worker, self.pending) if w is not None] + self._retired
        for w in workers:
            w.request_quit()
            w._gui_time = None       # the pings stop now: a worker must not wait for them
        deadline = time.monotonic() + timeout_s
        for w in workers:
            w.wait(max(0, int((deadline - time.monotonic()) * 1000)))
        self.worker = self.pending = None
        self._retired = [w for w in workers if not w.isFinished()]
        # a QThread destroyed while it runs aborts the process: workers still in a long step
        # stay referenced here (not only by a window that may be deleted) until they finish
        _UNFINISHED[:] = [w for w in _UNFINISHED if not w.isFinished()] + \
            [w for w in self._retired if w not in _UNFINISHED]
        return not self._retired

    def closeEvent(self, event):
        # gone from the screen at once; the workers get a bounded wait (a step in progress may
        # be long: run_gui then ends the process without them, boltzmann_lab.app.quitting)
        self.hide()
        self.shutdown_for_exit()
        super().closeEvent(event)

    def shutdown_for_exit(self) -> bool:
        """:meth:`shutdown` within one budget of ``quitting.EXIT_WAIT_S`` from the first call (a
        close, then run_gui after the event loop, do not each wait for the same long step)."""
        from .quitting import EXIT_WAIT_S
        if self.close_deadline is None:
            self.close_deadline = time.monotonic() + EXIT_WAIT_S
        return self.shutdown(max(0.0, self.close_deadline - time.monotonic()))
