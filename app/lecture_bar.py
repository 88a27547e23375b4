"""The lecture bar: a row of controls under the transport that fits the running model.

* Drawing (Ising lattice, Hopfield state): brush mode (paint / flip / erase) and size.
* Ising: a temperature slider with T_c = 2.269 marked on it, the update algorithm
  (Metropolis / heat bath / Wolff).
* Hopfield: which stored pattern to cue, a cue-noise slider (moving it re-cues at once), Re-cue,
  recall dynamics (async / sync), storage rule, and a capacity sweep.
* MaxEnt: an L1 slider (watch couplings go exactly to zero) and a Λ sweep; Gaussian MaxEnt:
  the same slider (the graphical lasso).
* RBM: denoise 15 %-flipped images with the current model.
* Models learning Ising data: energy per spin and |m| of the fantasy particles next to the data's,
  and (``[view] data_temperatures``) one click to redo the fit on data at another temperature.

Every change goes to the worker as a command (``set_hyper``) and is mirrored in the settings
panel so that the config on the left stays what is running.  A ``[view]`` table in a preset may
set ``temperature_range = [lo, hi]`` for the slider.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import (QComboBox, QLabel, QPushButton, QSlider, QSpinBox,
                               QStyle, QStyleOptionSlider, QWidget)

from .drawing import MODES
from .flow_layout import FlowLayout

T_C = 2.0 / math.log(1.0 + math.sqrt(2.0))
DRAW_KINDS = ("ising", "hopfield")
L1_STEPS = 40                   # slider positions: 0 and a log grid 1e-4 .. 1e-1


def l1_from_slider(pos: int) -> float:
    return 0.0 if pos <= 0 else float(10 ** (-4 + 3 * (pos - 1) / (L1_STEPS - 1)))


def slider_from_l1(value: float) -> int:
    if value <= 0:
        return 0
    return int(round(min(max((math.log10(value) + 4) / 3, 0.0), 1.0) * (L1_STEPS - 1))) + 1


def ising_observables(rows, image_shape):
    """(mean E/N, mean |m|) of lattice configurations ``rows`` (k, L*L) in spin or binary
    units, E = −Σ_<ij> s_i s_j over nearest neighbours with periodic boundaries (J = 1)."""
    import numpy as np
    x = np.asarray(rows, dtype=np.float64)
    if x.ndim != 2 or len(image_shape) != 2 or x.shape[1] != image_shape[0] * image_shape[1]:
        return None
    s = 2.0 * x - 1.0 if x.min() >= 0 else x
    s = s.reshape(len(s), *image_shape)
    bonds = (s * np.roll(s, 1, axis=1)).sum((1, 2)) + (s * np.roll(s, 1, axis=2)).sum((1, 2))
    n = image_shape[0] * image_shape[1]
    return float((-bonds / n).mean()), float(np.abs(s.reshape(len(s), -1).mean(1)).mean())


class MarkedSlider(QSlider):
    """A horizontal slider over a float range with one value marked (T_c) by a red tick."""

    value_changed = Signal(float)

    def __init__(self, lo, hi, mark=None, mark_label="", resolution=0.01, parent=None):
        super().__init__(Qt.Horizontal, parent)
        self.lo, self.hi, self.res = float(lo), float(hi), float(resolution)
        self.mark, self.mark_label = mark, mark_label
        self.setRange(0, int(round((self.hi - self.lo) / self.res)))
        self.setMinimumWidth(220)
        self.setMinimumHeight(34)
        self.valueChanged.connect(lambda i: self.value_changed.emit(self.float_value()))

    def float_value(self) -> float:
        return round(self.lo + self.value() * self.res, 6)

    def set_float(self, v: float) -> None:
        self.blockSignals(True)
        self.setValue(int(round((min(max(v, self.lo), self.hi) - self.lo) / self.res)))
        self.blockSignals(False)

    def paintEvent(self, event):
        super().paintEvent(event)
        if self.mark is None or not (self.lo <= self.mark <= self.hi):
            return
        opt = QStyleOptionSlider()
        self.initStyleOption(opt)
        groove = self.style().subControlRect(QStyle.CC_Slider, opt, QStyle.SC_SliderGroove, self)
        handle = self.style().subControlRect(QStyle.CC_Slider, opt, QStyle.SC_SliderHandle, self)
        span = groove.width() - handle.width()
        x = groove.x() + handle.width() / 2 + span * (self.mark - self.lo) / (self.hi - self.lo)
        p = QPainter(self)
        p.setPen(QPen(QColor("#c0392b"), 2))
        p.drawLine(QPointF(x, 2), QPointF(x, self.height() - 2))
        p.end()


class LectureBar(QWidget):
    """Contextual controls; ``set_run(kind, cfg, worker)`` when a new run becomes active."""

    analysis_requested = Signal(str)       # "denoise", "capacity", "lambda"

    def __init__(self, window, tool, parent=None):
        super().__init__(parent)
        self.window = window
        self.tool = tool
        self.kind = None
        # controls wrap onto a second row rather than widen the window (presentation fonts)
        lay = FlowLayout(self)
        lay.setContentsMargins(0, 2, 0, 2)
        self.groups: dict[str, list[QWidget]] = {}

        # drawing
        self.draw_label = QLabel("draw:")
        self.draw_mode = QComboBox()
        for m in MODES:
            self.draw_mode.addItem({"paint": "paint (left ↑ / right ↓)", "flip": "flip",
                                    "erase": "erase"}[m], m)
        self.draw_mode.setToolTip("what the mouse does on the lattice / network state")
        self.draw_mode.currentIndexChanged.connect(
            lambda i: tool.set_mode(self.draw_mode.itemData(i)))
        self.brush = QSpinBox()
        self.brush.setRange(1, 16)
        self.brush.setValue(tool.size)
        self.brush.setPrefix("brush ")
        self.brush.setToolTip("brush radius in cells ([ and ] change it)")
        self.brush.valueChanged.connect(tool.set_size)
        tool.changed.connect(self._tool_changed)
        self._group("draw", self.draw_label, self.draw_mode, self.brush)

        # ising
        self.t_label = QLabel("T")
        self.t_slider = MarkedSlider(0.5, 5.0, mark=T_C, mark_label="T_c")
        self.t_slider.setToolTip(f"temperature (red mark: T_c = {T_C:.3f}, Onsager)")
        self.t_slider.value_changed.connect(self._temperature)
        self.t_value = QLabel("")
        self.t_value.setMinimumWidth(130)
        self.tc_button = QPushButton("T → T_c")
        self.tc_button.setToolTip("set the temperature to the critical point")
        self.tc_button.clicked.connect(lambda: self._temperature(round(T_C, 4), move=True))
        self.algorithm = QComboBox()
        for a in ("metropolis", "heatbath", "wolff"):
            self.algorithm.addItem({"metropolis": "Metropolis", "heatbath": "heat bath",
                                    "wolff": "Wolff clusters"}[a], a)
        self.algorithm.currentIndexChanged.connect(
            lambda i: self._hyper("model", "algorithm", self.algorithm.itemData(i)))
        self._group("ising", self.t_label, self.t_slider, self.t_value, self.tc_button,
                    self.algorithm)

        # hopfield
        self.cue = QSpinBox()
        self.cue.setPrefix("cue pattern ")
        self.cue.valueChanged.connect(lambda v: self._hyper("model", "cue", int(v)))
        self.noise_label = QLabel("noise")
        self.noise = QSlider(Qt.Horizontal)
        self.noise.setRange(0, 50)
        self.noise.setMinimumWidth(140)
        self.noise.setToolTip("fraction of the cue's units flipped; moving it re-cues at once")
        self.noise.valueChanged.connect(self._noise)
        self.noise_value = QLabel("")
        self.noise_value.setMinimumWidth(44)
        self.recue = QPushButton("Re-cue")
        self.recue.setToolTip("start recall again from a fresh noisy copy of the cue pattern")
        self.recue.clicked.connect(lambda: self._hyper("model", "cue", self.cue.value(),
                                                       mirror=False))
        self.update_combo = QComboBox()
        for u in ("async", "sync"):
            self.update_combo.addItem({"async": "asynchronous", "sync": "synchronous"}[u], u)
        self.update_combo.currentIndexChanged.connect(
            lambda i: self._hyper("model", "update", self.update_combo.itemData(i)))
        self.rule = QComboBox()
        for r in ("hebbian", "storkey", "pseudoinverse"):
            self.rule.addItem(r, r)
        self.rule.setToolTip("storage rule (re-stores the patterns, keeps the state)")
        self.rule.currentIndexChanged.connect(
            lambda i: self._hyper("model", "rule", self.rule.itemData(i)))
        self.capacity = QPushButton("Capacity sweep…")
        self.capacity.clicked.connect(lambda: self.analysis_requested.emit("capacity"))
        self._group("hopfield", self.cue, self.noise_label, self.noise, self.noise_value,
                    self.recue, self.update_combo, self.rule, self.capacity)

        # maxent
        self.l1_label = QLabel("L1 Λ")
        self.l1 = QSlider(Qt.Horizontal)
        self.l1.setRange(0, L1_STEPS)
        self.l1.setMinimumWidth(160)
        self.l1.setToolTip("L1 penalty strength (log scale); couplings go exactly to zero")
        self.l1.valueChanged.connect(lambda p: self._l1(l1_from_slider(p)))
        self.l1_value = QLabel("")
        self.l1_value.setMinimumWidth(60)
        self.lambda_button = QPushButton("Λ sweep…")
        self.lambda_button.setToolTip("fit for a grid of Λ: train/validation likelihood and "
                                      "non-zero couplings versus Λ")
        self.lambda_button.clicked.connect(lambda: self.analysis_requested.emit("lambda"))
        self._group("l1", self.l1_label, self.l1, self.l1_value)     # MaxEnt and Gaussian (glasso)
        self._group("maxent", self.lambda_button)

        # rbm
        self.denoise = QPushButton("Denoise 15 %")   # no "…": it read as cut text
        self.denoise.setToolTip("flip 15 % of the pixels of validation images and clean them "
                                "with one up-down pass of the current model")
        self.denoise.clicked.connect(lambda: self.analysis_requested.emit("denoise"))
        self._group("rbm", self.denoise)

        # learning Ising data: the physics of the fantasy particles against the data's
        self.ising_stats = QLabel("")
        self.ising_stats.setToolTip("energy per spin E/N = −(1/N) Σ_<ij> s_i s_j (periodic, "
                                    "J = 1) and |m| of the shown data rows and fantasy particles")
        self._group("ising_data", self.ising_stats)

        # a preset's [view] data_temperatures: regenerate the data at another T with one click
        self.data_t_label = QLabel("     data at T =")
        self.data_t = QComboBox()
        self.data_t.setToolTip("new Ising samples at this temperature, and a new fit")
        self.data_t.activated.connect(self._data_temperature)
        self._group("data_t", self.data_t_label, self.data_t)
        transport = getattr(window, "transport", None)
        if transport is not None:
            transport.hyper_changed.connect(self._transport_changed)
        self.set_run(None, None)

    def _transport_changed(self, name, value):
        """The transport's temperature box moved: keep the slider in step (no echo)."""
        if name == "temperature" and self.kind == "ising":
            self.t_slider.set_float(float(value))
            self._show_t(float(value))

    def _group(self, name, *widgets):
        self.groups[name] = list(widgets)
        for w in widgets:
            self.layout().addWidget(w)

    # ------------------------------------------------------------------ state
    def set_run(self, kind, cfg) -> None:
        self.kind = kind
        show = set()
        if kind in DRAW_KINDS:
            show.add("draw")
        if kind in ("ising", "hopfield", "maxent", "rbm"):
            show.add(kind)
        if kind in ("maxent", "gaussian"):
            show.add("l1")
        if cfg is not None and kind in ("maxent", "rbm") and \
                cfg["data"].get("generator") == "ising":
            show.add("ising_data")
            self.ising_stats.setText("")
            self._stats_parts = None
            self._w1 = None
            temps = (cfg.get("view") or {}).get("data_temperatures")
            if temps and cfg["data"].get("temperatures") is None:
                show.add("data_t")
                self.data_t.blockSignals(True)
                self.data_t.clear()
                for T in temps:
                    self.data_t.addItem(f"{float(T):g}", float(T))
                current = float(cfg["data"]["temperature"])
                i = next((k for k, T in enumerate(temps) if abs(float(T) - current) < 1e-9), -1)
                if i < 0:
                    self.data_t.addItem(f"{current:g}", current)
                    i = self.data_t.count() - 1
                self.data_t.setCurrentIndex(i)
                self.data_t.blockSignals(False)
        for name, widgets in self.groups.items():
            for w in widgets:
                w.setVisible(name in show)
        self.setVisible(bool(show))
        if cfg is None:
            return
        m, t = cfg["model"], cfg["training"]
        widgets = [self.algorithm, self.cue, self.noise, self.update_combo, self.rule, self.l1]
        for w in widgets:
            w.blockSignals(True)
        try:
            if kind == "ising":
                rng = (cfg.get("view") or {}).get("temperature_range")
                if rng and len(rng) == 2:
                    self.t_slider.lo, self.t_slider.hi = float(rng[0]), float(rng[1])
                    self.t_slider.setRange(0, int(round((self.t_slider.hi - self.t_slider.lo)
                                                        / self.t_slider.res)))
                self.t_slider.set_float(float(m["temperature"]))
                self._show_t(float(m["temperature"]))
                self.algorithm.setCurrentIndex(max(0, self.algorithm.findData(m["algorithm"])))
            elif kind == "hopfield":
                n_patterns = self._n_patterns()
                self.cue.setRange(0, max(0, n_patterns - 1))
                self.cue.setValue(int(m["cue"]))
                self.noise.setValue(int(round(100 * float(m["cue_noise"]))))
                self.noise_value.setText(f"{self.noise.value()} %")
                self.update_combo.setCurrentIndex(max(0, self.update_combo.findData(m["update"])))
                self.rule.setCurrentIndex(max(0, self.rule.findData(m["rule"])))
            elif kind in ("maxent", "gaussian"):
                self.l1.setValue(slider_from_l1(float(t["l1"])))
                self.l1_value.setText(f"{float(t['l1']):.2g}")
        finally:
            for w in widgets:
                w.blockSignals(False)

    def show_ising_stats(self, snap) -> None:
        """Data vs fantasy particles: mean E/N and |m| of the rows in the snapshot."""
        if not self.ising_stats.isVisible() or snap is None:
            return
        data, fantasy = snap.views.get("data"), snap.views.get("fantasy")
        if data is None or fantasy is None or snap.image_shape is None:
            return
        d = ising_observables(data, snap.image_shape)
        f = ising_observables(fantasy, snap.image_shape)
        if d is None or f is None:
            return
        parts = [f"data: E/N = {d[0]:+.3f}, |m| = {d[1]:.3f}",
                 f"fantasy: E/N = {f[0]:+.3f}, |m| = {f[1]:.3f}"]
        J = snap.views.get("couplings")
        cfg = getattr(self.window, "active_cfg", None) or {}
        T = (cfg.get("data") or {}).get("temperature")
        if J is not None and T and not (cfg.get("data") or {}).get("temperatures"):
            import numpy as np
            bonds = np.asarray(J)[np.triu(np.asarray(J) != 0, 1)]
            if bonds.size:
                # a nearest-neighbour MaxEnt fit of Ising data should find J = 1/T on the bonds
                parts.append(f"mean learned J = {bonds.mean():.3f}  (1/T = {1 / float(T):.3f})")
        # every fantasy particle against all data: Wasserstein-1 of the E/N and |m| distributions
        # (boltzmann_lab.learning.observers.IsingMatch; in the metrics every few steps)
        if "w1_energy" in snap.metrics:
            self._w1 = (snap.metrics["w1_energy"], snap.metrics.get("w1_abs_m", float("nan")))
        w1 = getattr(self, "_w1", None)
        if w1 is not None:
            parts.append(f"W₁ all chains vs data: E/N {w1[0]:.3f}, |m| {w1[1]:.3f}")
        self._stats_parts = parts
        self.ising_stats.setText(self._fit_lines(self.ising_stats, parts))

    def resizeEvent(self, event):                  # noqa: N802 (Qt name)
        super().resizeEvent(event)
        parts = getattr(self, "_stats_parts", None)
        if parts and self.ising_stats.isVisible():
            self.ising_stats.setText(self._fit_lines(self.ising_stats, parts))

    def _fit_lines(self, label, parts, gap="     ") -> str:
        """``parts`` on one line when it fits the bar's width, else as few lines as needed (a
        line is never cut: the science line "mean learned J = …" must be read in full)."""
        fm = label.fontMetrics()
        room = max(self.width() - 12, 100)
        lines = []
        for p in parts:
            if lines and fm.horizontalAdvance(lines[-1] + gap + p) <= room:
                lines[-1] += gap + p
            else:
                lines.append(p)
        return "\n".join(lines)

    def _n_patterns(self) -> int:
        info = getattr(self.window, "dataset_info", None)
        if info is not None:
            return int(info.n_train + info.n_val)
        return 1000

    def _tool_changed(self):
        for w, v in ((self.brush, self.tool.size),):
            if w.value() != v:
                w.blockSignals(True)
                w.setValue(v)
                w.blockSignals(False)
        i = self.draw_mode.findData(self.tool.mode)
        if i >= 0 and i != self.draw_mode.currentIndex():
            self.draw_mode.blockSignals(True)
            self.draw_mode.setCurrentIndex(i)
            self.draw_mode.blockSignals(False)

    # ------------------------------------------------------------------ commands
    def _hyper(self, section, key, value, mirror=True):
        w = self.window
        if mirror:
            try:
                w.panel.set_value(section, key, value, emit=False)
            except Exception:
                pass
        if w.worker is not None:
            w.worker.set_hyper(key, value)

    def _show_t(self, T):
        side = "ordered" if T < T_C - 0.02 else ("disordered" if T > T_C + 0.02 else "critical")
        self.t_value.setText(f"T = {T:.3f}  ({side})")

    def _temperature(self, T, move=False):
        if move:
            self.t_slider.set_float(T)
        self._show_t(T)
        self._hyper("model", "temperature", float(T))
        tr = getattr(self.window, "transport", None)
        if tr is not None and not tr.temperature.isHidden():
            tr.temperature.blockSignals(True)
            tr.temperature.setValue(float(T))
            tr.temperature.blockSignals(False)

    def _data_temperature(self, index):
        """Start a new run on data drawn at the chosen temperature (same model and training)."""
        import copy
        cfg = copy.deepcopy(getattr(self.window, "active_cfg", None))
        T = self.data_t.itemData(index)
        if cfg is None or T is None or abs(float(cfg["data"]["temperature"]) - T) < 1e-12:
            return
        cfg["data"]["temperature"] = float(T)
        self.window.load_config(cfg, autoplay=True)

    def _noise(self, pct):
        self.noise_value.setText(f"{pct} %")
        self._hyper("model", "cue_noise", pct / 100.0)

    def _l1(self, value):
        self.l1_value.setText(f"{value:.2g}")
        self._hyper("training", "l1", value)
