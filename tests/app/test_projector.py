"""The window on a projector, in parts: fitting a rectangle into the screen's available area,
presentation fonts from the screen's height, the compact view layout of presentation mode (main
view + curves, Tab / number keys), and the reference lines where the answer is known."""

from __future__ import annotations

import math

import numpy as np
import pytest
from PySide6.QtCore import QRect

from boltzmann_lab.app import screen_fit
from boltzmann_lab.app.reference_lines import (ReferenceLine, from_config, known_lines,
                                               mean_coupling, true_model_line)


# ----------------------------------------------------------------------------- geometry
@pytest.mark.parametrize("rect, avail, frame, expect", [
    # the old 1600 x 900 default on a 1280 x 800 projector: shrunk to the area, frame included
    (QRect(0, 0, 1600, 900), QRect(0, 0, 1280, 800), (1, 20, 1, 4), QRect(1, 20, 1278, 776)),
    # a remembered window half off a smaller screen comes back onto it at its own size
    (QRect(900, 500, 800, 500), QRect(0, 0, 1280, 800), (0, 0, 0, 0), QRect(480, 300, 800, 500)),
    # a panel at the top: the available area starts lower
    (QRect(0, 0, 1000, 700), QRect(0, 30, 1024, 738), (0, 0, 0, 0), QRect(0, 30, 1000, 700)),
    # a second screen to the right
    (QRect(1200, 0, 1600, 900), QRect(1280, 0, 1024, 768), (2, 2, 2, 2),
     QRect(1282, 2, 1020, 764)),
])
def test_fitted_rect_lies_within_the_available_geometry(rect, avail, frame, expect):
    got = screen_fit.fitted_rect(rect, avail, frame)
    assert got == expect
    framed = got.adjusted(-frame[0], -frame[1], frame[2], frame[3])
    assert avail.contains(framed)


def test_fit_window_shrinks_and_places_a_window_on_its_screen(qtbot):
    from PySide6.QtWidgets import QMainWindow
    w = QMainWindow()
    qtbot.addWidget(w)
    w.setMinimumSize(1000, 600)
    w.show()
    screen_fit.fit_window(w, (3000, 2000), centre=True)
    qtbot.wait(50)
    avail = screen_fit.available_geometry(w)
    assert avail.contains(w.frameGeometry())
    # a minimum size larger than the screen is lowered to it rather than forcing an overflow
    assert w.minimumWidth() <= avail.width() and w.minimumHeight() <= avail.height()


def test_presentation_fonts_follow_the_screen_height(qtbot):
    pt = screen_fit.presentation_point_size()
    screen = screen_fit.screen_of(None)
    px = pt * screen.logicalDotsPerInchY() / 72.0
    assert 12 <= pt <= 20
    # about 1/50 of the height (clamped to 12..20 pt)
    h = screen.geometry().height()
    if 12 < pt < 20:
        assert abs(px - h / 50.0) <= 0.5 * screen.logicalDotsPerInchY() / 72.0 + 1e-9
    else:
        assert (pt == 12) == (h / 50.0 * 72.0 / screen.logicalDotsPerInchY() < 12.5)


# ----------------------------------------------------------------------------- compact views
class _Snap:
    def __init__(self, views):
        self.views = views
        self.image_shape = (4, 4)
        self.convention = "binary"
        self.kind = "rbm"
        self.step = 1


def test_compact_grid_shows_one_main_view_beside_the_curves_and_pages_through_the_rest(qtbot):
    from boltzmann_lab.app.views.view_grid import ViewGrid
    grid = ViewGrid()
    qtbot.addWidget(grid)
    grid.resize(1200, 600)
    grid.show()
    rng = np.random.default_rng(0)
    grid.update_snapshot(_Snap({"data": rng.random((4, 16)) < 0.5,
                                "fantasy": rng.random((4, 16)) < 0.5,
                                "filters": rng.normal(size=(16, 3))}))
    grid.add_points([(1, 0.1, {"train_ll": -5.0}), (2, 0.2, {"train_ll": -4.0})])
    grid.render_due()
    full = grid.visible_names()
    pages = grid.pages()
    assert "curves" in full and len(pages) >= 2
    grid.set_compact(True)
    assert grid.visible_names() == (pages[0], "curves")
    assert grid.pager.isVisible() and "Tab" in grid.pager.text()
    grid.next_page()
    assert grid.visible_names() == (pages[1], "curves")
    grid.next_page(-1)
    assert grid.visible_names() == (pages[0], "curves")
    grid.show_page(len(pages))                   # wraps around
    assert grid.visible_names() == (pages[0], "curves")
    grid.set_compact(False)
    assert grid.visible_names() == full and not grid.pager.isVisible()


