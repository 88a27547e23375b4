"""The centre of the window: the live views that fit the current snapshot, in a grid.

A view is created the first time a snapshot carries its data (``View.accepts``) and then only
updated; views without data are not shown.  The learning-curve view is fed metric points (every
step's scalars, buffered by the worker), the others the latest snapshot.
"""

from __future__ import annotations

from PySide6.QtWidgets import QGridLayout, QLabel, QWidget
from PySide6.QtCore import Qt, Signal

from .alignment_view import AlignmentView
from .contact_view import ContactMapView
from .curves_view import CurvesView
from .em_view import EMView
from .lattice_view import LatticeView
from .moments_view import MomentsView
from .overlaps_view import OverlapsView
from .samples_view import SamplesView
from .weights_view import WeightsView

#: display order (reading order in the grid)
#: (the curves come last: the last view of an incomplete row spans it, and time series want
#: width)
VIEW_TYPES = [LatticeView, SamplesView, AlignmentView, ContactMapView, EMView, MomentsView,
              OverlapsView, WeightsView, CurvesView]


class ViewGrid(QWidget):
    #: a view was created for the first time in this run: (name, view) — wire tools to it here
    view_created = Signal(str, object)
    #: emitted after each :meth:`update_snapshot` with the snapshot taken
    snapshot_shown = Signal(object)
    #: emitted with a batch of metric points before it is buffered; a slot may first buffer
    #: earlier points of its own (``curves.add_points(..., flush=False)``) to keep steps in order
    points_arriving = Signal(object)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(6, 6, 6, 6)
        self.grid.setSpacing(8)
        self.views: dict[str, object] = {}
        self.curves = CurvesView()
        self.views["curves"] = self.curves
        self._visible: tuple = ()
        self.placeholder = QLabel("Press ▶ Play (Space) to start — the views appear as the "
                                  "model produces them")
        self.placeholder.setObjectName("hint")
        self.placeholder.setAlignment(Qt.AlignCenter)
        self.placeholder.setWordWrap(True)       # never a reason for a wider window
        self.grid.addWidget(self.placeholder, 0, 0)
        # compact (presentation) mode: one main view + the curves; the others one key away
        self.compact = False
        self.page = 0
        #: the view a run shows first in compact mode (a preset's ``[view] main_view``)
        self.main_view = None
        self._paged = False
        from .base import ElidedLabel
        self.pager = ElidedLabel("")
        self.pager.setObjectName("hint")
        self.pager.hide()
        self._layout()

    # ------------------------------------------------------------------ compact mode
    def set_compact(self, on: bool) -> None:
        """Compact mode (presentation): the main view and the curves only, larger; Tab or the
        number keys (:meth:`show_page`) bring the other views in as the main view."""
        if bool(on) != self.compact:
            self.compact = bool(on)
            self._layout(force=True)

    def pages(self) -> list:
        """Names of the views that take turns as the main view in compact mode."""
        return [cls.name for cls in VIEW_TYPES if cls.name in self.views and cls.name != "curves"]

    def show_page(self, index: int) -> None:
        """Make view ``index`` (0-based, in :meth:`pages` order; wraps) the main view."""
        pages = self.pages()
        if pages:
            self.page = index % len(pages)
            self._paged = True
            self._layout(force=True)

    def next_page(self, delta: int = 1) -> None:
        self.show_page(self.page + delta)

    def view(self, name):
        return self.views.get(name)

    def visible_names(self) -> tuple:
        return self._visible

    def clear(self):
        """New run: forget every view's data and hide them until data arrives again."""
        self.page, self._paged = 0, False
        self._latest = None
        self._dirty = set()
        self.__dict__.setdefault("_last_draw", {}).clear()
        for name, v in list(self.views.items()):
            v.clear()
            if name != "curves":
                self.grid.removeWidget(v)
                v.setParent(None)
                v.deleteLater()
                del self.views[name]
        self._layout(force=True)

    def restyle(self, snap=None):
        """Rebuild every view in the current theme (fonts, pen widths) without losing data:
        image views are redrawn from ``snap``, the curves keep their points."""
        for name, v in list(self.views.items()):
            if name != "curves":
                self.grid.removeWidget(v)
                v.setParent(None)
                v.deleteLater()
                del self.views[name]
        self.curves.restyle()
        self._last_draw = {}
        if snap is not None:
            self.update_snapshot(snap)
        self._layout(force=True)

    def reset_curves(self):
        self.curves.clear()
        self._layout()

    #: shortest time between two redraws of a view (s): the live lattice at the full 30 Hz,
    #: mosaics and heat maps at 10 Hz, curves at ~7 Hz — painting is the GUI thread's main cost
    #: (REFERENCES.md frame budget), and a busy GUI thread is what makes a window stutter (at 15
    #: and 10 Hz a MaxEnt MCMC run's window stalled > 100 ms in 3 of 8 runs, now ~1 in 8)
    MIN_INTERVAL = {"lattice": 0.0, "curves": 0.15}
    DEFAULT_INTERVAL = 0.1

    def update_snapshot(self, snap) -> None:
        """Take the newest snapshot; views are redrawn when their interval has passed (the rest
        at a later :meth:`render_due`, always with the newest data)."""
        self._latest = snap
        self._dirty = set(cls.name for cls in VIEW_TYPES
                          if cls is not CurvesView and cls.accepts(snap))
        self.render_due(force_new=True)
        self.snapshot_shown.emit(snap)

    def render_due(self, force_new=False) -> None:
        import time
        now = time.perf_counter()
        snap = getattr(self, "_latest", None)
        last = self.__dict__.setdefault("_last_draw", {})
        dirty = getattr(self, "_dirty", set())
        if snap is not None and dirty:
            for cls in VIEW_TYPES:
                if cls.name not in dirty:
                    continue
                v = self.views.get(cls.name)
                if v is not None and now - last.get(cls.name, 0.0) < \
                        self.MIN_INTERVAL.get(cls.name, self.DEFAULT_INTERVAL):
                    continue
                if v is None:
                    v = cls()
                    self.views[cls.name] = v
                    self.view_created.emit(cls.name, v)
                v.show_snapshot(snap)
                last[cls.name] = now
                dirty.discard(cls.name)
        if self.curves.pending() and now - last.get("curves", 0.0) >= self.MIN_INTERVAL["curves"]:
            self.curves.flush()
            last["curves"] = now
        self._layout()

    def add_points(self, points) -> None:
        """Buffer metric points (drawn by :meth:`render_due`)."""
        if points:
            self.points_arriving.emit(points)
            self.curves.add_points(points, flush=False)
            self.render_due()

    def _layout(self, force=False):
        names = tuple(cls.name for cls in VIEW_TYPES if cls.name in self.views and
                      (cls.name != "curves" or self.curves.has_data()))
        pages = [n for n in names if n != "curves"]
        if not self._paged and self.main_view in pages:
            self.page = pages.index(self.main_view)
        if self.compact and pages:
            self.page %= len(pages)
            main = pages[self.page]
            names = (main,) + (("curves",) if "curves" in names else ())
        if names == self._visible and not force:
            return
        self._visible = names
        for v in self.views.values():
            self.grid.removeWidget(v)
            v.hide()
        self.grid.removeWidget(self.placeholder)
        self.grid.removeWidget(self.pager)
        self.pager.hide()
        for i in range(4):
            self.grid.setColumnStretch(i, 0)
            self.grid.setRowStretch(i, 0)
        if not names:
            self.grid.addWidget(self.placeholder, 0, 0)
            self.placeholder.show()
            return
        self.placeholder.hide()
        if self.compact:
            self._layout_compact(names, pages)
            return
        k = len(names)
        cols = 1 if k == 1 else (2 if k <= 4 else 3)
        rows = (k + cols - 1) // cols
        for i, name in enumerate(names):
            r, c = divmod(i, cols)
            span = 1
            if i == k - 1 and c < cols - 1:      # the last view fills its row
                span = cols - c
            self.grid.addWidget(self.views[name], r, c, 1, span)
            self.views[name].show()
        for c in range(cols):
            self.grid.setColumnStretch(c, 1)
        for r in range(rows):
            self.grid.setRowStretch(r, 1)

    def _layout_compact(self, names, pages):
        """Main view left (3/5 of the width), curves right, full height; a hint names the
        views one key away."""
        row = 0
        if len(pages) > 1:
            others = "   ".join(f"{i + 1} {self._short_title(n)}" for i, n in enumerate(pages))
            self.pager.setText(f"view {self.page + 1} of {len(pages)} — Tab: next   ·   {others}")
            self.grid.addWidget(self.pager, 0, 0, 1, 2)
            self.pager.show()
            row = 1
        for c, name in enumerate(names):
            self.grid.addWidget(self.views[name], row, c)
            self.views[name].show()
        if len(names) == 2:
            self.grid.setColumnStretch(0, 3)
            self.grid.setColumnStretch(1, 2)
        else:
            self.grid.setColumnStretch(0, 1)
        self.grid.setRowStretch(row, 1)

    def _short_title(self, name) -> str:
        v = self.views.get(name)
        text = v.title_label.text() if v is not None else name
        return text.split(":")[0].split("(")[0].strip() or name
