"""Hopfield networks: storage rules against their literal formulas, dynamics, exact probabilities,
capacity (acceptance figures of issue 4), the learner and the model protocol."""

import itertools

import numpy as np
import pytest

from boltzmann_lab.exact import enumeration
from boltzmann_lab.config import resolve
from boltzmann_lab.data.dataset import Dataset
from boltzmann_lab.models.hopfield import (HopfieldModel, hebbian, pseudoinverse, run_dynamics, storkey,
                                          to_spins)
from boltzmann_lab.stats.autocorr import integrated_autocorr_time
from boltzmann_lab.learning.hopfield import HopfieldLearner, make_learner
from boltzmann_lab.sweeps.capacity import capacity_sweep
from boltzmann_lab.learning.trainer import Trainer


def random_patterns(P, n, seed):
    return 2.0 * np.random.default_rng(seed).integers(0, 2, size=(P, n)) - 1.0


def all_states(n):
    return np.array(list(itertools.product([-1.0, 1.0], repeat=n)))


def sk_model(n, seed, beta=1.0, field=0.3):
    rng = np.random.default_rng(seed)
    J = rng.normal(0, beta / np.sqrt(n), (n, n))
    J = np.triu(J, 1)
    J = J + J.T
    return HopfieldModel(np.zeros((0, n)), J, field * rng.normal(size=n))


# ------------------------------------------------------------------------------ storage rules
def test_hebbian_matches_definition():
    xi = random_patterns(3, 9, 0)
    J = hebbian(xi)
    for i in range(9):
        for j in range(9):
            want = 0.0 if i == j else sum(x[i] * x[j] for x in xi) / 9
            assert J[i, j] == pytest.approx(want, abs=1e-14)


def test_storkey_matches_literal_rule():
    """Storkey (1997): w_ij += (1/n)(xi_i xi_j - xi_i h_ji - h_ij xi_j),
    h_ij = sum_{k != i,j} w_ik xi_k, transcribed literally with loops."""
    n, P = 7, 4
    xi = random_patterns(P, n, 1)
    w = np.zeros((n, n))
    for x in xi:
        hh = np.array([[sum(w[i, k] * x[k] for k in range(n) if k != i and k != j)
                        for j in range(n)] for i in range(n)])
        new = w.copy()
        for i in range(n):
            for j in range(n):
                if i != j:
                    new[i, j] = w[i, j] + (x[i] * x[j] - x[i] * hh[j, i] - hh[i, j] * x[j]) / n
        w = new
    J = storkey(xi)
    np.testing.assert_allclose(J, w, atol=1e-13)
    assert np.array_equal(J, J.T) and not np.diag(J).any()


def test_pseudoinverse_is_projection_with_zero_diagonal():
    n, P = 40, 12
    xi = random_patterns(P, n, 2)
    J = pseudoinverse(xi)
    proj = xi.T @ np.linalg.solve(xi @ xi.T, xi)          # projector onto span of the patterns
    np.testing.assert_allclose(J + np.diag(np.diag(proj)), proj, atol=1e-12)
    assert np.allclose(J, J.T) and not np.diag(J).any()
    # zero diagonal: J xi = (1 - P_ii) xi_i, and P_ii < 1, so every pattern is a fixed point
    assert HopfieldModel(xi, J).fixed_points().all()
    # repeated patterns span the same space: the same projector
    np.testing.assert_allclose(pseudoinverse(np.concatenate([xi, xi[:3]])), J, atol=1e-12)
    # more patterns than units: they span everything, the projector is I, J = 0
    np.testing.assert_allclose(pseudoinverse(random_patterns(50, 20, 3)), 0.0, atol=1e-12)


def test_to_spins_conventions_and_errors():
    np.testing.assert_array_equal(to_spins([[0, 1, 1]]), [[-1, 1, 1]])
    np.testing.assert_array_equal(to_spins([[-1, 1, 1]]), [[-1, 1, 1]])
    with pytest.raises(ValueError, match="binarize"):
        to_spins([[0.2, 1.0]])