def test_presentation_puts_settings_away_and_tab_pages_views(window, qtbot):
    from .conftest import start
    start(window, qtbot, {"data": {"generator": "bars_and_stripes", "size": 3,
                                   "validation_fraction": 0.0},
                          "model": {"kind": "rbm", "hidden": 4},
                          "training": {"steps": 50, "eval_every": 5, "seed": 1}})
    window.worker.step_once(6)
    qtbot.waitUntil(lambda: len(window.views.pages()) >= 2 and window.views.curves.has_data(),
                    timeout=30_000)
    pres = window.lecture.presentation
    window.presentation_action.setChecked(True)
    qtbot.wait(50)
    assert not window.panel.isVisible()
    assert len(window.views.visible_names()) == 2
    first = window.views.visible_names()[0]
    pres._page(1)
    assert window.views.visible_names()[0] != first
    pres.toggle_settings()                       # S brings the settings back
    assert window.panel.isVisible()
    pres.toggle_settings()
    window.presentation_action.setChecked(False)
    qtbot.wait(50)
    assert window.panel.isVisible()
    assert len(window.views.visible_names()) > 2


# ----------------------------------------------------------------------------- reference lines
class _Data:
    def __init__(self, train, meta=None, convention="binary"):
        self.train = train
        self.meta = meta or {}
        self.convention = convention


def test_bars_and_stripes_best_possible_is_minus_ln_of_the_number_of_images():
    from boltzmann_lab.config import resolve
    from boltzmann_lab.data.prepare import load_dataset
    cfg = resolve({"data": {"generator": "bars_and_stripes", "size": 4,
                            "validation_fraction": 0.0}, "model": {"kind": "rbm"}})
    lines = known_lines(cfg, load_dataset(cfg))
    assert [(r.metric, round(r.value, 12)) for r in lines] == [("train_ll",
                                                                round(-math.log(30), 12))]
    assert "ln 30" in lines[0].label


def test_ising_maxent_fit_gets_j_equals_one_over_t_and_the_mean_bond_coupling():
    from boltzmann_lab.config import resolve
    cfg = resolve({"data": {"generator": "ising", "L": 4, "temperature": 2.5, "samples": 10},
                   "model": {"kind": "maxent", "constraints": ["means", "pairs"],
                             "pairs": "lattice"}})
    lines = known_lines(cfg)
    assert ReferenceLine("mean_coupling", 0.4, "J = 1/T = 0.400") in lines
    J = np.zeros((4, 4))
    J[0, 1] = J[1, 0] = 0.3
    J[2, 3] = J[3, 2] = 0.5
    assert mean_coupling(J) == pytest.approx(0.4)
    assert mean_coupling(np.zeros((4, 4))) is None


def test_true_sk_model_line_is_the_exact_log_likelihood_of_its_samples():
    from boltzmann_lab.exact.enumeration import log_prob
    rng = np.random.default_rng(3)
    n = 6
    J = np.triu(rng.normal(0, 0.5, (n, n)), 1)
    J = J + J.T
    h = rng.normal(0, 0.2, n)
    x = np.where(rng.random((50, n)) < 0.5, 1.0, -1.0)
    data = _Data(x, {"generator": "sk", "h": h, "J": J}, "spin")
    line = true_model_line({"model": {"kind": "maxent"}, "data": {}}, data)
    assert line.metric == "train_ll"
    assert line.value == pytest.approx(float(np.mean(log_prob(x, h, J, "spin"))), abs=1e-12)
    # brute force: sum over all 2^n states
    states = np.array([[1.0 if (k >> i) & 1 else -1.0 for i in range(n)] for k in range(2 ** n)])
    e = -(states @ h) - 0.5 * np.einsum("si,ij,sj->s", states, J, states)
    logz = np.log(np.exp(-e).sum())
    ex = -(x @ h) - 0.5 * np.einsum("si,ij,sj->s", x, J, x)
    assert line.value == pytest.approx(float(np.mean(-ex - logz)), abs=1e-9)


def test_reference_lines_from_a_preset_and_a_readable_error():
    cfg = {"view": {"reference_lines": [{"metric": "train_ll", "value": -2.5,
                                         "label": "target"}]}}
    assert from_config(cfg) == [ReferenceLine("train_ll", -2.5, "target")]
    with pytest.raises(ValueError, match="reference_lines entry 1"):
        from_config({"view": {"reference_lines": [{"value": 1}]}})


