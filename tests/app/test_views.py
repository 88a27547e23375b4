"""The live views on their own: image helpers, curve buffers that stay bounded, grouping of
metric names, and each view drawing a snapshot with its standard keys."""

from __future__ import annotations

import numpy as np
import pytest

from app import theme
from app.views.base import display_shape, tile_mosaic
from app.views.curves_view import MAX_POINTS, CurvesView, group_of
from core.trainer import Snapshot


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
    from app.views.view_grid import ViewGrid
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