# ------------------------------------------------------------------------------ energy, exact
def test_energy_and_exact_probabilities_against_brute_force():
    m = sk_model(8, 3)
    S = all_states(8)
    brute = np.array([-sum(m.J[i, j] * s[i] * s[j] for i in range(8) for j in range(i + 1, 8))
                      - m.h @ s for s in S])
    np.testing.assert_allclose(m.energy(S), brute, atol=1e-12)
    log_z = np.log(np.exp(-brute).sum())
    assert m.log_partition() == pytest.approx(log_z, abs=1e-10)
    assert m.log_partition() == pytest.approx(enumeration.log_z(m.h, m.J, "spin"), abs=1e-10)
    np.testing.assert_allclose(m.log_prob(S[:5]), -brute[:5] - log_z, atol=1e-10)
    # pseudo-likelihood: log p(s_i | rest) = log[p(s) / (p(s) + p(s with unit i flipped))]
    x = S[[3, 77, 200]]
    want = []
    for s in x:
        tot = 0.0
        for i in range(8):
            f = s.copy()
            f[i] = -f[i]
            e0, e1 = m.energy(s), m.energy(f)
            tot += -np.logaddexp(0.0, e0 - e1)
        want.append(tot)
    assert m.pll(x) == pytest.approx(np.mean(want), abs=1e-12)
    ev = m.evaluate((x + 1) / 2)                          # binary input is converted by 2x - 1
    assert ev["ll_method"] == "exact"
    assert ev["ll"] == pytest.approx(np.mean(-m.energy(x) - log_z), abs=1e-10)


def test_heat_bath_async_samples_boltzmann_distribution():
    """Asynchronous heat bath at T = 2 vs exact moments and energy of p ~ exp(-E/2); 5 SE with
    measured tau (a 5 % temperature error fails the energy check by 8 SE)."""
    m = sk_model(8, 4, beta=1.5)
    T = 2.0
    stats = enumeration.enumerate_stats(m.h / T, m.J / T, "spin")
    chains, sweeps = 64, 400
    S = 2.0 * np.random.default_rng(0).integers(0, 2, size=(chains, 8)) - 1.0
    lanes = np.random.default_rng(1).integers(1, 2**63, size=chains, dtype=np.uint64)
    run_dynamics(m.J, m.h, S, "async", T, 50, stop=False, rng_states=lanes)     # burn-in
    trace = np.empty((sweeps, chains, 8))
    for t in range(sweeps):
        run_dynamics(m.J, m.h, S, "async", T, 1, stop=False, rng_states=lanes)
        trace[t] = S
    for i in range(8):
        series = trace[:, :, i].T
        tau = integrated_autocorr_time(series)
        se = np.sqrt(series.var() * tau / series.size)
        assert abs(series.mean() - stats.mean[i]) < 5 * se
    # the correlations <s_i s_j> too (the means alone barely feel a wrong temperature here)
    for i, j in zip(*np.triu_indices(8, 1)):
        series = (trace[:, :, i] * trace[:, :, j]).T
        se = np.sqrt(series.var() * integrated_autocorr_time(series) / series.size)
        assert abs(series.mean() - stats.second[i, j]) < 5 * se, (i, j)
    # and the energy, which sums every term and is the most sensitive to the temperature
    iu = np.triu_indices(8, 1)
    exact_e = -(m.h @ stats.mean + m.J[iu] @ stats.second[iu])
    series = m.energy(trace.reshape(-1, 8)).reshape(sweeps, chains).T
    se = np.sqrt(series.var() * integrated_autocorr_time(series) / series.size)
    assert abs(series.mean() - exact_e) < 5 * se


