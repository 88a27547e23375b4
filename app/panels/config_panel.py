"""The left column: Data, Model and Training panels that edit exactly the run-config keys.

The panel holds the *pending* config (what the forms show).  Choosing another generator or model
kind rebuilds the keys that depend on it (``boltzmann_lab.config.sections_schema``), keeping the values of
keys that stay.  ``config()`` validates it with ``boltzmann_lab.config.resolve``; the main window applies it
as a new run.  So a session is a config file: ``dumps(panel.config())`` is what the user built.
"""

from __future__ import annotations

import copy

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QGroupBox, QLabel, QPushButton, QScrollArea, QTabWidget,
                               QVBoxLayout, QWidget)

from boltzmann_lab import config as C

from .. import theme
from ..views.base import convention_levels, display_shape, image_plot, tile_mosaic
from .config_form import ConfigForm

#: keys whose change can be sent to the running model instead of restarting it
LIVE_KEYS = {("training", "learning_rate"): "learning_rate",
             ("training", "l1"): "l1", ("training", "l2"): "l2",
             ("model", "temperature"): "temperature"}

#: (section, key) -> when that key does not apply to the pending config (its row is hidden; the
#: value stays in the config)
INAPPLICABLE = {
    ("data", "temperature"): lambda c: bool(c["data"].get("temperatures")),   # the list wins
    ("data", "threshold"): lambda c: c["data"].get("binarize") != "threshold",
    ("data", "key"): lambda c: not c["data"].get("path"),          # keys of a file's arrays
    ("data", "image_size"): lambda c: not c["data"].get("path"),
    ("model", "mask"): lambda c: c["model"].get("pairs") != "mask",
}

#: the model kind a data choice switches the data-free Ising simulation to
DATA_KIND = "maxent"

KIND_TITLES = {"maxent": "MaxEnt (pairwise / Ising)", "gaussian": "Gaussian MaxEnt",
               "rbm": "RBM", "dbm": "Deep Boltzmann machine", "hopfield": "Hopfield network",
               "mixture": "EM mixture", "ising": "Ising simulation (no data)",
               "potts": "Potts MaxEnt (categorical data, DCA)"}


def _fill(cfg: dict) -> dict:
    """Keep the keys of ``cfg`` that the schema allows for its choices; add defaults for the
    rest (the [training] defaults that depend on other choices included)."""
    schema = C.sections_schema(cfg)
    out = {}
    for section, keys in schema.items():
        given = cfg.get(section, {})
        out[section] = {name: copy.deepcopy(given[name]) if name in given and
                        _fits(key, given[name]) else copy.deepcopy(key.default)
                        for name, key in keys.items()}
    given = cfg.get("training", {})
    for name, value in C.training_defaults(out).items():
        if name not in given or not _fits(schema["training"][name], given[name]):
            out["training"][name] = value
    for extra in C.EXTRA_SECTIONS:
        if extra in cfg:
            out[extra] = copy.deepcopy(cfg[extra])
    return out


def _fits(key, value) -> bool:
    """Is ``value`` of the type ``key`` takes?  A key of the same name can change type with the
    model kind (RBM ``hidden = 16``, DBM ``hidden = [16, 8]``): a value that does not fit takes
    the new key's default instead of reaching a field that cannot show it."""
    if value is None:
        return key.optional or key.default is None
    types = key.type if isinstance(key.type, tuple) else (key.type,)
    if isinstance(value, bool):
        return bool in types
    if isinstance(value, int) and float in types:
        return True
    return isinstance(value, types)


