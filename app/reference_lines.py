"""Reference lines on the learning curves where the answer is known: the curve a lecture is about
ends on (or approaches) a dashed line, labelled with what it means.

A line is a :class:`ReferenceLine` ``(metric, value, label)``; ``metric`` names the curve it
belongs with (its plot is the metric's group in :mod:`boltzmann_lab.app.views.curves_view`, so
``train_ll`` draws in the log-likelihood plot).  Lines come from

* the run's config — a preset's ``[view] reference_lines = [{metric = "train_ll", value = -3.4,
  label = "..."}]`` — and
* facts known exactly for the run (:func:`known_lines`):

  - bars and stripes: the data are all 2^(s+1) − 2 images of an s × s grid once each, so the best
    possible (average) log-likelihood of any model is −ln K (K = 30 for 4 × 4);
  - data from a generator with known parameters on few enough units to enumerate (the SK spin
    glass, n <= 24): the exact log-likelihood of the training data under the true model, which a
    maximum-likelihood fit reaches or exceeds on the training set;
  - a MaxEnt fit with nearest-neighbour pairs on Ising data at one temperature T: the learned
    couplings should converge to J = 1/T.  The mean learned coupling over the lattice bonds is
    drawn as a curve (``mean_coupling``, from the snapshots' couplings) next to the line.

Other parts of the app add their own lines with :meth:`ReferenceLines.add` (e.g. the independent-
unit model's log-likelihood as a baseline); they stay for the run they were added to.
:func:`install` wires one :class:`ReferenceLines` to a main window (``window.reference_lines``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QObject, QTimer

#: exact enumeration of the true model's log Z up to this many units (2^n states)
MAX_ENUM_UNITS = 24


@dataclass(frozen=True)
class ReferenceLine:
    """A horizontal dashed line at ``value`` in the plot of curve ``metric``, named ``label``."""

    metric: str
    value: float
    label: str


def from_config(cfg: dict | None) -> list[ReferenceLine]:
    """Lines a config asks for in ``[view] reference_lines`` (a list of tables with ``metric``,
    ``value`` and ``label``); entries that are not like that are an error naming the entry."""
    entries = ((cfg or {}).get("view") or {}).get("reference_lines") or []
    out = []
    for i, e in enumerate(entries):
        try:
            out.append(ReferenceLine(str(e["metric"]), float(e["value"]),
                                     str(e.get("label", ""))))
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"[view] reference_lines entry {i + 1} ({e!r}) needs metric = "
                             f"\"name\", value = number and optionally label = \"text\"") from exc
    return out


def _ising_temperature(cfg) -> float | None:
    data = cfg.get("data") or {}
    if data.get("generator") != "ising" or data.get("temperatures"):
        return None
    try:
        return float(data["temperature"])
    except (KeyError, TypeError, ValueError):
        return None


def wants_mean_coupling(cfg: dict | None) -> bool:
    """A nearest-neighbour MaxEnt fit of single-temperature Ising data (J -> 1/T)."""
    if not cfg:
        return False
    model = cfg.get("model") or {}
    return model.get("kind") == "maxent" and model.get("pairs") == "lattice" and \
        _ising_temperature(cfg) is not None


def known_lines(cfg: dict | None, dataset=None) -> list[ReferenceLine]:
    """Lines known without heavy computation for this run (see the module docstring); the
    true-model likelihood is :func:`true_model_line` (it enumerates, run it off the GUI thread)."""
    if not cfg:
        return []
    out = []
    data = cfg.get("data") or {}
    kind = (cfg.get("model") or {}).get("kind")
    if data.get("generator") == "bars_and_stripes" and kind not in ("ising", "hopfield") \
            and dataset is not None and len(dataset.train):
        k = len(np.unique(np.asarray(dataset.train), axis=0))
        if k == len(dataset.train):        # every image once: the best model is uniform on them
            out.append(ReferenceLine("train_ll", -math.log(k),
                                     f"best possible: −ln {k} = {-math.log(k):.3f}"))
    T = _ising_temperature(cfg)
    if wants_mean_coupling(cfg) and T:
        out.append(ReferenceLine("mean_coupling", 1.0 / T, f"J = 1/T = {1.0 / T:.3f}"))
    return out


def true_model_line(cfg: dict | None, dataset) -> ReferenceLine | None:
    """The exact log-likelihood of the training data under the model that generated them (SK
    data, n <= MAX_ENUM_UNITS, a maximum-entropy or Boltzmann-machine fit); ``None`` otherwise."""
    if not cfg or dataset is None:
        return None
    meta = getattr(dataset, "meta", None) or {}
    kind = (cfg.get("model") or {}).get("kind")
    if meta.get("generator") != "sk" or kind not in ("maxent", "rbm", "dbm") or \
            dataset.convention != "spin" or dataset.train.shape[1] > MAX_ENUM_UNITS:
        return None
    from boltzmann_lab.exact.enumeration import log_likelihood
    ll = log_likelihood(np.asarray(dataset.train, dtype=np.float64), meta["h"], meta["J"], "spin")
    return ReferenceLine("train_ll", ll, f"true model, exact: {ll:.3f}")


def mean_coupling(J) -> float | None:
    """Mean of the non-zero couplings above the diagonal (the lattice bonds of a
    nearest-neighbour fit); ``None`` before any is non-zero."""
    J = np.asarray(J)
    if J.ndim != 2 or J.shape[0] != J.shape[1]:
        return None
    bonds = J[np.triu(J != 0, 1)]
    return float(bonds.mean()) if bonds.size else None


def draw(curves) -> None:
    """(Re)draw ``curves.references`` (a CurvesView) as dashed labelled lines in the plots of
    their metrics' groups; the items are kept in ``curves._ref_items``."""
    import pyqtgraph as pg
    from PySide6.QtCore import Qt

    from . import theme
    from .views.curves_view import group_of
    for plot, item in curves._ref_items:
        plot.removeItem(item)
    curves._ref_items = []
    for r in curves.references:
        plot = curves.plots.get(group_of(r.metric))
        if plot is None:
            continue
        item = pg.InfiniteLine(pos=float(r.value), angle=0, movable=False,
                               pen=pg.mkPen(theme.INK, width=max(theme.pen_width() - 1, 1),
                                            style=Qt.DashLine),
                               label=r.label, labelOpts={
                                   "position": 0.02, "anchors": [(0, 1), (0, 1)],
                                   "color": theme.INK, "fill": (255, 255, 255, 200)})
        item.label.setFont(theme.tick_font())
        plot.addItem(item, ignoreBounds=True)
        curves._ref_items.append((plot, item))


