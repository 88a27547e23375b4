"""Settings panels: fields parse and validate, the pair-mask editor writes a mask the model
uses, live hyperparameters reach the running model."""

from __future__ import annotations

import numpy as np
import pytest

from boltzmann_lab.app.panels.fields import parse_list
from boltzmann_lab.app.panels.mask_editor import lattice_mask

from .conftest import start, train


def test_parse_list_reads_numbers_and_words():
    assert parse_list("0.8, 0.4") == [0.8, 0.4]
    assert parse_list("[1.75, 2.25, 2.75]") == [1.75, 2.25, 2.75]
    assert parse_list("means, pairs") == ["means", "pairs"]
    assert parse_list("  ") is None
    with pytest.raises(ValueError):
        parse_list("1,,2")


@pytest.mark.parametrize("h,w", [(3, 3), (4, 5), (2, 2)])
def test_lattice_mask_has_the_neighbour_count_of_the_lattice(h, w):
    n = h * w
    per, opn = lattice_mask((h, w), True), lattice_mask((h, w), False)
    for m in (per, opn):
        assert m.shape == (n, n) and (m == m.T).all() and not m.diagonal().any()
    # open boundaries: h(w-1) horizontal + w(h-1) vertical bonds
    assert opn.sum() // 2 == h * (w - 1) + w * (h - 1)
    if h >= 3 and w >= 3:                    # periodic: 2 bonds per site
        assert per.sum() // 2 == 2 * n and (per.sum(axis=1) == 4).all()


def test_list_field_marks_bad_input_and_keeps_the_last_good_value(qtbot):
    from boltzmann_lab.app.panels.fields import ListField
    from boltzmann_lab.config import GENERATOR_KEYS
    f = ListField(GENERATOR_KEYS["coin_tosses"]["biases"])
    qtbot.addWidget(f)
    f.set_value([0.8, 0.4])
    f.edit.setText("0.7, ,")
    f._parse()
    assert not f.valid() and f.value() == [0.8, 0.4]
    with qtbot.waitSignal(f.changed):
        f.edit.setText("0.9, 0.1")
        f._parse()
    assert f.valid() and f.value() == [0.9, 0.1]


def test_mask_editor_writes_a_mask_the_model_uses(window, qtbot, tmp_path):
    start(window, qtbot, {"data": {"generator": "sk", "n": 6, "samples": 300},
                          "model": {"kind": "maxent"}, "training": {"estimator": "exact"}})
    qtbot.waitUntil(lambda: window.panel.dataset_info is not None, timeout=5000)
    assert not window.panel.mask_button.isHidden()     # (its tab is not the current one)
    ed = window.panel.open_mask_editor()
    qtbot.addWidget(ed)
    assert ed.mask.sum() == 6 * 5                  # starts from "all pairs"
    ed.set_none()
    ed.toggle(0, 1)
    ed.toggle(3, 2)
    ed.toggle(4, 4)                                # the diagonal is not a pair
    path = ed.save(tmp_path / "pairs")
    cfg = window.panel.config()
    assert cfg["model"]["pairs"] == "mask" and cfg["model"]["mask"] == path
    m = np.load(path, allow_pickle=False)
    assert m.dtype == bool and (m == m.T).all() and m.sum() == 4 and m[0, 1] and m[2, 3]
    window.apply_settings()
    qtbot.waitUntil(lambda: window.pending is None, timeout=30_000)
    assert not window.errors.messages, window.errors.messages
    train(window, qtbot, 3)
    snap = window.last_snapshot
    assert snap.views["corr_data"].shape == (2,)     # only the two chosen pairs are constrained
    J = snap.views["couplings"]
    off = np.ones_like(m) & ~m & ~np.eye(6, dtype=bool)
    assert np.all(J[off] == 0)


def test_learning_rate_change_reaches_the_running_model(window, qtbot):
    start(window, qtbot, {"data": {"generator": "bars_and_stripes", "size": 3},
                          "model": {"kind": "rbm", "hidden": 4},
                          "training": {"batch_size": 7}})
    assert window.transport.lr.isVisibleTo(window) and \
        not window.transport.temperature.isVisibleTo(window)
    # not the default (0.02 since the RBM defaults changed): a change must reach the model
    assert window.active_cfg["training"]["learning_rate"] != 0.05
    window.transport.lr.setValue(0.05)
    qtbot.waitUntil(lambda: "learning_rate = 0.05" in window.statusBar().currentMessage(),
                    timeout=5000)
    assert window.panel.cfg["training"]["learning_rate"] == 0.05
    assert not window.panel.modified                # a live change needs no restart
    steps = train(window, qtbot, 2)
    assert steps >= 2