def test_sync_heat_bath_samples_little_model_distribution():
    """Synchronous heat bath (Little dynamics) is not Boltzmann: its stationary law is
    pi(s) ~ exp(h.s/T) prod_i cosh(H_i(s)/T) (Peretto 1984; detailed balance holds because
    pi(s) P(s'|s) ~ exp((s'^T J s + h.s + h.s')/T) is symmetric).  Means and energy within 5 SE."""
    m = sk_model(7, 10, beta=1.5, field=0.5)
    T = 1.5
    S_all = all_states(7)
    logpi = S_all @ m.h / T + np.log(np.cosh((S_all @ m.J + m.h) / T)).sum(axis=1)
    pi = np.exp(logpi - logpi.max())
    pi /= pi.sum()
    exact = pi @ S_all
    boltz = enumeration.enumerate_stats(m.h / T, m.J / T, "spin").mean
    assert np.abs(exact - boltz).max() > 0.05           # the two laws really differ here
    chains, sweeps = 64, 400
    S = 2.0 * np.random.default_rng(0).integers(0, 2, size=(chains, 7)) - 1.0
    lanes = np.random.default_rng(1).integers(1, 2**63, size=chains, dtype=np.uint64)
    run_dynamics(m.J, m.h, S, "sync", T, 50, stop=False, rng_states=lanes)
    trace = np.empty((sweeps, chains, 7))
    for t in range(sweeps):
        run_dynamics(m.J, m.h, S, "sync", T, 1, stop=False, rng_states=lanes)
        trace[t] = S
    for i in range(7):
        series = trace[:, :, i].T
        se = np.sqrt(series.var() * integrated_autocorr_time(series) / series.size)
        assert abs(series.mean() - exact[i]) < 5 * se
    # the mean energy under pi (enumerated), the observable most sensitive to the temperature
    series = m.energy(trace.reshape(-1, 7)).reshape(sweeps, chains).T
    se = np.sqrt(series.var() * integrated_autocorr_time(series) / series.size)
    assert abs(series.mean() - pi @ m.energy(S_all)) < 5 * se


def test_model_sample_exact_and_mcmc():
    m = sk_model(6, 5)
    stats = enumeration.enumerate_stats(m.h, m.J, "spin")
    x = m.sample(4000, seed=0)                             # n <= 20, T = 1: exact draws
    se = np.sqrt((1 - stats.mean ** 2) / len(x))
    assert np.all(np.abs(x.mean(0) - stats.mean) < 5 * se)
    np.testing.assert_array_equal(x, m.sample(4000, seed=0))
    y = m.sample(2000, seed=1, sweeps=30, method="mcmc")      # independent heat-bath chains
    se = np.sqrt((1 - stats.mean ** 2) / len(y))
    assert np.all(np.abs(y.mean(0) - stats.mean) < 5 * se)


# ------------------------------------------------------------------------------ recall
def test_async_zero_temperature_energy_never_increases_and_ends_at_fixed_point():
    xi = random_patterns(30, 200, 6)                      # alpha = 0.15: a rough landscape
    m = HopfieldModel.from_patterns(xi, "hebbian")
    for seed in range(3):
        r = m.recall(m.noisy_cue(seed, 0.3, seed), "async", 0.0, max_sweeps=200, seed=seed)
        assert np.all(np.diff(r.energy) <= 1e-12)
        assert r.status == 1 and m.fixed_points(r.state)[0]
        assert r.overlaps.shape == (r.sweeps + 1, 30)
        np.testing.assert_allclose(r.overlaps[-1], xi @ r.state / 200)


def test_sync_zero_temperature_reaches_fixed_point_or_two_cycle():
    sk = sk_model(60, 7, beta=1.0, field=0.0)            # SK couplings: 2-cycles are common
    heb = HopfieldModel.from_patterns(random_patterns(3, 60, 7))   # low load: fixed points
    statuses = set()
    for m in (sk, heb):
        for seed in range(4):
            s0 = 2.0 * np.random.default_rng(seed).integers(0, 2, 60) - 1.0
            r = m.recall(s0, "sync", 0.0, max_sweeps=500, seed=seed)
            assert r.status in (1, 2)
            statuses.add(r.status)

            def sync(s):                                 # independent numpy sync update
                H = m.J @ s + m.h
                return np.where(H > 1e-12, 1.0, np.where(H < -1e-12, -1.0, s))
            s1 = sync(r.state)
            if r.status == 1:
                np.testing.assert_array_equal(s1, r.state)
            else:
                assert not np.array_equal(s1, r.state)
                np.testing.assert_array_equal(sync(s1), r.state)
    assert statuses == {1, 2}, "this seeded set exercises both outcomes"


