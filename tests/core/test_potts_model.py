"""The Potts model object, its Gibbs sampler, model files, the learner's resume and the
command line (train / sample / evaluate on an alignment)."""

import json

import numpy as np
import pytest

from boltzmann_lab import config
from boltzmann_lab.build import make_trainer
from boltzmann_lab.data.categorical_generators import random_potts
from boltzmann_lab.exact import potts as ex
from boltzmann_lab.io.modelio import ModelFileError, load_model, save_model
from boltzmann_lab.models.potts import PottsModel, PottsSampler, check_params


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("BOLTZMANN_LAB_CACHE", str(tmp_path / "cache"))


def test_gibbs_chains_have_the_exact_marginals():
    h, J = random_potts(4, 3, coupling=1.5, seed=3)
    s = PottsSampler(4, 3, 2000, seed=1)
    s.run(h, J, sweeps=50)
    p1, p2 = s.moments(h, J, sweeps=200)
    exact = ex.stats(h, J)
    # 2000 chains x 200 sweeps, autocorrelation τ ≲ 5 sweeps at this coupling: effective samples
    # ≥ 8·10⁴, SE ≤ sqrt(p(1-p)/8e4) ≤ 0.0018; 5 SE
    assert np.abs(p1 - exact.p1).max() < 5 * 0.0018
    assert np.abs(p2 - exact.p2).max() < 5 * 0.0018
    assert np.array_equal(p2, p2.transpose(1, 0, 3, 2))


def test_sampler_resumes_bit_for_bit():
    h, J = random_potts(5, 4, seed=2)
    a = PottsSampler(5, 4, 64, seed=7)
    a.run(h, J, sweeps=3)
    state = a.state_dict()
    a.run(h, J, sweeps=5)
    b = PottsSampler(5, 4, 64, seed=99)
    b.load_state_dict(state)
    b.run(h, J, sweeps=5)
    assert np.array_equal(a.states, b.states)


def test_params_are_validated():
    h, J = random_potts(3, 2, seed=1)
    bad = J.copy()
    bad[0, 1, 0, 1] += 1.0                     # breaks J[i, j] = J[j, i]ᵀ
    with pytest.raises(ValueError, match="J\\[j, i\\]"):
        check_params(h, bad)
    bad = J.copy()
    bad[1, 1, 0, 0] = 1.0
    with pytest.raises(ValueError, match="diagonal"):
        check_params(h, bad)
    with pytest.raises(ValueError, match="shape"):
        check_params(h, J[:, :, :1])


def test_model_file_round_trip_and_refusal(tmp_path):
    h, J = random_potts(4, 5, seed=6)
    m = PottsModel(h, J, alphabet="-ACGT")
    path = save_model(tmp_path / "m.npz", m)
    back = load_model(path)
    assert back.kind == "potts" and back.alphabet == "-ACGT"
    assert np.array_equal(back.h, m.h) and np.array_equal(back.J, m.J)
    X = back.sample(500, seed=1)
    assert X.shape == (500, 4) and X.min() >= 0 and X.max() < 5
    ev = back.evaluate(X)
    assert ev["ll_method"] == "exact" and ev["ll"] == pytest.approx(ex.log_likelihood(X, h, J))
    # an asymmetric J in a file is refused with a clear error, not used
    with np.load(path, allow_pickle=False) as f:
        arrays = {k: f[k] for k in f.files}
    arrays["J"][0, 1, 0, 1] += 1
    np.savez(tmp_path / "bad.npz", **arrays)
    with pytest.raises(ModelFileError, match="inconsistent.*J\\[j, i\\]"):
        load_model(tmp_path / "bad.npz")


def test_learner_session_resumes_bit_for_bit():
    cfg = config.resolve({"data": {"generator": "potts", "n": 4, "q": 3, "samples": 500},
                          "model": {"kind": "potts"},
                          "training": {"estimator": "mcmc", "chains": 50, "steps": 20}})
    a = make_trainer(cfg)
    for _ in range(5):
        a.step()
    state = a.state_dict()
    for _ in range(5):
        a.step()
    b = make_trainer(cfg)
    b.load_state_dict(state)
    for _ in range(5):
        b.step()
    assert np.array_equal(a.learner.params["J"], b.learner.params["J"])
    assert np.array_equal(a.learner.estimator.sampler.states, b.learner.estimator.sampler.states)


def test_group_l1_zeroes_whole_coupling_blocks():
    cfg = config.resolve({"data": {"generator": "potts", "n": 5, "q": 3, "samples": 2000,
                                   "coupling": 0.3},
                          "model": {"kind": "potts"},
                          "training": {"estimator": "exact", "l1": 0.02, "optimizer": "sgd",
                                       "learning_rate": 0.5, "steps": 400}})
    t = make_trainer(cfg)
    t.run()
    J = t.learner.params["J"]
    norms = np.sqrt((J ** 2).sum(axis=(2, 3)))[np.triu_indices(5, 1)]
    assert (norms == 0).sum() >= 1 and (norms > 0).sum() >= 1   # sparse in blocks, not empty
    assert t.learner._penalised_residual(t.learner.C.unpack(
        t.learner.obs_data - t.learner.C.observables(ex_freq(t.learner)), 3)) < 0.5