def test_curves_draw_reference_lines_in_their_plot_and_keep_them_in_range(qtbot):
    import pyqtgraph as pg
    from boltzmann_lab.app.views.curves_view import CurvesView
    v = CurvesView()
    qtbot.addWidget(v)
    v.add_points([(s, 0.0, {"train_ll": -10.0 + s}) for s in range(5)])
    v.set_references([ReferenceLine("train_ll", -3.4, "best"),
                      ReferenceLine("energy", 1.0, "not plotted here")])
    lines = [i for i in v.plots["ll"].items if isinstance(i, pg.InfiniteLine)]
    assert [ln.value() for ln in lines] == [-3.4]
    lo, hi = v.plots["ll"]._y_set
    assert lo < -10.0 and hi > -3.4
    v.clear()
    assert v.references == []


def test_the_top_reference_label_stays_inside_a_short_plot(qtbot):
    # the 1600 x 900 window's log-likelihood plot is ~80 px high: 15 % of the range above the
    # line was 12 px and cut "best possible: −ln 30" in half at the top
    import pyqtgraph as pg
    from boltzmann_lab.app.views.curves_view import CurvesView
    v = CurvesView()
    qtbot.addWidget(v)
    v.resize(600, 190)
    v.show()
    qtbot.waitExposed(v)
    v.add_points([(s, 0.0, {"train_ll": -3.4 - 8.0 * 0.5 ** s}) for s in range(12)])
    v.set_references([ReferenceLine("train_ll", -3.401, "best possible: −ln 30 = -3.401")])
    plot = v.plots["ll"]
    qtbot.waitUntil(lambda: getattr(plot, "_y_set", None) is not None and
                    plot.vb.height() > 0)
    v._fit_ranges()
    qtbot.wait(50)
    assert plot.vb.height() < 120, "the plot should be short for this test"
    (line,) = [i for i in plot.items if isinstance(i, pg.InfiniteLine)]
    label = line.label.mapRectToScene(line.label.boundingRect())
    box = plot.vb.sceneBoundingRect()
    assert box.top() - 1 <= label.top() and label.bottom() <= box.bottom() + 1, \
        (label.getRect(), box.getRect())


# ----------------------------------------------------------------------------- preset box
_STYLES: dict = {}


@pytest.mark.parametrize("style", ["Fusion", "Windows"])
def test_a_long_preset_title_is_elided_with_the_full_title_in_tooltip_and_list(qtbot, style):
    # a QComboBox clips its text at the field's edge without a sign ("...fantasies vs d" on a
    # 1024 x 768 projector); the preset box elides by drawn width instead.  Fusion opens the
    # list as wide as the longest entry by itself, the Windows style at the box's width.
    from PySide6.QtWidgets import QStyleFactory
    from boltzmann_lab.app.elided_combo import ElidedComboBox
    long = "The review's Ising data set with an RBM (NB18): fantasies vs data, measured"
    box = ElidedComboBox(base_tip="ready-made demos")
    qtbot.addWidget(box)
    # a style must outlive every widget that uses it: kept for the whole test session
    box.setStyle(_STYLES.setdefault(style, QStyleFactory.create(style)))
    box.addItem(long)
    box.addItem("Ising phases")
    box.setSizeAdjustPolicy(box.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    box.setMinimumContentsLength(5)
    box.setFixedWidth(220)
    box.show()
    qtbot.waitExposed(box)
    shown = box.shown_text()
    assert box.is_elided() and shown.endswith("…") and long.startswith(shown[:-1])
    assert box.fontMetrics().horizontalAdvance(shown) <= box.text_width() < 220
    assert box.toolTip() == long + "\nready-made demos"
    assert not box.grab().isNull()                     # paints the elided text
    # the list opens wide enough for the whole title (the screen is wider than it)
    box.showPopup()
    popup = box.view().window()
    qtbot.waitUntil(popup.isVisible)
    need = box.view().fontMetrics().horizontalAdvance(long)
    assert popup.width() >= need > 220
    box.hidePopup()
    # a title that fits is drawn as it is, and the tooltip is the box's own
    box.setCurrentIndex(1)
    assert not box.is_elided() and box.shown_text() == "Ising phases"
    assert box.toolTip() == "ready-made demos"
    # no preset: the placeholder
    box.setPlaceholderText("custom")
    box.setCurrentIndex(-1)
    assert box.full_text() == "custom" and box.toolTip() == "ready-made demos"
