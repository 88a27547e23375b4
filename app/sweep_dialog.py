"""The Sweep dialog: a grid of runs over the current run's config, with points arriving live.

The user picks up to four config keys with their values (``0, 0.003, 0.01``), a number of seeds,
an output folder and where to run (all cores of this computer through a dask LocalCluster, serially
inside the app, or a running dask scheduler).  :func:`boltzmann_lab.sweeps.sweep` runs on a plain
Python thread — never on the GUI thread — and reports each finished point through a
``queue.Queue`` that a QTimer drains every 100 ms, so no widget is touched from another thread.
The table fills in as points finish; the plot shows the chosen metric against the chosen swept key,
one line per combination of the other swept keys (mean over seeds, every seed as a dot).  A double
click on a row (or "Open run") opens that point's ``session.npz`` in the main window
(:func:`boltzmann_lab.app.session.open_session`), ready to inspect or continue.

Stop cancels the unfinished points and keeps the finished ones; starting again with the same
folder skips them.
"""

from __future__ import annotations

import math
import queue
import threading
import time
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QDialog, QFileDialog, QFormLayout,
                               QGridLayout, QHBoxLayout, QHeaderView, QLabel, QLineEdit,
                               QPushButton, QSpinBox, QSplitter, QTableWidget, QTableWidgetItem,
                               QVBoxLayout, QWidget)

from . import theme
from .views.base import style_plot

GRID_ROWS = 4
POLL_MS = 100
WHERE = (("local", "all cores of this computer (dask)"), ("serial", "inside the app, one run at a time"),
         ("address", "a running dask scheduler"))
#: metrics offered first in the plot's metric list, when present
PREFERRED = ("val_ll", "best_val_ll", "train_ll", "val_pll", "train_pll", "bound", "recon_error")
_NOT_METRICS = ("point", "seed", "status", "step", "epoch", "best_step")


def default_out_dir(cfg: dict | None) -> Path:
    """A new folder for a sweep: ``~/boltzmann-lab-sweeps/<kind>-<date-time>``."""
    kind = (cfg or {}).get("model", {}).get("kind", "run")
    return Path.home() / "boltzmann-lab-sweeps" / f"{kind}-{time.strftime('%Y%m%d-%H%M%S')}"


def lines_for(rows: list[dict], keys: list[str], x_key: str, metric: str):
    """Plot data: ``{label: (x, mean_y, dots_x, dots_y)}``, one line per combination of the swept
    keys other than ``x_key``; y is the mean over seeds of ``metric`` (finite values only)."""
    others = [k for k in keys if k != x_key]
    groups: dict[tuple, dict] = {}
    for r in rows:
        y, x = r.get(metric), r.get(x_key)
        if not isinstance(y, (int, float)) or isinstance(y, bool) or not math.isfinite(y) \
                or not isinstance(x, (int, float)):
            continue
        label = tuple((k.split(".", 1)[1], r.get(k)) for k in others)
        groups.setdefault(label, {}).setdefault(float(x), []).append(float(y))
    out = {}
    for label, by_x in groups.items():
        xs = sorted(by_x)
        dx = [x for x in xs for _ in by_x[x]]
        dy = [y for x in xs for y in by_x[x]]
        name = ", ".join(f"{k} = {v}" for k, v in label) or metric
        out[name] = (np.array(xs), np.array([np.mean(by_x[x]) for x in xs]), np.array(dx),
                     np.array(dy))
    return out