def ex_freq(L):
    from boltzmann_lab.learning.potts_constraints import ExactEstimator
    return ExactEstimator(L.n, L.q).frequencies(L.params["h"], L.params["J"])


def test_contact_restriction_keeps_other_blocks_zero(tmp_path):
    (tmp_path / "c.txt").write_text("# pairs\n0 1\n2, 3\n")
    cfg = config.resolve({"data": {"generator": "potts", "n": 4, "q": 3, "samples": 1000},
                          "model": {"kind": "potts", "pairs": "contacts",
                                    "contacts": str(tmp_path / "c.txt")},
                          "training": {"estimator": "pseudolikelihood", "steps": 5}})
    t = make_trainer(cfg)
    t.run()
    J = t.learner.params["J"]
    on = np.sqrt((J ** 2).sum(axis=(2, 3))) > 0
    assert on[0, 1] and on[2, 3] and on.sum() == 4


def test_cli_train_sample_evaluate_on_a_fasta(tmp_path, capsys):
    from boltzmann_lab.app.cli import main
    rng = np.random.default_rng(0)
    alphabet = "-ACGT"
    base = rng.integers(1, 5, size=4)
    seqs = []
    for _ in range(300):
        s = base.copy()
        s[rng.random(4) < 0.3] = rng.integers(0, 5)
        seqs.append("".join(alphabet[k] for k in s))
    fasta = tmp_path / "fam.fasta"
    fasta.write_text("".join(f">s{k}\n{s}\n" for k, s in enumerate(seqs)))
    (tmp_path / "run.toml").write_text(
        '[data]\npath = "fam.fasta"\nalphabet = "dna"\nvalidation_fraction = 0.2\n'
        '[model]\nkind = "potts"\n[training]\nsteps = 30\nl2 = 0.01\n')
    out = tmp_path / "run"
    assert main(["train", str(tmp_path / "run.toml"), "--out", str(out)]) == 0
    rows = [json.loads(r) for r in (out / "metrics.jsonl").read_text().splitlines()]
    assert "train_ll" in rows[0] and "val_ll" in rows[0]        # 5^4 states: exact likelihood
    resolved = (out / "config.toml").read_text()
    assert 'reweight = "auto"' in resolved and 'estimator = "pseudolikelihood"' in resolved
    assert main(["sample", str(out / "model.npz"), "-n", "50", "--out",
                 str(tmp_path / "s.npy")]) == 0
    S = np.load(tmp_path / "s.npy")
    assert S.shape == (50, 4) and S.min() >= 0 and S.max() <= 4
    capsys.readouterr()
    assert main(["evaluate", str(out / "model.npz"), str(fasta)]) == 0
    res = json.loads(capsys.readouterr().out)
    assert res["ll_method"] == "exact" and res["ll"] < 0 and res["samples"] == 300
    # data with letters outside the model's alphabet are refused (exit 2)
    (tmp_path / "other.fasta").write_text(">a\nACDE\n")
    assert main(["evaluate", str(out / "model.npz"), str(tmp_path / "other.fasta")]) == 2


def test_generators_record_their_truth():
    from boltzmann_lab.data.generators import generate
    raw = generate({"generator": "protein_family", "n": 24, "samples": 50, "strength": 0.6,
                    "sweeps": 5, "seed": 0})
    assert raw.convention == "categorical" and raw.x.shape == (50, 24)
    assert raw.meta["alphabet"] == "-ACDEFGHIKLMNPQRSTVWY" and len(raw.meta["contacts"]) >= 5
    i, j = raw.meta["contacts"].T
    assert np.all(j - i >= 6)
    lat = generate({"generator": "potts_lattice", "L": 8, "q": 4, "temperature": 0.5,
                    "samples": 3, "thin": 2, "algorithm": "heatbath", "seed": 0})
    assert lat.x.shape == (3, 64) and lat.image_shape == (8, 8) and lat.x.max() <= 3


def test_python_estimator_fits_scores_and_round_trips(tmp_path):
    import boltzmann_lab as bl
    h, J = random_potts(4, 3, coupling=1.0, seed=21)
    X = ex.sample_exact(h, J, 3000, seed=22)
    Xv = ex.sample_exact(h, J, 500, seed=23)
    m = bl.Potts(estimator="exact", optimizer="momentum", learning_rate=0.5, l2_fields=0.0,
                 progress=False).fit(X, X_val=Xv)
    assert m.converged_ and m.score_method_ == "exact" and m.J_.shape == (4, 4, 3, 3)
    assert "val_ll" in m.history_
    # at the ML fit the exact model reproduces the data's one-site frequencies
    p1 = ex.stats(m.h_, m.J_).p1
    f1 = np.stack([np.bincount(X[:, i], minlength=3) for i in range(4)]) / len(X)
    assert np.abs(p1 - f1).max() < 0.05 / np.sqrt(len(X))   # strict_tolerance × noise scale
    assert m.score(X) == pytest.approx(ex.log_likelihood(X, m.h_, m.J_))
    assert m.scores_.shape == (4, 4) and m.sample(10, seed=1).dtype == np.int64
    back = bl.load(m.save(tmp_path / "p.npz"))
    assert type(back) is bl.Potts and back.score(X) == pytest.approx(m.score(X))
    with pytest.raises(ValueError, match="states"):
        bl.Potts(states=2, progress=False).fit(X)               # X holds state 2
