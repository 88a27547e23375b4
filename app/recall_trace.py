"""Hopfield recall traces that show every change of state, including the user's own.

A Hopfield snapshot without metrics (the cue before the first sweep, or the state right after
drawing / re-cueing) adds its energy and overlap to the recall traces, so the audience sees the
energy jump up when the state is corrupted and fall as it recalls.  Connected to the view grid's
``snapshot_shown`` and ``points_arriving`` hooks (:class:`~boltzmann_lab.app.views.view_grid.ViewGrid`).
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject


def hopfield_point(snap, cue: int) -> dict:
    """``energy`` E(s) = -1/2 s^T J s (stored-pattern networks have h = 0) and ``overlap``
    m_cue of a Hopfield snapshot's state, the learner's own metric names; {} if not drawable."""
    v = snap.views
    if "state" not in v or "couplings" not in v or "overlaps" not in v:
        return {}
    s = np.asarray(v["state"], dtype=np.float64).ravel()
    J = np.asarray(v["couplings"], dtype=np.float64)
    m = np.asarray(v["overlaps"], dtype=np.float64).ravel()
    if J.shape != (s.size, s.size) or not 0 <= cue < m.size:
        return {}
    return {"energy": float(-0.5 * s @ J @ s), "overlap": float(m[cue])}


class RecallTrace(QObject):
    """Adds metric-less Hopfield snapshots to ``grid``'s curves; ``cue()`` -> the cued pattern."""

    def __init__(self, grid, cue, parent=None):
        super().__init__(parent)
        self.grid = grid
        self.cue = cue
        self.pending = None
        grid.snapshot_shown.connect(self._snapshot_shown)
        grid.points_arriving.connect(self._points_arriving)

    def _snapshot_shown(self, snap):
        if snap.kind != "hopfield":
            self.pending = None
            return
        if snap.metrics:
            return
        point = hopfield_point(snap, self.cue())
        if not point:
            return
        if self.grid.curves.has_data():
            self.grid.add_points([(snap.step, snap.epoch, point)])
        else:
            # the first point goes in with the first step's metrics, so the traces are laid
            # out once, with every metric present
            self.pending = (snap.step, snap.epoch, point)

    def _points_arriving(self, points):
        # buffered just before the batch: the cue's point comes first, as its step does
        if self.pending is not None:
            pending, self.pending = self.pending, None
            self.grid.curves.add_points([pending], flush=False)
