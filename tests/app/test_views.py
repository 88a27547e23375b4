"""The live views on their own: image helpers, curve buffers that stay bounded, grouping of
metric names, and each view drawing a snapshot with its standard keys."""

from __future__ import annotations

import numpy as np
import pytest

from boltzmann_lab.app import theme
from boltzmann_lab.app.views.base import display_shape, tile_mosaic
from boltzmann_lab.app.views.curves_view import MAX_POINTS, CurvesView, group_of
from boltzmann_lab.learning.trainer import Snapshot


def test_to_index_maps_levels_to_0_254_and_nan_to_the_gap_colour():
    idx = theme.to_index(np.array([[-1.0, 0.0, 1.0, np.nan, 5.0]]), -1.0, 1.0)
    assert idx.dtype == np.uint8 and idx.flags.c_contiguous
    assert idx.tolist() == [[0, 127, 254, 255, 254]]


def test_tile_mosaic_places_each_sample_in_its_tile():
    x = np.arange(6 * 4, dtype=float).reshape(6, 4)          # six 2x2 "images"
    m = tile_mosaic(x, (2, 2), cols=3, gap=1)
    assert m.shape == (2 * 2 + 1, 3 * 2 + 2)
    assert np.array_equal(m[0:2, 3:5], x[1].reshape(2, 2))   # sample 1: row 0, col 1
    assert np.array_equal(m[3:5, 0:2], x[3].reshape(2, 2))   # sample 3: row 1, col 0
    assert np.isnan(m[2]).all() and np.isnan(m[:, 2]).all()


def test_display_shape_uses_the_image_shape_or_an_honest_strip():
    assert display_shape(64, (8, 8)) == (8, 8)
    assert display_shape(4096, None) == (64, 64)
    assert display_shape(20, None) == (1, 20)       # SK spins have no geometry
    assert display_shape(20, (3, 3)) == (1, 20)     # a shape that does not fit is ignored


@pytest.mark.parametrize("name,group", [("train_ll", "ll"), ("val_ll", "ll"), ("bound", "ll"),
                                        ("energy", "energy"), ("exact_energy", "energy"),
                                        ("abs_magnetization", "magnetization"),
                                        ("recon_error", "error"), ("free_energy_gap", "gap"),
                                        ("normalized_error", "noise"), ("corr_pearson", "fit"),
                                        ("overlap", "overlap"), ("log_z", "other")])
def test_metric_names_are_grouped_by_meaning(name, group):
    assert group_of(name) == group


def test_curve_buffers_stay_bounded_evenly_spaced_and_end_at_the_newest_point(qtbot):
    v = CurvesView()
    qtbot.addWidget(v)
    n = 5 * MAX_POINTS + 3
    for start in range(1, n + 1, 1000):
        v.add_points([(s, 0.0, {"energy": float(s)}) for s in range(start, min(n, start + 999) + 1)])
    s = v.series["energy"]
    assert s.n <= MAX_POINTS
    stored = s.x[:s.n]
    assert stored[0] == 1 and len(set(np.diff(stored))) == 1   # one uniform stride
    assert v.latest()["energy"] == n
    x, y = v.series["energy"].curve.getData()
    assert x[-1] == n and y[-1] == n


def snap(**views):
    return Snapshot(step=3, epoch=0.5, kind="rbm", views=views, image_shape=(4, 4),
                    convention="binary")


def test_views_draw_the_standard_snapshot_keys(qtbot):
    from boltzmann_lab.app.views.view_grid import ViewGrid
    g = ViewGrid()
    qtbot.addWidget(g)
    rng = np.random.default_rng(0)
    s = snap(data=(rng.random((16, 16)) > 0.5).astype(float),
             reconstruction=rng.random((16, 16)),
             fantasy=(rng.random((16, 16)) > 0.5).astype(float),
             filters=rng.normal(size=(16, 5)),
             means_data=rng.random(16), means_model=rng.random(16),
             corr_data=rng.normal(size=120), corr_model=rng.normal(size=120),
             overlaps=rng.uniform(-1, 1, 3),
             em_theta=np.linspace(-1, 2, 30), em_ll=-np.linspace(-1, 2, 30) ** 2,
             em_bound=-np.linspace(-1, 2, 30) ** 2 - 0.1, em_marks=np.array([0.0, 1.0]))
    g.update_snapshot(s)
    g.add_points([(1, 0.1, {"train_ll": -3.0, "recon_error": 0.2})])
    g.render_due()
    g.curves.flush()
    assert set(g.visible_names()) == {"samples", "weights", "moments", "overlaps", "em", "curves"}
    img = g.view("samples").image.image
    assert img.dtype == np.uint8 and img.shape[1] > 3 * 4          # three blocks side by side
    assert "16 of" not in g.view("weights").title_label.text()     # 5 hidden units: all shown
    assert "5 of 5" in g.view("weights").title_label.text()
    xs, ys = g.view("moments").means.getData()
    assert len(xs) == 16
    assert g.view("overlaps").bars.opts["height"].shape == (3,)


