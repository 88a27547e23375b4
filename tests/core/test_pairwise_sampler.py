"""PairwiseSampler: MCMC moments against exact enumeration, seeding, state round trip."""

import numpy as np
import pytest

from boltzmann_lab.exact import enumeration as en
from boltzmann_lab.kernels import pairwise as kern
from boltzmann_lab.models.pairwise import PairwiseSampler

from .pairwise_models import random_pairwise


def per_chain_averages(sampler, h, J, V, sweeps):
    """Time averages per chain of x_i, x_i x_j (i < j) and 1[K = k] over ``sweeps`` sweeps."""
    n, C = sampler.n, sampler.chains
    iu = np.triu_indices(n, 1)
    s1 = np.zeros((C, n))
    s2 = np.zeros((C, len(iu[0])))
    sk = np.zeros((C, n + 1))
    for _ in range(sweeps):
        sampler.run(h, J, V, sweeps=1)
        x = sampler.states
        s1 += x
        s2 += x[:, iu[0]] * x[:, iu[1]]
        sk[np.arange(C), (x > 0).sum(axis=1)] += 1
    return s1 / sweeps, s2 / sweeps, sk / sweeps


@pytest.mark.parametrize("method", ["gibbs", "metropolis"])
@pytest.mark.parametrize("convention", ["binary", "spin"])
@pytest.mark.parametrize("with_v", [False, True])
def test_mcmc_moments_match_enumeration(monkeypatch, method, convention, with_v):
    # tiles of 128 lanes: 300 chains fill three tiles, the last one padded
    monkeypatch.setattr(kern, "tile_size", lambda n, chains: 128)
    n, chains, burn, sweeps = 12, 300, 100, 150
    h, J, V = random_pairwise(n, seed=3 + with_v, with_v=with_v)
    exact = en.enumerate_stats(h, J, convention, V)
    sampler = PairwiseSampler(n, chains, convention, seed=11, method=method)
    sampler.run(h, J, V, sweeps=burn)
    twin = PairwiseSampler(n, chains, convention, seed=11, method=method)
    twin.load_state_dict(sampler.state_dict())

    # chains are independent, so the spread of per-chain time averages gives an honest SE
    a1, a2, ak = per_chain_averages(sampler, h, J, V, sweeps)
    iu = np.triu_indices(n, 1)
    for est, ref in ((a1, exact.mean), (a2, exact.second[iu]), (ak, exact.p_k)):
        mean = est.mean(axis=0)
        se = est.std(axis=0, ddof=1) / np.sqrt(chains)
        # a floor for moments that (almost) never fluctuate, e.g. P(K) of a K never visited
        z = np.abs(mean - ref) / np.maximum(se, 1e-3)
        assert z.max() < 5.0, (z.max(), np.argmax(z))

    # moments() on an identical twin must return exactly the averages of the same sweeps
    mean, second, p_k = twin.moments(h, J, V, sweeps=sweeps)
    np.testing.assert_allclose(mean, a1.mean(axis=0), atol=1e-12)
    np.testing.assert_allclose(second[iu], a2.mean(axis=0), atol=1e-12)
    np.testing.assert_allclose(second, second.T)
    np.testing.assert_allclose(np.diag(second), 1.0 if convention == "spin" else mean, atol=1e-12)
    np.testing.assert_allclose(p_k, ak.mean(axis=0), atol=1e-12)
    assert twin.n_measured == sweeps * chains
    np.testing.assert_allclose(twin.sum_x / twin.n_measured, mean)


def test_beta_scales_the_energy():
    """Sampling H at beta = 0.5 is sampling H / 2 at beta = 1 (same RNG stream, same chains)."""
    h, J, V = random_pairwise(6, seed=1, with_v=True)
    a = PairwiseSampler(6, 64, "spin", seed=2)
    b = PairwiseSampler(6, 64, "spin", seed=2)
    a.run(h, J, V, sweeps=20, beta=0.5)
    b.run(h / 2, J / 2, V / 2, sweeps=20)
    # float32 rounding of beta*f vs f/2 is identical for a factor of 2, so the chains agree exactly
    assert np.array_equal(a.states, b.states)


def test_tile_layout_does_not_change_chains(monkeypatch):
    h, J, V = random_pairwise(9, seed=4, with_v=True)
    a = PairwiseSampler(9, 200, "spin", seed=3)             # one tile
    monkeypatch.setattr(kern, "tile_size", lambda n, chains: 64)
    b = PairwiseSampler(9, 200, "spin", seed=3)             # four tiles, the last padded
    ma = a.moments(h, J, V, sweeps=7)
    mb = b.moments(h, J, V, sweeps=7)
    assert np.array_equal(a.states, b.states)
    for u, v in zip(ma, mb):
        assert np.array_equal(u, v)


