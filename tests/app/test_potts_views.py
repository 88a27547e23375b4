"""The Potts views: the alignment block shows exactly the states, the contact map rings the
top-ranked pairs and marks which are true, and a live Potts run in the window shows both."""

from __future__ import annotations

import numpy as np

from boltzmann_lab.app.views.alignment_view import GAP, AlignmentView, state_lut
from boltzmann_lab.app.views.contact_view import ContactMapView
from boltzmann_lab.learning.trainer import Snapshot

from .conftest import start, train


def _snap(views):
    return Snapshot(step=1, epoch=1.0, kind="potts", views=views, convention="categorical")


def test_alignment_block_draws_the_states_beside_each_other(qtbot):
    v = AlignmentView()
    qtbot.addWidget(v)
    data = np.array([[0, 1, 2, 3], [3, 2, 1, 0]])
    fant = np.array([[1, 1, 1, 1]])
    snap = _snap({"potts_data": data, "potts_fantasy": fant, "alphabet": np.array(list("-ACG"))})
    assert AlignmentView.accepts(snap)
    v.show_snapshot(snap)
    img = v.image.image
    assert np.array_equal(img[:2, :4], data)
    assert (img[:, 4:6] == GAP).all()                 # the white gap between the blocks
    assert np.array_equal(img[0, 6:10], fant[0]) and (img[1, 6:10] == GAP).all()
    assert "data | fantasy" in v.title_label.text()
    lut = state_lut(list("-ACDEFGHIKLMNPQRSTVWY"))
    assert tuple(lut[0]) == (225, 225, 225) and tuple(lut[255]) == (255, 255, 255)
    assert len({tuple(c) for c in state_lut([str(k) for k in range(10)])[:10]}) == 10


def test_contact_map_rings_the_top_pairs_and_checks_them_against_the_truth(qtbot):
    v = ContactMapView()
    qtbot.addWidget(v)
    n = 10
    S = np.zeros((n, n))
    truth = np.zeros((n, n), bool)
    for (i, j), s in {(0, 5): 3.0, (2, 8): 2.5, (1, 9): 2.0}.items():
        S[i, j] = S[j, i] = s
    for i, j in ((0, 5), (2, 8), (3, 7)):
        truth[i, j] = truth[j, i] = True
    v.show_snapshot(_snap({"contact_scores": S, "contacts_true": truth}))
    hx, hy = v.hits.getData()
    mx, my = v.misses.getData()
    assert sorted(zip(hy - 0.5, hx - 0.5)) == [(0, 5), (2, 8)]     # (row i, column j), i < j
    assert list(zip(my - 0.5, mx - 0.5)) == [(1, 9)]
    assert "precision 67%" in v.title_label.text()
    assert v.image.image.shape == (n, n)


def test_a_potts_run_shows_the_alignment_and_the_contact_map(window, qtbot):
    start(window, qtbot, {"data": {"generator": "potts", "n": 6, "q": 3, "samples": 400},
                          "model": {"kind": "potts"},
                          "training": {"estimator": "mcmc", "chains": 100, "steps": 50}})
    train(window, qtbot, 10)
    names = window.views.visible_names()
    assert {"alignment", "contacts", "moments", "curves"} <= set(names)
    assert "samples" not in names and "weights" not in names      # no binary-image views