class ReferenceLines(QObject):
    """Keeps the curves' reference lines in step with the window's active run."""

    #: seconds between two points of the mean-coupling curve
    COUPLING_EVERY = 0.25

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.lines: list[ReferenceLine] = []
        self._worker = None
        self._future = None
        self._last_coupling = (-1, 0.0)
        window.views.snapshot_shown.connect(self._snapshot)
        self.timer = QTimer(self)
        self.timer.setInterval(150)
        self.timer.timeout.connect(self._watch)
        self.timer.start()

    def add(self, line: ReferenceLine) -> None:
        """Draw ``line`` for the current run (other modules' known answers)."""
        if line not in self.lines:
            self.lines.append(line)
            self._show()

    def _show(self):
        curves = self.window.views.curves
        if hasattr(curves, "set_references"):
            curves.set_references(self.lines)

    def _watch(self):
        w = self.window
        if w.worker is self._worker:
            self._poll_future()
            return
        self._worker = w.worker
        self._future = None
        cfg = w.active_cfg
        dataset = getattr(w.worker, "dataset", None) if w.worker is not None else None
        try:
            self.lines = from_config(cfg) + known_lines(cfg, dataset)
        except ValueError as exc:
            self.lines = known_lines(cfg, dataset)
            w.statusBar().showMessage(str(exc), 8000)
        self._show()
        if true_model_possible(cfg, dataset):
            from concurrent.futures import ThreadPoolExecutor
            pool = ThreadPoolExecutor(1)
            self._future = pool.submit(true_model_line, cfg, dataset)
            pool.shutdown(wait=False)

    def _poll_future(self):
        fut = self._future
        if fut is None or not fut.done():
            return
        self._future = None
        try:
            line = fut.result()
        except Exception:           # a reference line is a nicety: never an error for the run
            return
        if line is not None:
            self.add(line)

    def _snapshot(self, snap):
        """The mean learned coupling of a J -> 1/T fit, as a curve beside its line."""
        w = self.window
        if not wants_mean_coupling(w.active_cfg) or snap is None:
            return
        J = getattr(snap, "views", {}).get("couplings")
        if J is None:
            return
        import time
        step, t = self._last_coupling
        now = time.monotonic()
        if snap.step == step or now - t < self.COUPLING_EVERY:
            return
        value = mean_coupling(J)
        if value is None:
            return
        self._last_coupling = (snap.step, now)
        w.views.curves.add_points([(snap.step, None, {"mean_coupling": value})], flush=False)


def true_model_possible(cfg, dataset) -> bool:
    meta = getattr(dataset, "meta", None) or {}
    return bool(cfg) and meta.get("generator") == "sk" and \
        (cfg.get("model") or {}).get("kind") in ("maxent", "rbm", "dbm") and \
        getattr(dataset, "convention", None) == "spin" and \
        dataset.train.shape[1] <= MAX_ENUM_UNITS


def install(window) -> ReferenceLines:
    window.reference_lines = ReferenceLines(window)
    return window.reference_lines