def test_noisy_cue_flips_exact_fraction():
    m = HopfieldModel.from_patterns(random_patterns(3, 100, 8))
    c = m.noisy_cue(1, 0.1, 0)
    assert np.sum(c != m.patterns[1]) == 10


def test_capacity_acceptance_n500():
    """Issue 4 acceptance: N = 500, 10 % cue, asynchronous T = 0 recall (mean over all patterns)."""
    heb = capacity_sweep(500, [0.10, 0.20], "hebbian", cue_noise=0.1, seed=0)
    pinv = capacity_sweep(500, [0.30], "pseudoinverse", cue_noise=0.1, seed=0)
    stk = capacity_sweep(500, [0.15], "storkey", cue_noise=0.1, seed=0)
    print("hebbian", heb["alpha"], heb["mean_overlap"], heb["se"])
    print("pseudoinverse", pinv["alpha"], pinv["mean_overlap"])
    print("storkey", stk["alpha"], stk["mean_overlap"])
    assert heb["mean_overlap"][0] >= 0.97
    assert heb["mean_overlap"][1] < 0.6
    assert pinv["mean_overlap"][0] >= 0.97
    assert stk["mean_overlap"][0] >= 0.97
    assert list(heb["P"]) == [50, 100]


# ------------------------------------------------------------------------------ learner
def _learner(n=64, P=4, seed=0, **model):
    x = np.random.default_rng(seed).integers(0, 2, (P, n)).astype(float)
    ds = Dataset(x[:-1], x[-1:], "binary", (8, 8), "test")
    cfg = resolve({"data": {"generator": "patterns"},
                   "model": {"kind": "hopfield", **model}, "training": {"seed": 3}})
    return make_learner(cfg, ds), 2 * x - 1


def test_learner_recalls_cued_pattern_and_converges():
    L, xi = _learner(cue=2, cue_noise=0.2)
    np.testing.assert_array_equal(L.model.patterns, xi)          # train + val rows, as spins
    assert np.sum(L.state != xi[2]) == round(0.2 * 64)
    snap = Trainer(L, max_steps=50).run()
    assert "fixed point" in snap.message
    assert snap.metrics["overlap"] == 1.0 and snap.convention == "spin"
    assert set(snap.views) >= {"state", "overlaps", "data", "couplings"}
    assert snap.views["overlaps"].shape == (4,) and snap.image_shape == (8, 8)
    others = np.abs(xi[[0, 1, 3]] @ xi[2]).max() / 64
    assert snap.metrics["max_overlap_other"] == pytest.approx(others)


def test_learner_sync_two_cycle_stops_with_message():
    m = HopfieldModel(random_patterns(3, 60, 1), sk_model(60, 7, field=0.0).J)
    L = HopfieldLearner(m, update="sync", cue=0, cue_noise=0.0, seed=0)
    snap = Trainer(L, max_steps=500).run()
    assert "2-cycle" in snap.message and snap.step < 500


def test_learner_edit_recue_and_hypers():
    L, xi = _learner(cue=0, cue_noise=0.0)
    L.apply_edit([0, 1, 2], [0, 0, 1])                    # binary values are drawn as spins
    np.testing.assert_array_equal(L.state[:3], [-1, -1, 1])
    L.set_hyper("cue", 1)
    np.testing.assert_array_equal(L.state, xi[1])
    L.set_hyper("cue_noise", 0.25)                        # a new noisy cue of the same pattern
    assert np.sum(L.state != xi[1]) == 16
    with pytest.raises(ValueError, match="cue_noise"):
        L.set_hyper("cue_noise", 1.5)
    L.set_hyper("update", "sync")
    L.set_hyper("temperature", 0.5)
    assert L.converged() is None
    with pytest.raises(ValueError, match="cue"):
        L.set_hyper("cue", 9)
    with pytest.raises(KeyError, match="learning_rate"):
        L.set_hyper("learning_rate", 0.1)
    with pytest.raises(ValueError, match="update"):
        L.set_hyper("update", "random")