class SweepDialog(QDialog):
    """The sweep window of ``window`` (the main window; its active config is the base)."""

    def __init__(self, window, parent=None):
        super().__init__(parent or window)
        self.window = window
        self.setWindowTitle("Sweep: a grid of runs")
        self.setAttribute(Qt.WA_DeleteOnClose, False)
        self.resize(1100, 720)
        self.queue: queue.Queue = queue.Queue()
        self.thread: threading.Thread | None = None
        self.stop_event = threading.Event()
        self.rows: dict[str, dict] = {}         # point name -> row, as they arrive
        self.order: list[str] = []               # point names in grid order
        self.keys: list[str] = []
        self.out: Path | None = None
        self.result = None                       # the final ResultTable
        self.error: str | None = None
        self._build()
        self.timer = QTimer(self)
        self.timer.setInterval(POLL_MS)
        self.timer.timeout.connect(self._drain)

    # ------------------------------------------------------------------ layout
    def _build(self):
        lay = QVBoxLayout(self)
        form_box = QWidget()
        form = QGridLayout(form_box)
        form.setContentsMargins(0, 0, 0, 0)
        self.base_label = QLabel()
        self.base_label.setObjectName("hint")
        form.addWidget(self.base_label, 0, 0, 1, 4)
        form.addWidget(QLabel("key"), 1, 0)
        form.addWidget(QLabel("values (comma-separated)"), 1, 1)
        self.key_boxes, self.value_edits = [], []
        for i in range(GRID_ROWS):
            key = QComboBox()
            key.setEditable(True)
            key.setMinimumWidth(220)
            values = QLineEdit()
            values.setPlaceholderText("e.g. 0, 0.003, 0.01" if i == 0 else "")
            form.addWidget(key, 2 + i, 0)
            form.addWidget(values, 2 + i, 1)
            self.key_boxes.append(key)
            self.value_edits.append(values)
        form.setColumnStretch(1, 1)

        opts = QFormLayout()
        self.seeds = QSpinBox()
        self.seeds.setRange(1, 1000)
        self.seeds.setToolTip("runs per grid point; [training] seed = base seed + 0, 1, …")
        opts.addRow("seeds", self.seeds)
        self.where = QComboBox()
        for key, text in WHERE:
            self.where.addItem(text, key)
        self.where.currentIndexChanged.connect(self._where_changed)
        opts.addRow("run on", self.where)
        self.address = QLineEdit()
        self.address.setPlaceholderText("tcp://HOST:8786")
        opts.addRow("scheduler", self.address)
        self.workers = QSpinBox()
        from boltzmann_lab.sweeps.executor import usable_cores
        self.workers.setRange(1, 512)
        self.workers.setValue(usable_cores())
        opts.addRow("workers", self.workers)
        out_row = QHBoxLayout()
        self.out_edit = QLineEdit()
        out_row.addWidget(self.out_edit, 1)
        choose = QPushButton("Choose…")
        choose.clicked.connect(self._choose_out)
        out_row.addWidget(choose)
        opts.addRow("folder", out_row)
        form.addLayout(opts, 1, 2, 1 + GRID_ROWS, 2)
        lay.addWidget(form_box)

        buttons = QHBoxLayout()
        self.start_button = QPushButton("Start sweep")
        self.start_button.setDefault(True)
        self.start_button.clicked.connect(self.start)
        self.stop_button = QPushButton("Stop")
        self.stop_button.setEnabled(False)
        self.stop_button.clicked.connect(self.stop)
        self.open_button = QPushButton("Open run")
        self.open_button.setToolTip("open the selected point's run in the main window "
                                    "(or double-click a row)")
        self.open_button.clicked.connect(self.open_selected)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        buttons.addWidget(self.start_button)
        buttons.addWidget(self.stop_button)
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.status, 1)
        lay.addLayout(buttons)

        split = QSplitter(Qt.Horizontal)
        self.table = QTableWidget(0, 0)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)
        self.table.cellDoubleClicked.connect(lambda row, col: self.open_row(row))
        split.addWidget(self.table)
        right = QWidget()
        rl = QVBoxLayout(right)
        rl.setContentsMargins(0, 0, 0, 0)
        pick = QHBoxLayout()
        pick.addWidget(QLabel("plot"))
        self.metric_box = QComboBox()
        self.metric_box.currentIndexChanged.connect(self.redraw)
        pick.addWidget(self.metric_box, 1)
        pick.addWidget(QLabel("against"))
        self.x_box = QComboBox()
        self.x_box.currentIndexChanged.connect(self.redraw)
        pick.addWidget(self.x_box, 1)
        rl.addLayout(pick)
        self.plot_widget = pg.PlotWidget(background=theme.BACKGROUND)
        self.plot = self.plot_widget.getPlotItem()
        style_plot(self.plot)
        self.legend = self.plot.addLegend(offset=(-10, -10), labelTextColor=theme.INK)
        rl.addWidget(self.plot_widget, 1)
        split.addWidget(right)
        split.setSizes([560, 540])
        lay.addWidget(split, 1)
        self._where_changed()

    # ------------------------------------------------------------------ inputs
    def refresh(self) -> None:
        """Take the main window's current config as the base (key lists follow its kind)."""
        from boltzmann_lab.config import sections_schema
        cfg = self.window.active_cfg
        if cfg is None:
            self.base_label.setText("Start a run first (choose a preset): its config is the base "
                                    "of every point of the sweep.")
            return
        kind = cfg["model"]["kind"]
        self.base_label.setText(f"Base: the current run's config ({kind}); every point changes "
                                f"only the keys below.  Values are checked before anything runs.")
        schema = sections_schema(cfg)
        numeric = []
        for section in ("training", "model", "data"):
            for name, key in schema[section].items():
                types = key.type if isinstance(key.type, tuple) else (key.type,)
                if (int in types or float in types) and name != "seed":
                    numeric.append(f"{section}.{name}")
        for box in self.key_boxes:
            current = box.currentText()
            box.blockSignals(True)
            box.clear()
            box.addItem("")
            box.addItems(numeric)
            box.setCurrentText(current)
            box.blockSignals(False)
        if not self.out_edit.text():
            self.out_edit.setText(str(default_out_dir(cfg)))

    def _where_changed(self, *_):
        where = self.where.currentData()
        self.address.setEnabled(where == "address")
        self.workers.setEnabled(where == "local")

    def _choose_out(self):
        path = QFileDialog.getExistingDirectory(self, "Sweep folder", self.out_edit.text())
        if path:
            self.out_edit.setText(path)

    def grid(self) -> dict:
        """``{key: [value strings]}`` from the rows with a key (ConfigError for a bad row)."""
        from boltzmann_lab.config import ConfigError
        from boltzmann_lab.sweeps.grid import split_values
        grid = {}
        for box, edit in zip(self.key_boxes, self.value_edits):
            key, text = box.currentText().strip(), edit.text().strip()
            if not key and not text:
                continue
            if not key or not text:
                raise ConfigError(f"give both a key and its values ({key or text!r} is alone)")
            if key in grid:
                raise ConfigError(f"{key} is listed twice; give all its values in one row")
            grid[key] = split_values(text)
        return grid

    def scheduler(self):
        where = self.where.currentData()
        if where == "address":
            address = self.address.text().strip()
            if not address:
                raise ValueError("give the scheduler's address, e.g. tcp://HOST:8786")
            return address
        return where

    # ------------------------------------------------------------------ run
    @property
    def running(self) -> bool:
        return self.thread is not None and self.thread.is_alive()

    def start(self) -> bool:
        """Check the grid and start the sweep thread; False (and the problem shown) if refused."""
        from boltzmann_lab.config import ConfigError
        from boltzmann_lab.sweeps import plan, sweep
        if self.running:
            return False
        cfg = self.window.active_cfg
        if cfg is None:
            return self._refuse("start a run first: its config is the base of the sweep")
        try:
            grid = self.grid()
            if not grid:
                raise ConfigError("choose at least one key and its values")
            points, keys = plan(cfg, grid, self.seeds.value())   # every point checked here
            scheduler = self.scheduler()
            out = Path(self.out_edit.text().strip() or default_out_dir(cfg)).expanduser()
        except (ConfigError, ValueError) as exc:
            return self._refuse(str(exc))
        self.keys, self.out, self.result, self.error = keys, out, None, None
        self.order = [p.name for p in points]
        self.rows = {}
        self._setup_table()
        self.stop_event = threading.Event()
        workers = self.workers.value() if scheduler == "local" else None
        q, stop = self.queue, self.stop_event

        def target():
            try:
                table = sweep(cfg, grid, seeds=self.seeds.value(), out=out, scheduler=scheduler,
                              workers=workers, progress=q.put, stop=stop)
            except BaseException as exc:  # noqa: BLE001 - shown in the dialog
                q.put(("error", f"{exc}" if str(exc) else type(exc).__name__))
            else:
                q.put(("done", table))

        self.thread = threading.Thread(target=target, name="sweep", daemon=True)
        self.thread.start()
        self.timer.start()
        self.start_button.setEnabled(False)
        self.stop_button.setEnabled(True)
        self._say(f"starting {len(points)} runs…", error=False)
        return True

    def _refuse(self, text) -> bool:
        self._say(text, error=True)
        return False

    def _say(self, text, error=False):
        self.status.setStyleSheet(f"color: {'#c0392b' if error else theme.INK};")
        self.status.setText(text)

    def stop(self) -> None:
        """Cancel the unfinished points (the finished ones are kept in the folder)."""
        if self.running:
            self.stop_event.set()
            self._say("stopping… (finished points are kept)")
            self.stop_button.setEnabled(False)

    def _drain(self):
        changed = False
        while True:
            try:
                item = self.queue.get_nowait()
            except queue.Empty:
                break
            if isinstance(item, tuple):
                kind, payload = item
                self.timer.stop()
                self.start_button.setEnabled(True)
                self.stop_button.setEnabled(False)
                if kind == "error":
                    self.error = payload
                    self._say(f"the sweep could not run: {payload}", error=True)
                else:
                    self.result = payload
                    failed = len(payload.failed)
                    not_run = sum(r["status"] == "not run" for r in payload)
                    done = len(payload) - failed - not_run
                    self._say(f"finished: {done} of {len(payload)} runs in {self.out}"
                              + (f"; {failed} failed (start again to retry)" if failed else "")
                              + ("; stopped early" if self.stop_event.is_set() else ""),
                              error=bool(failed))
                continue
            event = item
            if event.kind == "start":
                self._say(event.message)
                continue
            self.rows[event.point.name] = event.row
            self._show_row(event.point.index, event.row)
            self._say(f"{event.done} of {event.total} runs done")
            changed = True
        if changed:
            self._update_choices()
            self.redraw()

    # ------------------------------------------------------------------ table and plot
    def _setup_table(self):
        self.columns = [*self.keys, "seed", "status", "point"]
        self.table.clear()
        self.table.setRowCount(len(self.order))
        self.table.setColumnCount(len(self.columns))
        self.table.setHorizontalHeaderLabels(self._headers())
        for i, name in enumerate(self.order):
            self.table.setItem(i, self.columns.index("status"), QTableWidgetItem("waiting"))
            self.table.setItem(i, self.columns.index("point"), QTableWidgetItem(name))
        self.metric_box.blockSignals(True)
        self.metric_box.clear()
        self.metric_box.blockSignals(False)
        self.x_box.blockSignals(True)
        self.x_box.clear()
        self.x_box.addItems(self.keys)
        self.x_box.blockSignals(False)
        self.redraw()

    def _headers(self):
        # swept keys keep their section ("training.learning_rate"): a metric may share the name
        return list(self.columns)

    def _show_row(self, index, row):
        # columns: swept keys, seed, status, the metrics (likelihoods first), step, point
        metrics = self.metrics()
        columns = [*self.keys, "seed", "status", *metrics,
                   *[c for c in ("step", "best_step") if any(c in r for r in self.rows.values())],
                   "point"]
        if columns != self.columns:
            self.columns = columns
            self.table.setColumnCount(len(columns))
            self.table.setHorizontalHeaderLabels(self._headers())
            for name, r in self.rows.items():
                self._fill_row(self.order.index(name), r)
        else:
            self._fill_row(index, row)

    def _fill_row(self, index, row):
        for j, c in enumerate(self.columns):
            v = row.get(c)
            text = "" if v is None else f"{v:.5g}" if isinstance(v, float) else str(v)
            item = QTableWidgetItem(text)
            if c == "status" and text.startswith("failed"):
                item.setForeground(pg.mkColor("#c0392b"))
            self.table.setItem(index, j, item)

    def metrics(self) -> list[str]:
        """Numeric result columns seen so far (likelihoods first)."""
        seen = []
        for r in self.rows.values():
            seen += [c for c in r if c not in seen and c not in _NOT_METRICS
                     and c not in self.keys]
        numeric = [c for c in seen if any(isinstance(r.get(c), (int, float)) and
                                          not isinstance(r.get(c), bool)
                                          for r in self.rows.values())]
        return [m for m in PREFERRED if m in numeric] + [m for m in numeric if m not in PREFERRED]

    def _update_choices(self):
        current = self.metric_box.currentText()
        wanted = self.metrics()
        if wanted != [self.metric_box.itemText(i) for i in range(self.metric_box.count())]:
            self.metric_box.blockSignals(True)
            self.metric_box.clear()
            self.metric_box.addItems(wanted)
            if current in wanted:
                self.metric_box.setCurrentText(current)
            self.metric_box.blockSignals(False)

    def redraw(self, *_):
        """Draw the chosen metric against the chosen key: one line per other-key combination."""
        self.plot.clear()
        self.legend.clear()
        metric, x_key = self.metric_box.currentText(), self.x_box.currentText()
        if not metric or not x_key:
            return
        data = lines_for(list(self.rows.values()), self.keys, x_key, metric)
        xs = np.concatenate([d[0] for d in data.values()]) if data else np.array([])
        log_x = bool(xs.size and np.all(xs > 0) and xs.max() >= 20 * xs.min())
        self.plot.setLogMode(x=log_x, y=False)
        style_plot(self.plot, xlabel=x_key.split(".", 1)[1], ylabel=metric)
        w = theme.pen_width()
        for i, (label, (x, y, dx, dy)) in enumerate(data.items()):
            colour = theme.PALETTE[i % len(theme.PALETTE)]
            self.plot.plot(x, y, name=label, pen=pg.mkPen(colour, width=w), symbol="o",
                           symbolSize=8, symbolBrush=colour)
            if len(dx) > len(x):       # several seeds: every run as a small dot
                self.plot.plot(dx, dy, pen=None, symbol="o", symbolSize=4,
                               symbolBrush=pg.mkBrush(colour), symbolPen=None)

    @property
    def line_count(self) -> int:
        """Lines drawn now (one per combination of the other swept keys)."""
        return len(lines_for(list(self.rows.values()), self.keys, self.x_box.currentText(),
                             self.metric_box.currentText()))

    # ------------------------------------------------------------------ open a run
    def open_selected(self):
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        if rows:
            self.open_row(rows[0].row())

    def open_row(self, index: int) -> bool:
        """Open point ``index``'s run (its session.npz) in the main window."""
        from boltzmann_lab.io.session import SessionError

        from .session import open_session
        if not 0 <= index < len(self.order) or self.out is None:
            return False
        path = self.out / self.order[index] / "session.npz"
        if not path.exists():
            self._say("that point has not finished yet", error=True)
            return False
        try:
            open_session(self.window, path)
        except (SessionError, ValueError) as exc:
            self._say(str(exc), error=True)
            return False
        self._say(f"opened {self.order[index]} in the main window")
        return True

    # ------------------------------------------------------------------ closing
    def shutdown(self, timeout_s: float = 60.0) -> None:
        """Stop a running sweep and wait for its thread (it closes its local cluster)."""
        if self.running:
            self.stop_event.set()
            self.thread.join(timeout_s)
        self.timer.stop()

    def closeEvent(self, event):
        # closing the window stops the sweep: finished points stay in the folder
        self.stop()
        super().closeEvent(event)