class DataPreview(QWidget):
    """A few training samples as one small mosaic, plus a one-line description."""

    def __init__(self, parent=None):
        super().__init__(parent)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.info = QLabel("no data loaded")
        self.info.setWordWrap(True)
        self.info.setObjectName("hint")
        lay.addWidget(self.info)
        self.canvas = pg.GraphicsLayoutWidget()
        self.canvas.setMinimumHeight(150)
        self.canvas.setMaximumHeight(220)
        self.plot, self.image = image_plot(self.canvas)
        lay.addWidget(self.canvas)
        self._shape_state: dict = {}

    def show_info(self, info) -> None:
        if info is None:
            self.info.setText("no data loaded")
            self.image.clear()
            return
        shape = display_shape(info.n, info.image_shape)
        self.info.setText(f"<b>{info.name}</b><br>{info.n_train} training + {info.n_val} "
                          f"validation samples · {info.n} units"
                          + (f" ({shape[0]}×{shape[1]})" if shape[0] > 1 else "")
                          + f" · {info.convention}")
        x = np.asarray(info.preview, dtype=np.float32)
        k = min(len(x), 32 if shape[0] > 1 else 24)
        if k == 0:
            return
        mosaic = tile_mosaic(x[:k], shape, cols=8 if shape[0] > 1 else None,
                             gap=max(1, shape[0] // 8))
        lo, hi = convention_levels(info.convention, x[:k])
        lut = theme.spin_lut() if info.convention != "real" else theme.sequential_lut()
        idx = theme.to_index(mosaic, lo, hi)
        self.image.setImage(idx, levels=(0, 255), lut=lut, autoLevels=False)
        self.plot.setRange(xRange=(0, idx.shape[1]), yRange=(0, idx.shape[0]), padding=0.02)


class ConfigPanel(QWidget):
    """Data / Model / Training tabs and the Apply button."""

    edited = Signal(str, str, object)      # section, key, value (after the pending cfg changed)
    apply_requested = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.cfg: dict = {}
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.tabs = QTabWidget()
        lay.addWidget(self.tabs, 1)

        # Data
        self.data_form = ConfigForm("data")
        self.preview = DataPreview()
        self.data_note = QLabel("")
        self.data_note.setObjectName("hint")
        self.data_note.setWordWrap(True)
        self.preview_group = self._group("Preview", self.preview)
        self.tabs.addTab(self._page(self.data_note, self.data_form, self.preview_group), "Data")
        # Model
        self.model_form = ConfigForm("model")
        self.model_help = QLabel("")
        self.model_help.setObjectName("hint")
        self.model_help.setWordWrap(True)
        self.mask_button = QPushButton("Edit constrained pairs on a matrix…")
        self.mask_button.setToolTip("choose the pairs (i, j) whose correlations are fixed; saves "
                                    "a mask file and sets pairs = mask")
        self.mask_button.clicked.connect(self.open_mask_editor)
        self.mask_editor = None
        self.dataset_info = None
        self.tabs.addTab(self._page(self.model_form, self.mask_button, self.model_help), "Model")
        # Training
        self.training_form = ConfigForm("training")
        self.tabs.addTab(self._page(self.training_form), "Training")

        self.apply_button = QPushButton("Apply changes (restarts the run)")
        self.apply_button.setObjectName("apply")
        self.apply_button.setEnabled(False)
        self.apply_button.setToolTip("build a new run from these settings; the current run "
                                     "is kept if the new one fails to load")
        self.apply_button.clicked.connect(self.apply_requested)
        lay.addWidget(self.apply_button)

        for f in (self.data_form, self.model_form, self.training_form):
            f.changed.connect(self._on_changed)
        self.forms = {"data": self.data_form, "model": self.model_form,
                      "training": self.training_form}

    @staticmethod
    def _group(title, widget):
        g = QGroupBox(title)
        v = QVBoxLayout(g)
        v.addWidget(widget)
        return g

    @staticmethod
    def _page(*widgets):
        inner = QWidget()
        v = QVBoxLayout(inner)
        v.setContentsMargins(4, 4, 4, 4)
        for w in widgets:
            v.addWidget(w)
        v.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(inner)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        return scroll

    # ---------------------------------------------------------------- state
    def load(self, cfg: dict) -> None:
        """Show ``cfg`` (a resolved config) in the forms."""
        self.cfg = _fill(cfg)
        self._rebuild()
        self.set_modified(False)
        if self.cfg["model"]["kind"] == "ising" and self.tabs.currentIndex() == 0:
            self.tabs.setCurrentIndex(1)      # nothing to see in Data for the simulation

    def _rebuild(self):
        schema = C.sections_schema(self.cfg)
        for section, form in self.forms.items():
            form.set_schema(schema[section], self.cfg[section])
        path = self.data_form.field("path")
        if path is not None and not getattr(path, "_wired", False):
            path.chosen.connect(self.load_file)
            path._wired = True
        kind = self.cfg["model"]["kind"]
        ising = kind == "ising"
        # the Data tab stays usable for the data-free simulation: choosing data there switches
        # the model to one that learns from it (_on_changed)
        self.preview_group.setVisible(not ising)
        self.mask_button.setVisible(kind in ("maxent", "gaussian"))
        self.data_note.setText("The live Ising simulation needs no data: it samples the "
                               "lattice model itself. Choosing a file or a generator here "
                               "switches the model to MaxEnt, which learns an Ising model from "
                               "the data." if ising else
                               "Load a file (path) or choose a generator with its parameters, "
                               "then Apply.")
        self._show_applicable()
        help_ = {"maxent": "constraints: means = ⟨xᵢ⟩, pairs = ⟨xᵢxⱼ⟩ (all, lattice "
                           "neighbours, or a mask file), population = P(K) with K = Σxᵢ.",
                 "rbm": "E(v,h) = −aᵀv − bᵀh − vᵀWh; hidden units and unit types below.",
                 "hopfield": "stores every data sample as a pattern and recalls from a "
                             "corrupted cue.",
                 "mixture": "EM: the E-step computes responsibilities, the M-step maximises "
                            "the bound.",
                 "potts": "E(σ) = −Σ hᵢ(σᵢ) − Σ Jᵢⱼ(σᵢ,σⱼ) on states 0..q−1: one-site and "
                          "two-site frequencies constrained; contact scores = ‖Jᵢⱼ‖ (zero-sum "
                          "gauge) with APC."}.get(kind, "")
        self.model_help.setText(f"<b>{KIND_TITLES.get(kind, kind)}</b><br>{help_}")

    def _show_applicable(self):
        """Hide the rows of keys that do not apply to the pending config (INAPPLICABLE)."""
        for (section, key), rule in INAPPLICABLE.items():
            f = self.forms[section].field(key)
            if f is not None:
                try:
                    hide = bool(rule(self.cfg))
                except Exception:
                    hide = False
                self.forms[section].form.setRowVisible(f, not hide)

    def _on_changed(self, section, key, value):
        before = C.training_defaults(self.cfg)
        self.cfg[section][key] = value
        self._follow_defaults(before, key if section == "training" else None)
        rebuild = (section, key) in (("data", "generator"), ("model", "kind"),
                                     ("data", "convention"))
        if section == "data" and key in ("path", "generator") and value is not None and \
                self.cfg["model"]["kind"] == "ising":
            self.cfg["model"]["kind"] = DATA_KIND        # the simulation would ignore the data
            rebuild = True
        if rebuild:
            self.cfg = _fill(self.cfg)
            self._rebuild()
        else:
            self._show_applicable()
        if (section, key) not in LIVE_KEYS:
            self.set_modified(True)
        self.edited.emit(section, key, value)

    def _follow_defaults(self, before: dict, changed: str) -> None:
        """[training] values still at the default they had before ``changed`` changed take
        their new default (e.g. an RBM's chains 32 -> 100 when the method goes from PT to PCD);
        values the user set stay."""
        t = self.cfg["training"]
        for _ in range(2):          # a default may follow another (RBM chains follow the method)
            for name, value in C.training_defaults(self.cfg).items():
                if name != changed and name in t and t[name] == before.get(name) \
                        and value != t[name]:
                    self.set_value("training", name, value, emit=False)
                    before = {**before, name: value}

    def set_value(self, section, key, value, emit=True) -> None:
        """Change one key programmatically (as the user would)."""
        f = self.forms[section].field(key)
        if f is not None:
            f.blockSignals(True)
            try:
                f.set_value(value)
            finally:
                f.blockSignals(False)
        if emit:
            self._on_changed(section, key, value)
        else:
            self.cfg[section][key] = value

    def load_file(self, path: str) -> None:
        """A data file was picked: use it instead of a generator.  Nothing starts until Apply
        (if the file is bad, the main window then shows why, keeps the current data and model,
        and puts the running run's data back in this panel: :meth:`restore_data`)."""
        if self.cfg["data"].get("generator") is not None:
            self.set_value("data", "generator", None)
        self.set_value("data", "path", path)
        self.tabs.setCurrentIndex(0)

    def restore_data(self, cfg: dict) -> None:
        """Show the data of ``cfg`` (the running run) again, e.g. after a refused file; the
        other pending edits stay (Apply stays on when they differ from ``cfg``)."""
        if not cfg:
            return
        pending = copy.deepcopy(self.cfg)
        pending["data"] = copy.deepcopy(cfg.get("data", {}))
        if cfg["model"]["kind"] == "ising":          # undo the switch the data choice made
            pending["model"]["kind"] = "ising"
        self.cfg = _fill(pending)
        self._rebuild()
        self.set_modified(self.cfg != _fill(cfg))

    def set_modified(self, on: bool) -> None:
        self.apply_button.setEnabled(on)

    @property
    def modified(self) -> bool:
        return self.apply_button.isEnabled()

    def config(self) -> dict:
        """The resolved pending config (raises ``boltzmann_lab.config.ConfigError``)."""
        return C.resolve(self.cfg, source="settings")

    def show_dataset(self, info) -> None:
        self.dataset_info = info
        self.preview.show_info(info)

    def open_mask_editor(self):
        """Open the pair-mask editor for the loaded data (non-modal)."""
        from .mask_editor import MaskEditor, lattice_mask
        info = self.dataset_info
        if info is None:
            return None
        mask = None
        m = self.cfg["model"]
        try:
            if m.get("pairs") == "mask" and m.get("mask"):
                mask = np.load(m["mask"], allow_pickle=False)
            elif m.get("pairs") == "lattice" and info.image_shape is not None:
                mask = lattice_mask(info.image_shape, m.get("periodic", True))
            ed = MaskEditor(info.n, mask, info.image_shape, m.get("periodic", True), self)
        except (OSError, ValueError) as exc:
            ed = MaskEditor(info.n, None, info.image_shape, m.get("periodic", True), self)
            ed.setWindowTitle(f"Constrained pairs (could not read the mask: {exc})")
        ed.saved.connect(self._mask_saved)
        self.mask_editor = ed
        ed.show()
        return ed

    def _mask_saved(self, path):
        self.set_value("model", "mask", path)
        self.set_value("model", "pairs", "mask")