def test_switching_kind_and_generator_from_their_own_widgets_rebuilds_safely(qtbot):
    """Regression: the rebuild runs inside the combo box's own signal; deleting that combo
    immediately segfaulted (choosing "—" as generator crashed the app)."""
    from boltzmann_lab.app.panels.config_panel import ConfigPanel
    from boltzmann_lab.config import default_config
    p = ConfigPanel()
    qtbot.addWidget(p)
    p.load(default_config("rbm", "bars_and_stripes"))
    for g in (None, "sk", "ising", None, "patterns"):
        f = p.data_form.fields["generator"]
        f.combo.setCurrentIndex(f.items.index(g))
        qtbot.wait(1)
        assert p.cfg["data"]["generator"] == g
    assert "style" in p.data_form.fields and "beta" not in p.data_form.fields
    for k in ("maxent", "hopfield", "mixture", "ising", "rbm"):
        f = p.model_form.fields["kind"]
        f.combo.setCurrentIndex(f.items.index(k))
        qtbot.wait(1)
    assert "hidden" in p.model_form.fields and "rule" not in p.model_form.fields


def test_a_narrow_transport_shows_symbols_instead_of_overlapping_buttons(qtbot):
    # beside the settings column on a 1024 x 768 screen the row had 60 px too little: the box
    # layout kept each button at its minimum width and drew Pause over Step +1
    from PySide6.QtWidgets import QWidget
    from boltzmann_lab.app.panels.transport import LABELS, Transport
    holder = QWidget()                 # no layout: the row gets whatever width it is given
    qtbot.addWidget(holder)
    holder.resize(2000, 100)
    t = Transport(holder)
    t.show_hypers(0.1, 2.269)
    buttons = (t.play_button, t.step_button, t.stop_button, t.reset_button)

    def laid_out(width):
        t.resize(width, t.sizeHint().height())
        qtbot.wait(20)
        rects = [b.geometry() for b in buttons]
        assert all(a.right() < b.left() for a, b in zip(rects, rects[1:])), \
            [r.getRect() for r in rects]
        return [b.text() for b in buttons]

    holder.show()
    qtbot.waitExposed(holder)
    wide = t.full_width() + 20
    assert laid_out(wide) == ["▶  Play", "Step +1", "■ Stop", "⟲ Reset"] and not t.compact
    narrow = t.full_width() - 40
    assert laid_out(narrow) == ["▶", "+1", "■", "⟲"] and t.compact
    assert "Space" in t.play_button.toolTip() and "step" in t.step_button.toolTip()
    t.set_playing(True)
    assert t.play_button.text() == LABELS["pause"][1]
    t.play_button.click()                        # pause from the button itself
    assert t.play_button.text() == "▶" and not t.play_button.isChecked()
    # hiding a hyperparameter frees room: the full names come back
    t.show_hypers(None, None)
    assert laid_out(narrow) == ["▶  Play", "Step +1", "■ Stop", "⟲ Reset"]
    assert laid_out(wide) == ["▶  Play", "Step +1", "■ Stop", "⟲ Reset"]


def test_defaults_that_depend_on_a_choice_follow_it_and_user_values_stay(qtbot):
    """An RBM's chains default is 32 per temperature with tempering and 100 with PCD: the
    settings follow the method while chains is at its default, and keep a value the user set;
    a kind switch brings the new kind's defaults for values left at the old kind's."""
    from boltzmann_lab.app.panels.config_panel import ConfigPanel
    from boltzmann_lab.config import default_config
    p = ConfigPanel()
    qtbot.addWidget(p)
    p.load(default_config("maxent", "sk"))
    assert p.cfg["training"]["chains"] == 1000 and p.cfg["training"]["learning_rate"] == 0.05
    kind = p.model_form.fields["kind"]
    kind.combo.setCurrentIndex(kind.items.index("rbm"))
    qtbot.wait(1)
    t = p.cfg["training"]
    assert (t["method"], t["chains"], t["learning_rate"]) == ("pt", 32, 0.02)
    p.set_value("training", "method", "pcd")
    assert p.cfg["training"]["chains"] == 100
    p.set_value("training", "chains", 64)
    p.set_value("training", "method", "pt")
    assert p.cfg["training"]["chains"] == 64
    assert p.config()["training"]["chains"] == 64
    p.set_value("training", "chains", 32)
    p.set_value("model", "hidden_units", "gaussian")       # the Hopfield RBM defaults to CD-1
    assert (p.cfg["training"]["method"], p.cfg["training"]["chains"]) == ("cd", 100)