def test_learner_state_dict_round_trip_bit_for_bit():
    for update in ("async", "sync"):
        L, _ = _learner(cue=1, cue_noise=0.3, temperature=0.7, update=update)
        for _ in range(3):
            L.step()
        saved = L.state_dict()
        ref = [L.step() for _ in range(4)]
        ref_state = L.state.copy()
        M, _ = _learner(cue=0, cue_noise=0.1, temperature=0.0)
        M.load_state_dict(saved)
        assert [M.step() for _ in range(4)] == ref
        np.testing.assert_array_equal(M.state, ref_state)


def test_learner_rejects_real_data():
    ds = Dataset(np.random.default_rng(0).normal(size=(3, 10)), np.zeros((0, 10)), "real")
    cfg = resolve({"data": {"generator": "patterns"}, "model": {"kind": "hopfield"}})
    with pytest.raises(ValueError, match="binarize"):
        make_learner(cfg, ds)


# ------------------------------------------------------------------------------ model protocol
def test_model_arrays_round_trip_and_large_evaluate():
    xi = random_patterns(5, 30, 9)
    m = HopfieldModel.from_patterns(xi, "storkey")
    meta, arrays = m.to_arrays()
    m2 = HopfieldModel.from_arrays(meta, arrays)
    for k in ("patterns", "J", "h"):
        np.testing.assert_array_equal(getattr(m2, k), getattr(m, k))
    assert m2.rule == "storkey"
    ev = m2.evaluate(xi)
    assert ev["ll_method"] == "pseudo" and ev["ll"] == ev["pll"]
    assert ev["mean_overlap"] == 1.0 and ev["stable_patterns"] == 1.0
    bare = HopfieldModel.from_arrays({}, {"J": m.J})             # h and patterns are optional
    assert bare.n_patterns == 0 and not bare.h.any()
    assert bare.evaluate(xi)["pll"] == pytest.approx(ev["pll"])
    with pytest.raises(ValueError, match="symmetric"):
        HopfieldModel(xi, np.triu(np.ones((30, 30)), 1))


# ------------------------------------------------------------------ recall unit by unit (GUI pace)
@pytest.mark.parametrize("k", [1, 7, 400])
def test_units_per_step_cuts_sweeps_into_pieces_without_changing_the_dynamics(k):
    """A sweep done k units per step visits the same random order with the same rule as one whole
    asynchronous sweep from the same generator state: after ceil(n/k) steps the states agree
    exactly (T = 0), sweep by sweep, and recall ends at the same fixed point."""
    rng = np.random.default_rng(5)
    xi = np.where(rng.random((6, 400)) < 0.5, 1.0, -1.0)
    whole = HopfieldLearner(HopfieldModel.from_patterns(xi, "pseudoinverse", "spin"), cue=2,
                            cue_noise=0.3, seed=11)
    pieces = HopfieldLearner(HopfieldModel.from_patterns(xi, "pseudoinverse", "spin"), cue=2,
                             cue_noise=0.3, seed=11, units_per_step=k)
    np.testing.assert_array_equal(whole.state, pieces.state)
    per_sweep = -(-400 // k)
    for sweep in range(1, 4):
        whole.step()
        for i in range(per_sweep):
            m = pieces.step()
            assert pieces.total_sweeps == sweep - (i < per_sweep - 1)
            assert 0.0 <= m["flips"] <= k / 400
        np.testing.assert_array_equal(whole.state, pieces.state)
        assert (whole.converged() is None) == (pieces.converged() is None)
    assert pieces.converged() is not None and abs(pieces.step()["overlap"]) == 1.0


def test_units_per_step_survives_a_session_round_trip_mid_sweep():
    xi = np.where(np.random.default_rng(2).random((4, 100)) < 0.5, 1.0, -1.0)
    a = HopfieldLearner(HopfieldModel.from_patterns(xi, "hebbian", "spin"), cue=1,
                        cue_noise=0.2, seed=4, units_per_step=9)
    for _ in range(5):
        a.step()
    b = HopfieldLearner(HopfieldModel.from_patterns(xi, "hebbian", "spin"), cue=0,
                        cue_noise=0.0, seed=99)
    b.load_state_dict(a.state_dict())
    for _ in range(30):
        a.step()
        b.step()
    np.testing.assert_array_equal(a.state, b.state)
    assert b.units_per_step == 9 and a.total_sweeps == b.total_sweeps