def test_y_range_leaves_an_early_transient_off_scale_only_when_it_squashes_the_run():
    from boltzmann_lab.app.views.curves_view import y_range
    steps = np.arange(0, 2500, 100.0)
    dip = np.where(steps < 400, [-700.0, -4500.0, -4000.0, -1500.0] + [0] * 21, 0.0)
    ll = np.where(steps < 400, dip, -100.0 + np.sin(steps))          # settles at -100 +- 1
    lo, hi, off = y_range([steps], [ll])
    recent = ll[steps >= 1200]
    assert off and lo <= recent.min() and hi >= recent.max()
    assert hi - lo < 0.05 * (ll.max() - ll.min())          # -100 readable on the axis
    # every value shown when the run is short (a Hopfield recall, an EM fit of a few steps)
    lo, hi, off = y_range([steps[:7] / 100], [ll[:7]])
    assert not off and lo < -4500 and hi > -100
    # a learning curve that still climbs in its second half: the whole climb stays in view
    x = np.arange(0, 1000.0, 10)
    climb = -16.0 - 12.0 * np.exp(-x / 400)
    lo, hi, off = y_range([x], [climb])
    assert not off and lo < climb.min() and hi > climb.max()
    # a reference value (the convergence line at 1) is always in range
    lo, hi, _ = y_range([x], [0.2 + 0.0 * x], include=(1.0,))
    assert lo < 0.2 and hi > 1.0


def test_curves_follow_recent_data_and_say_when_early_values_are_off_scale(qtbot):
    v = CurvesView()
    qtbot.addWidget(v)
    v.resize(800, 600)
    pts = [(s, 0.0, {"train_pll": (-4000.0 if s == 100 else -100.0 - 0.01 * (s % 7)),
                     "recon_error": 0.5}) for s in range(0, 2500, 100)]
    v.add_points(pts)
    plot = v.plots["ll"]
    lo, hi = plot.vb.viewRange()[1]
    assert -150 < lo < -100.06 and -100 < hi < -50
    assert "off-scale" in plot.titleLabel.text


def test_em_slice_view_follows_the_curves_and_keeps_the_iterates_whole(qtbot):
    from boltzmann_lab.app.views.em_view import EMView
    v = EMView()
    qtbot.addWidget(v)
    th = np.linspace(-0.5, 1.5, 40)
    for level in (-22.0, -19.1):              # ℓ climbs between iterations: the view follows
        ll = level + 0.01 * th
        v.update_snapshot(snap(em_theta=th, em_ll=ll, em_bound=ll - 0.002 * (th - 1) ** 2,
                               em_marks=np.array([0.0, 1.0])))
        (x0, x1), (y0, y1) = v.plot.vb.viewRange()
        assert x0 < th.min() and x1 > th.max()          # points at the ends are not cut
        assert y0 < ll.min() and y1 > ll.max() and y1 - y0 < 1.0


@pytest.mark.parametrize("lo,hi", [(-13.65, -12.95), (-0.12, 7.8), (0.007, 0.017), (-4.6, -3.9)])
def test_short_value_axes_get_few_readable_labels(qtbot, lo, hi):
    from boltzmann_lab.app.views.curves_view import ShortAxis
    ax = ShortAxis("left")
    for size in (46, 70):                              # stacked plots in half a window
        inside = [t for t in ax.tickValues(lo, hi, size)[0][1] if lo < t < hi]   # labelled
        assert 1 <= len(inside) <= max(size // ShortAxis.LABEL_PX, 2) + 1
    assert len(ax.tickSpacing(lo, hi, 400)) > 1        # tall plots keep pyqtgraph's levels


def test_flow_layout_wraps_rows_instead_of_widening_the_window(qtbot):
    from PySide6.QtWidgets import QPushButton, QWidget

    from boltzmann_lab.app.flow_layout import FlowLayout
    w = QWidget()
    qtbot.addWidget(w)
    lay = FlowLayout(w)
    buttons = [QPushButton(f"control number {i}") for i in range(6)]
    for b in buttons:
        lay.addWidget(b)
    one_row = lay.sizeHint()
    assert lay.minimumSize().width() < one_row.width() / 3        # never forces a wide window
    assert lay.heightForWidth(one_row.width()) == one_row.height()
    assert lay.heightForWidth(one_row.width() // 2) > 2 * buttons[0].sizeHint().height()
    buttons[0].hide()
    w.show()
    assert lay.sizeHint().width() < one_row.width()               # hidden controls take no room
    w.resize(one_row.width() // 2, lay.heightForWidth(one_row.width() // 2))
    qtbot.wait(10)
    assert buttons[-1].geometry().bottom() <= w.height() and buttons[-1].x() < w.width()