def test_seeds_and_state_dict_round_trip():
    h, J, V = random_pairwise(10, seed=5, with_v=True)
    a = PairwiseSampler(10, 100, "binary", seed=7)
    b = PairwiseSampler(10, 100, "binary", seed=7)
    c = PairwiseSampler(10, 100, "binary", seed=8)
    for s in (a, b, c):
        s.run(h, J, V, sweeps=5)
    assert np.array_equal(a.states, b.states)
    assert not np.array_equal(a.states, c.states)

    a.moments(h, J, V, sweeps=3)
    saved = a.state_dict()
    a.run(h, J, V, sweeps=5)
    expected = a.states
    d = PairwiseSampler(10, 100, "binary", seed=999)
    d.load_state_dict(saved)
    d.run(h, J, V, sweeps=5)
    assert np.array_equal(d.states, expected)
    assert d.n_measured == 300
    with pytest.raises(ValueError, match="chains"):
        PairwiseSampler(10, 50, "binary", seed=0).load_state_dict(saved)


def test_init_and_set_states():
    s = PairwiseSampler(4, 3, "spin", seed=0, init=np.array([1.0, -1, 1, -1]))
    assert np.array_equal(s.states, np.tile([1.0, -1, 1, -1], (3, 1)))
    with pytest.raises(ValueError, match="may only hold"):
        s.set_states(np.zeros((3, 4)))
    with pytest.raises(ValueError, match="shape"):
        s.set_states(np.ones((2, 4)))
    with pytest.raises(ValueError, match="method"):
        PairwiseSampler(4, 3, "spin", seed=0, method="wolff")
    with pytest.raises(ValueError, match="units"):
        s.run(np.zeros(5), np.zeros((5, 5)))


def test_fast_exp_and_uniforms():
    x = np.linspace(-80, 80, 2001).astype(np.float32)
    got = np.array([kern.fast_exp(v) for v in x], dtype=np.float64)
    np.testing.assert_allclose(got, np.exp(x.astype(np.float64)), rtol=3e-7)
    S = kern.seed_rng(64, 0)
    u = np.zeros(64, np.float32)
    draws = []
    for _ in range(200):
        kern._uniforms(S, u)
        draws.append(u.copy())
    draws = np.concatenate(draws)
    assert 0.0 < draws.min() and draws.max() < 1.0
    # mean of 12 800 uniforms: SE = sqrt(1/12 / 12800) = 0.00255
    assert abs(draws.mean() - 0.5) < 5 * 0.00255


def test_states_round_trip_through_tiles(monkeypatch):
    monkeypatch.setattr(kern, "tile_size", lambda n, chains: 256)
    x = np.where(np.random.default_rng(0).random((600, 4)) < 0.3, 1.0, -1.0)
    s = PairwiseSampler(4, 600, "spin", seed=0, init=x)    # 3 tiles of 256 lanes, last padded
    assert np.array_equal(s.states, x)
    sd = s.state_dict()
    assert sd["x"].shape == (600, 4) and sd["rng"].shape == (4, 600)
    # measured K histogram counts only real chains, not the padding lanes
    mean, second, p_k = s.moments(np.zeros(4), np.zeros((4, 4)), sweeps=1)
    assert p_k.sum() == pytest.approx(1.0)
    assert s.n_measured == 600


WARM_UP_SCRIPT = """
import numpy as np
from boltzmann_lab.kernels import pairwise as kern
from boltzmann_lab.models.pairwise import PairwiseSampler, warm_up

def signatures():
    return {k: len(getattr(kern, k).signatures) for k in dir(kern)
            if hasattr(getattr(kern, k), "signatures")}

assert sum(signatures().values()) == 0, "fresh process: nothing compiled yet"
warm_up()
before = signatures()
assert before["run_sweeps"] >= 1, before
rng = np.random.default_rng(0)
J = np.triu(rng.normal(size=(7, 7)), 1)
J = J + J.T
for conv in ("spin", "binary"):
    for method in ("gibbs", "metropolis"):
        s = PairwiseSampler(7, 50, conv, seed=1, method=method)
        s.run(rng.normal(size=7), J, sweeps=2, beta=0.5)
        s.moments(rng.normal(size=7), J, rng.normal(size=8), sweeps=2)
        s.run(rng.normal(size=7), J, rng.normal(size=8), sweeps=1)
assert signatures() == before, (before, signatures())
print("ok")
"""


def test_warm_up_compiles_every_variant_run_and_moments_use():
    """In a fresh process (earlier tests compile the kernels here): after warm_up(), real calls of
    every convention/method/population variant compile nothing new."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    res = subprocess.run([sys.executable, "-c", WARM_UP_SCRIPT], cwd=root, capture_output=True,
                         text=True, timeout=600)
    assert res.returncode == 0 and res.stdout.strip() == "ok", res.stderr
