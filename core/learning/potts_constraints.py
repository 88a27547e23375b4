"""What a Potts MaxEnt model is asked to reproduce, and how the model side is estimated.

Constraints (``[model] constraints``): ``sites`` = one-site frequencies f_i(a) = ⟨δ(σ_i, a)⟩ (the
fields h_i(a) are their Lagrange multipliers) and ``pairs`` = two-site frequencies
f_ij(a, b) = ⟨δ(σ_i, a) δ(σ_j, b)⟩ (couplings J_ij(a, b)) for the pairs chosen by ``[model] pairs``:
``all``, ``mask`` (an (n, n) boolean .npy) or ``contacts`` (a file of index pairs, one ``i j`` per
line, 0-based, or an (K, 2) integer .npy).  Multipliers of unconstrained moments are exactly zero.

Data frequencies are weighted (sequence weights w_m, M_eff = Σ w_m) and smoothed with a
pseudocount λ (bmDCA/plmDCA convention):

    f_i(a) = (1 − λ) f_i^data(a) + λ / q,     f_ij(a, b) = (1 − λ) f_ij^data(a, b) + λ / q²  (i ≠ j).

Model frequencies come from an estimator: :class:`ExactEstimator` (enumeration, q^n ≤ 2^24) or
:class:`MCMCEstimator` (persistent Gibbs chains).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from boltzmann_lab.exact import potts as _exact


@dataclass
class Frequencies:
    """p1 (n, q) one-site and p2 (n, n, q, q) two-site frequencies (p2[j, i] = p2[i, j]ᵀ,
    diagonal blocks diag(p1_i))."""

    p1: np.ndarray
    p2: np.ndarray

    @classmethod
    def nan(cls, n, q):
        return cls(np.full((n, q), np.nan), np.full((n, n, q, q), np.nan))


def data_frequencies(X, q, weights=None, pseudocount=0.0) -> Frequencies:
    """Weighted one- and two-site frequencies of integer states X (M, n) with a pseudocount."""
    from boltzmann_lab.kernels import potts as kern
    from boltzmann_lab.models.potts import pair_frequencies
    X = np.ascontiguousarray(X, dtype=np.int8)
    M, n = X.shape
    w = np.ones(M) if weights is None else np.ascontiguousarray(weights, dtype=np.float64)
    c1 = np.zeros((n, q))
    c2 = np.zeros((n, q, n, q))
    kern.count_pairs(X, w, c1, c2)
    p1, p2 = pair_frequencies(c1, c2, float(w.sum()))
    lam = float(pseudocount)
    if lam:
        p1 = (1 - lam) * p1 + lam / q
        p2 = (1 - lam) * p2 + lam / q ** 2
        for i in range(n):
            p2[i, i] = np.diag(p1[i])
    return Frequencies(p1, p2)


def load_contacts(source, n) -> np.ndarray:
    """A contact list as an (n, n) symmetric boolean mask: a path to a text file (``i j`` per line,
    0-based, ``#`` comments) or an (K, 2) integer ``.npy``, or an array of pairs.  Raises
    ``ValueError`` naming the file, line and problem."""
    where = "contact list"
    if isinstance(source, (str, Path)):
        path = Path(source)
        where = f"contact list {path}"
        if not path.is_file():
            raise ValueError(f"{where}: no such file")
        if path.stat().st_size > 50_000_000:
            raise ValueError(f"{where}: the file is too large for a contact list (> 50 MB)")
        if path.suffix.lower() == ".npy":
            try:
                pairs = np.load(path, allow_pickle=False)
            except (ValueError, OSError) as exc:
                raise ValueError(f"{where}: not a plain .npy array ({exc})") from None
        else:
            rows = []
            for no, line in enumerate(path.read_text(encoding="utf-8", errors="replace")
                                      .splitlines(), 1):
                line = line.split("#", 1)[0].replace(",", " ").strip()
                if not line:
                    continue
                parts = line.split()
                if len(parts) < 2 or not all(p.lstrip("-").isdigit() for p in parts[:2]):
                    raise ValueError(f"{where}, line {no}: expected two integer site indices "
                                     f"'i j', got {line[:60]!r}")
                rows.append((int(parts[0]), int(parts[1])))
            pairs = np.array(rows, dtype=np.int64).reshape(-1, 2)
    else:
        pairs = np.asarray(source)
    if pairs.ndim != 2 or pairs.shape[1] != 2 or pairs.dtype.kind not in "iu":
        raise ValueError(f"{where}: must be integer pairs of shape (K, 2), got {pairs.shape} "
                         f"{pairs.dtype}")
    if pairs.size and (pairs.min() < 0 or pairs.max() >= n):
        raise ValueError(f"{where}: site indices must lie in 0..{n - 1} (0-based) for data "
                         f"with {n} sites")
    if np.any(pairs[:, 0] == pairs[:, 1]):
        raise ValueError(f"{where}: a pair (i, i) is not a contact")
    mask = np.zeros((n, n), bool)
    mask[pairs[:, 0], pairs[:, 1]] = True
    return mask | mask.T


class PottsConstraints:
    """``sites`` (constrain f_i), ``pairs`` (n, n) symmetric boolean mask with a False diagonal."""

    def __init__(self, sites: bool, pairs: np.ndarray):
        self.sites = bool(sites)
        self.pairs = np.asarray(pairs, dtype=bool)
        self.iu, self.ju = np.nonzero(np.triu(self.pairs, 1))
        self.pair_float = self.pairs.astype(np.float64)[:, :, None, None]

    @property
    def n(self):
        return self.pairs.shape[0]

    @property
    def n_pairs(self):
        return len(self.iu)

    @classmethod
    def from_config(cls, model_cfg, n):
        names = list(model_cfg.get("constraints", ["sites", "pairs"]))
        if not names:
            raise ValueError("[model] constraints is empty: choose 'sites', 'pairs' or both")
        mask = np.zeros((n, n), bool)
        if "pairs" in names:
            how = model_cfg.get("pairs", "all")
            if how == "all":
                mask = ~np.eye(n, dtype=bool)
            elif how == "mask":
                if not model_cfg.get("mask"):
                    raise ValueError("pairs = 'mask' needs [model] mask = 'file.npy' (a boolean "
                                     "(n, n) array)")
                from boltzmann_lab.learning.constraints import load_mask
                mask = load_mask(model_cfg["mask"], n)
            elif how == "contacts":
                if not model_cfg.get("contacts"):
                    raise ValueError("pairs = 'contacts' needs [model] contacts = 'FILE' (one "
                                     "'i j' pair of 0-based site indices per line)")
                mask = load_contacts(model_cfg["contacts"], n)
            else:
                raise ValueError(f"unknown pairs {how!r}; choose 'all', 'mask' or 'contacts'")
        return cls("sites" in names, mask)

    def observables(self, F: Frequencies) -> np.ndarray:
        """The constrained frequencies as one vector [f_i(a) …, f_ij(a, b) for i<j in the mask]."""
        parts = [F.p1.ravel()] if self.sites else []
        parts.append(F.p2[self.iu, self.ju].ravel())
        return np.concatenate(parts)

    def connected(self, F: Frequencies) -> np.ndarray:
        """c_ij(a, b) = f_ij(a, b) − f_i(a) f_j(b) over the constrained pairs, flattened."""
        p1 = F.p1
        return (F.p2[self.iu, self.ju] - p1[self.iu][:, :, None] * p1[self.ju][:, None, :]).ravel()

    def noise(self, F: Frequencies, M_eff) -> np.ndarray:
        """δ_O = sqrt(var(O) / M_eff) for each observable, var = f (1 − f) floored at 1/M_eff."""
        f = self.observables(F)
        return np.sqrt(np.maximum(f * (1 - f), 1.0 / M_eff) / M_eff)

    def unpack(self, delta, q):
        """Gradient dict {h (n, q), J (n, n, q, q) with J[j, i] = J[i, j]ᵀ} from a vector of
        observable differences laid out like :meth:`observables`."""
        n = self.n
        g = {"h": np.zeros((n, q)), "J": np.zeros((n, n, q, q))}
        k = 0
        if self.sites:
            g["h"] = delta[:n * q].reshape(n, q).copy()
            k = n * q
        blocks = delta[k:k + self.n_pairs * q * q].reshape(-1, q, q)
        g["J"][self.iu, self.ju] = blocks
        g["J"][self.ju, self.iu] = blocks.transpose(0, 2, 1)
        return g

    def describe(self):
        parts = (["one-site"] if self.sites else []) + ([f"{self.n_pairs} pairs"]
                                                        if self.n_pairs else [])
        return ", ".join(parts) or "nothing"


class ExactEstimator:
    """Model frequencies by enumerating all q^n states (deterministic)."""

    name = "exact"

    def __init__(self, n, q):
        if not _exact.feasible(n, q):
            raise ValueError(f"estimator 'exact' enumerates all q^n states and handles at most "
                             f"{_exact.MAX_STATES} of them; this data has q^n = {q}^{n}: use "
                             f"'mcmc' or 'pseudolikelihood'")
        self.n, self.q = n, q

    def frequencies(self, h, J) -> Frequencies:
        if not (np.isfinite(h).all() and np.isfinite(J).all()):
            return Frequencies.nan(self.n, self.q)
        s = _exact.stats(h, J)
        return Frequencies(s.p1, s.p2)

    def state_dict(self):
        return {}

    def load_state_dict(self, state):
        pass


class MCMCEstimator:
    """Model frequencies from persistent Gibbs chains (:class:`boltzmann_lab.models.potts.PottsSampler`).

    ``chains`` chains start at data rows drawn with ``seed`` and are never re-initialised; each
    call advances them ``sweeps`` sweeps at the current parameters and returns the averages over
    chains and those sweeps.  Random: the chains' RNG streams (seeded).
    """

    name = "mcmc"

    def __init__(self, n, q, chains, sweeps, seed, init_data):
        from boltzmann_lab.models.potts import PottsSampler
        rng = np.random.default_rng(seed)
        self.n, self.q, self.sweeps = n, q, int(sweeps)
        self.chains = int(chains)
        self.sampler = PottsSampler(n, q, int(chains), int(rng.integers(2 ** 63)))
        rows = rng.integers(0, len(init_data), size=int(chains))
        self.sampler.set_states(np.asarray(init_data[rows], dtype=np.int64))

    def frequencies(self, h, J) -> Frequencies:
        if not (np.isfinite(h).all() and np.isfinite(J).all()):
            return Frequencies.nan(self.n, self.q)
        # the learner keeps J[i, j] = J[j, i]ᵀ exactly: skip the O(n² q²) re-validation
        return Frequencies(*self.sampler.moments(h, J, sweeps=self.sweeps, check=False))

    def state_dict(self):
        return {f"sampler/{k}": v for k, v in self.sampler.state_dict().items()}

    def load_state_dict(self, state):
        self.sampler.load_state_dict({k[len("sampler/"):]: v for k, v in state.items()
                                      if k.startswith("sampler/")})


def exact_ll_live(n, q) -> bool:
    """``evaluate()`` reports exact log-likelihoods: the q^n states can be enumerated
    (:func:`boltzmann_lab.exact.potts.feasible`) within a live run's cap by the cost model
    (``cost.LIVE_EVAL_SECONDS``; e.g. 4^12 = 2^24 states: ~0.4 s)."""
    from boltzmann_lab.exact.potts import feasible
    from boltzmann_lab.learning import cost
    return feasible(n, q) and _enum_seconds(n, q) <= cost.LIVE_EVAL_SECONDS


def _enum_seconds(n, q):
    from boltzmann_lab.learning import cost
    return cost.enumeration_seconds(n, (n - n // 2) * q + 1, "potts", q)


def evaluation_cost(learner) -> float:
    """A Potts learner's ``evaluate()`` in units of one step by the a-priori cost model
    (:mod:`boltzmann_lab.learning.cost`): exact log Z and data energies, or pseudo-log-
    likelihoods, plus exact marginals for the pseudo-likelihood fit and the contact scores;
    the step enumerates the marginals (exact), runs ``chains x sweeps x n`` site updates of q
    states (mcmc), or passes over the data (pseudo-likelihood)."""
    from boltzmann_lab.learning import cost
    n, q = learner.n, learner.q
    rows = len(learner.train) + len(learner.val)
    if exact_ll_live(n, q):
        t = _enum_seconds(n, q) + cost.seconds(elements=rows * n * n)
    else:
        t = cost.seconds(muladds=rows * n * n * q, elements=2 * rows * n * q)
    est = learner.estimator
    if est is None and exact_ll_live(n, q):
        t += 2 * _enum_seconds(n, q)
    t += cost.seconds(elements=3 * n * n * q * q)
    if isinstance(est, ExactEstimator):
        step = cost.step_seconds(elements=n * n * q * q) + 2 * _enum_seconds(n, q)
    elif isinstance(est, MCMCEstimator):
        updates = est.chains * est.sweeps * n
        step = cost.step_seconds(muladds=updates * n * q, samples=updates * q,
                                 elements=n * n * q * q)
    else:
        M = len(learner.train)
        step = cost.step_seconds(muladds=3 * M * n * n * q, elements=3 * M * n * q, calls=50)
    return cost.ratio(t, step)
