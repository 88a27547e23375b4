"""Hopfield networks: storage rules, recall dynamics, capacity sweep, the ``hopfield`` learner,
and the equivalence with an RBM with Gaussian hidden units.

Convention: spins s_i in {-1, +1} (``convention = "spin"``).  Stored patterns xi^mu (P, n) are
spins too; binary {0,1} data are converted by s = 2x - 1 (:func:`to_spins`).  The energy is the
project's pairwise energy (a sum, not a mean)::

    E(s) = -sum_{i<j} J_ij s_i s_j - sum_i h_i s_i = -1/2 s^T J s - h^T s,

J symmetric with zero diagonal.  Overlaps m_mu(s) = (1/n) sum_i xi^mu_i s_i lie in [-1, 1].

Storage rules (all return a symmetric J with zero diagonal):

* ``hebbian``: J = (1/n) sum_mu xi^mu xi^mu^T.
* ``storkey`` (Storkey 1997), patterns added one at a time:
  J_ij += (1/n) [xi_i xi_j - xi_i h_ji - h_ij xi_j],  h_ij = sum_{k != i,j} J_ik xi_k.
* ``pseudoinverse`` (projection rule): J = (1/n) Xi^T C^+ Xi with C = Xi Xi^T / n (P x P), i.e.
  the orthogonal projector onto the span of the patterns, diagonal then set to zero.

Recall dynamics and the tie rule are those of :mod:`boltzmann_lab.kernels.hopfield`: at T = 0,
s_i <- sign(H_i) with H_i = sum_j J_ij s_j + h_i and a tie (H_i = 0) *keeps* s_i; at T > 0 heat
bath, P(s_i = +1) = 1/(1 + exp(-2 H_i / T)).  Asynchronous sweeps visit units in a fresh random
order each sweep and at T > 0 sample p(s) ~ exp(-E(s)/T); synchronous sweeps update all units at
once (at T > 0 they sample pi(s) ~ exp(h.s/T) prod_i cosh(H_i(s)/T) instead, Peretto 1984).

As a probability model (:class:`HopfieldModel`, ``sample``/``evaluate``) the network is the
Boltzmann distribution at T = 1, p(s) = exp(-E(s)) / Z (put a temperature into J and h by
scaling them by 1/T).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from boltzmann_lab.kernels import hopfield as _k
from boltzmann_lab.kernels.rng import seed_states
from boltzmann_lab.learning.trainer import Learner

RULES = ("hebbian", "storkey", "pseudoinverse")
UPDATES = ("async", "sync")
EXACT_MAX_N = 20          # exact log Z / sampling by enumeration up to this many units


# ------------------------------------------------------------------------------ data
def to_spins(x, convention=None):
    """Return ``x`` as a float64 array of +-1 spins.

    ``convention`` ``"spin"`` expects values in {-1, +1}; ``"binary"`` maps {0, 1} by 2x - 1;
    ``None`` infers it (values in {-1, 1}: spin; in {0, 1}: binary -- the two agree on all-ones
    rows).  Anything else raises ValueError naming the offending value.
    """
    x = np.asarray(x, dtype=np.float64)
    if x.size and not np.all(np.isfinite(x)):
        raise ValueError("Hopfield data contain NaN or infinite values")
    is_spin = np.all((x == 1.0) | (x == -1.0))
    is_bin = np.all((x == 1.0) | (x == 0.0))
    if convention is None:
        convention = "spin" if is_spin else "binary" if is_bin else "real"
    if convention == "spin" and is_spin:
        return x.copy()
    if convention == "binary" and is_bin:
        return 2.0 * x - 1.0
    allowed = {"spin": (-1.0, 1.0), "binary": (0.0, 1.0)}.get(convention, (-1.0, 0.0, 1.0))
    bad = x[~np.isin(x, allowed)]
    what = (f"{convention} data must hold only {{{', '.join(f'{v:g}' for v in allowed)}}}"
            if convention in ("spin", "binary") else "the data are real-valued")
    example = f" (found {float(bad.flat[0]):g})" if bad.size else ""
    raise ValueError(f"Hopfield networks store binary {{0,1}} or spin {{-1,+1}} patterns; "
                     f"{what}{example} -- binarize the data first "
                     f"([data] binarize = \"threshold\")")


# ------------------------------------------------------------------------------ storage rules
def hebbian(patterns):
    """J = (1/n) sum_mu xi^mu xi^mu^T with zero diagonal; ``patterns`` (P, n)."""
    xi = np.asarray(patterns, dtype=np.float64)
    n = xi.shape[1]
    J = xi.T @ xi / n
    np.fill_diagonal(J, 0.0)
    return J


def storkey(patterns):
    """Storkey's incremental rule (patterns added in order), zero diagonal
    (kernel ``boltzmann_lab.kernels.hopfield.storkey_add``, O(n^2) per pattern)."""
    xi_all = np.ascontiguousarray(patterns, dtype=np.float64)
    n = xi_all.shape[1]
    J = np.zeros((n, n))
    for xi in xi_all:
        _k.storkey_add(J, xi)
    return J


def pseudoinverse(patterns):
    """Projection rule: J = Xi^T (Xi Xi^T)^+ Xi (= (1/n) Xi^T C^+ Xi), zero diagonal.

    The projector onto the span of the patterns is built from the eigenvectors of the smaller
    Gram matrix (P x P or n x n; eigenvalues below 1e-10 of the largest count as zero), so any
    number of patterns works, duplicates and P > n included."""
    xi = np.asarray(patterns, dtype=np.float64)
    P, n = xi.shape
    if P <= n:
        lam, U = np.linalg.eigh(xi @ xi.T)
        keep = lam > 1e-10 * lam.max(initial=0.0)
        V = (U[:, keep] / np.sqrt(lam[keep])).T @ xi        # orthonormal basis of the span
    else:
        lam, U = np.linalg.eigh(xi.T @ xi)
        keep = lam > 1e-10 * lam.max(initial=0.0)
        V = U[:, keep].T
    J = V.T @ V
    J = 0.5 * (J + J.T)
    np.fill_diagonal(J, 0.0)
    return J


def store(patterns, rule="hebbian"):
    """Couplings J (n, n) for ``patterns`` (P, n) of spins under ``rule`` (one of RULES)."""
    if rule == "hebbian":
        return hebbian(patterns)
    if rule == "storkey":
        return storkey(patterns)
    if rule == "pseudoinverse":
        return pseudoinverse(patterns)
    raise ValueError(f"unknown Hopfield storage rule {rule!r}; choose one of {', '.join(RULES)}")


# ------------------------------------------------------------------------------ dynamics
def _rng_lanes(seed, n):
    """uint64 lanes for ``n`` chains: an existing (n,) uint64 array (used in place) or a seed."""
    if isinstance(seed, np.ndarray) and seed.dtype == np.uint64:
        if seed.shape != (n,):        # the kernels index lane b for chain b: never out of range
            raise ValueError(f"expected {n} RNG lane states, got shape {seed.shape}")
        return seed
    return seed_states(n, seed)


def run_dynamics(J, h, S, update="async", temperature=0.0, sweeps=1, stop=None, rng_states=None,
                 prev=None):
    """Run recall dynamics on the rows of ``S`` (B, n) in place.

    ``stop`` (default: ``temperature == 0``) ends a chain at a fixed point (async) or at a fixed
    point or 2-cycle (sync).  ``rng_states`` (B,) uint64 lanes (advanced in place) or a seed.
    ``prev`` (sync only): s(t-1) per chain for 2-cycle detection across calls (in place).
    Returns dict of per-chain arrays ``sweeps``, ``last_flips``, ``flips``, ``status``
    (0 running, 1 fixed point, 2 two-cycle).
    """
    if update not in UPDATES:
        raise ValueError(f"unknown update {update!r}; choose one of {', '.join(UPDATES)}")
    n = J.shape[0]
    # updated in place by the kernels, so wrong layouts cannot be silently copied
    if not (isinstance(S, np.ndarray) and S.dtype == np.float64 and S.ndim == 2
            and S.shape[1] == n and S.flags.c_contiguous):
        raise ValueError(f"states must be a C-contiguous float64 (B, {n}) array")
    J = np.ascontiguousarray(J, dtype=np.float64)
    h = np.ascontiguousarray(h, dtype=np.float64)
    if J.shape != (n, n) or h.shape != (n,):
        raise ValueError(f"J must be ({n}, {n}) and h ({n},), got {J.shape} and {h.shape}")
    B = S.shape[0]
    lanes = _rng_lanes(rng_states, B)
    stop = temperature <= 0 if stop is None else bool(stop)
    n_done = np.zeros(B, np.int64)
    last = np.zeros(B, np.int64)
    tot = np.zeros(B, np.int64)
    status = np.zeros(B, np.int64)
    if update == "async":
        _k.async_sweeps(J, h, S, float(temperature), int(sweeps), stop, lanes, n_done, last, tot)
        status[:] = np.where(last == 0, _k.STATUS_FIXED_POINT, _k.STATUS_RUNNING)
        if temperature > 0:
            status[:] = _k.STATUS_RUNNING
    else:
        if prev is None:
            prev = np.zeros_like(S)
        elif prev.shape != S.shape or prev.dtype != np.float64 or not prev.flags.c_contiguous:
            raise ValueError("prev must be a C-contiguous float64 array shaped like the states")
        _k.sync_sweeps(J, h, S, prev, float(temperature), int(sweeps), stop, lanes, n_done, last,
                       tot, status)
        if temperature > 0:
            status[:] = _k.STATUS_RUNNING
    return {"sweeps": n_done, "last_flips": last, "flips": tot, "status": status}


@dataclass
class Recall:
    """Trajectory of one recall: ``states`` and measurements after 0, 1, ..., ``sweeps`` sweeps.

    ``energy`` (t+1,), ``overlaps`` (t+1, P), ``state`` (n,) final state, ``status`` 0 running,
    1 fixed point, 2 two-cycle (T = 0 only).
    """

    state: np.ndarray
    energy: np.ndarray
    overlaps: np.ndarray
    sweeps: int
    status: int


# ------------------------------------------------------------------------------ model
class HopfieldModel:
    """A Hopfield network: stored ``patterns`` (P, n), couplings ``J`` (n, n), fields ``h`` (n,).

    Spin convention.  As a probability model it is p(s) = exp(-E(s)) / Z at T = 1 (module
    docstring).  ``rule`` records how J was made (``hebbian``, ``storkey``, ``pseudoinverse``,
    ``rbm``, ``custom``).  Build one from patterns with :meth:`from_patterns`.
    """

    kind = "hopfield"
    convention = "spin"

    def __init__(self, patterns, J, h=None, rule="custom"):
        J = np.ascontiguousarray(J, dtype=np.float64)
        if J.ndim != 2 or J.shape[0] != J.shape[1]:
            raise ValueError(f"J must be a square (n, n) matrix, got shape {J.shape}")
        n = J.shape[0]
        if not np.all(np.isfinite(J)):
            raise ValueError("J contains NaN or infinite values")
        if not np.allclose(J, J.T, atol=1e-10, rtol=1e-8):
            raise ValueError("J must be symmetric")
        J = 0.5 * (J + J.T)      # exactly symmetric: the kernels read row i as column i
        if np.any(np.diag(J) != 0):
            raise ValueError("J must have a zero diagonal (pairwise convention)")
        patterns = np.asarray(patterns, dtype=np.float64).reshape(-1, n) if np.size(patterns) \
            else np.zeros((0, n))
        h = np.zeros(n) if h is None else np.ascontiguousarray(h, dtype=np.float64)
        if h.shape != (n,):
            raise ValueError(f"h must have shape ({n},), got {h.shape}")
        self.patterns = np.ascontiguousarray(patterns)
        self.J = J
        self.h = h
        self.rule = str(rule)

    @classmethod
    def from_patterns(cls, patterns, rule="hebbian", convention=None):
        """Store ``patterns`` (P, n) (spins, or binary converted by 2x - 1) with ``rule``."""
        xi = to_spins(np.atleast_2d(patterns), convention)
        if xi.shape[0] == 0:
            raise ValueError("a Hopfield network needs at least one pattern")
        return cls(xi, store(xi, rule), None, rule)

    @property
    def n(self) -> int:
        return self.J.shape[0]

    @property
    def n_patterns(self) -> int:
        return self.patterns.shape[0]

    # --- energies and overlaps ---------------------------------------------------------------
    def energy(self, S):
        """E(s) = -1/2 s^T J s - h^T s per row of ``S`` (M, n) -> (M,) (a scalar for (n,))."""
        S = np.asarray(S, dtype=np.float64)
        return -0.5 * np.einsum("...i,...i->...", S @ self.J, S) - S @ self.h

    def local_fields(self, S):
        """H = S J + h, shape of ``S``."""
        return np.asarray(S, dtype=np.float64) @ self.J + self.h

    def overlaps(self, S):
        """m_mu(s) = (1/n) xi^mu . s for each row -> (M, P) (or (P,) for one state)."""
        return np.asarray(S, dtype=np.float64) @ self.patterns.T / self.n

    def fixed_points(self, S=None):
        """Boolean (M,): is each row (default: each stored pattern) a T = 0 fixed point?
        A unit is stable when s_i H_i > 0 or H_i = 0 (ties keep the state)."""
        S = self.patterns if S is None else np.atleast_2d(np.asarray(S, dtype=np.float64))
        sH = S * self.local_fields(S)
        return np.all(sH >= -_k.TIE, axis=1)

    # --- recall ----------------------------------------------------------------------------
    def noisy_cue(self, index, noise, seed):
        """Pattern ``index`` with exactly round(noise * n) distinct units flipped (uniformly
        chosen with ``seed``)."""
        s = self.patterns[index].copy()
        lanes = _rng_lanes(seed, 1)
        _k.flip_random(s, int(round(noise * self.n)), lanes, 0)
        return s

    def recall(self, cue, update="async", temperature=0.0, max_sweeps=100, seed=0, stop=None):
        """Run the dynamics from ``cue`` (n,) sweep by sweep, recording energy and the overlaps
        with every stored pattern after each sweep.  At T = 0 it stops at a fixed point (async)
        or a fixed point / 2-cycle (sync) unless ``stop=False``.  Returns :class:`Recall`."""
        s = to_spins(np.asarray(cue, dtype=np.float64).reshape(1, self.n), "spin")
        lanes = _rng_lanes(seed, 1)
        prev = np.zeros_like(s)
        stop = temperature <= 0 if stop is None else stop
        energies = [float(self.energy(s[0]))]
        overlaps = [self.overlaps(s[0])]
        status = 0
        done = 0
        for _ in range(int(max_sweeps)):
            r = run_dynamics(self.J, self.h, s, update, temperature, 1, stop=False,
                             rng_states=lanes, prev=prev)
            done += 1
            energies.append(float(self.energy(s[0])))
            overlaps.append(self.overlaps(s[0]))
            status = int(r["status"][0])
            if stop and status != _k.STATUS_RUNNING:
                break
        return Recall(s[0].copy(), np.array(energies), np.array(overlaps), done, status)

    # --- probability model (Boltzmann distribution at T = 1) ------------------------------
    def _check_exact(self):
        if self.n > EXACT_MAX_N:
            raise ValueError(f"exact enumeration needs n <= {EXACT_MAX_N} units (n = {self.n})")

    def log_z(self):
        """log sum_s exp(-E(s)) by enumerating all 2^n states (n <= 20), chunked, log-sum-exp."""
        self._check_exact()
        parts = [np.logaddexp.reduce(-self.energy(S)) for S in all_spin_states(self.n)]
        return float(np.logaddexp.reduce(parts))

    def log_prob(self, x):
        """Exact log p(s) = -E(s) - log Z per row (n <= 20)."""
        S = np.atleast_2d(to_spins(x))
        return -self.energy(S) - self.log_z()

    def pseudo_log_likelihood(self, x):
        """Mean over rows of sum_i log p(s_i | s_-i) = -sum_i log(1 + exp(-2 s_i H_i))."""
        S = np.atleast_2d(to_spins(x))
        return float(-np.logaddexp(0.0, -2.0 * S * self.local_fields(S)).sum(axis=1).mean())

    def sample(self, n_samples, seed=0, sweeps=200, temperature=1.0, method="auto"):
        """``n_samples`` spin configurations (n_samples, n).

        ``method="exact"`` (``auto`` picks it when T = 1 and n <= 20): independent draws from
        p(s) = exp(-E(s))/Z by enumeration.  ``"mcmc"``: independent asynchronous heat-bath chains
        from uniformly random states run for ``sweeps`` sweeps at ``temperature`` (approximate; at
        T = 0 this is recall from random states, ending at fixed points).  Random: the states, the
        orders, the draws (``seed``).
        """
        n_samples = int(n_samples)
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        if method not in ("auto", "exact", "mcmc"):
            raise ValueError(f"method must be auto, exact or mcmc, got {method!r}")
        if method == "exact" and temperature != 1.0:
            raise ValueError("exact sampling draws from the model at T = 1")
        if method == "exact" or (method == "auto" and temperature == 1.0
                                 and self.n <= EXACT_MAX_N):
            self._check_exact()
            logp = -np.concatenate([self.energy(S) for S in all_spin_states(self.n)])
            p = np.exp(logp - logp.max())
            idx = rng.choice(p.size, size=n_samples, p=p / p.sum())
            return _index_to_spins(idx, self.n)
        S = 2.0 * rng.integers(0, 2, size=(n_samples, self.n)) - 1.0
        run_dynamics(self.J, self.h, S, "async", temperature, sweeps, stop=temperature <= 0,
                     rng_states=seed_states(n_samples, rng))
        return S

    def evaluate(self, x, seed=0):
        """Metrics of data ``x`` (M, n) (spins, or binary converted by 2x - 1):

        ``ll``: exact mean log-likelihood at T = 1 (nats/sample, ``ll_method`` "exact") when
        n <= 20, else the pseudo-log-likelihood (``ll_method`` "pseudo"); ``pseudo_ll``;
        ``energy`` mean E; ``mean_overlap`` mean over rows of max_mu |m_mu|; ``stable_patterns``
        fraction of stored patterns that are T = 0 fixed points.  Deterministic (``seed`` unused).
        """
        S = np.atleast_2d(to_spins(x))
        if S.shape[1] != self.n:
            raise ValueError(f"data have {S.shape[1]} units, the model has {self.n}")
        pll = self.pseudo_log_likelihood(S)
        out = {"pseudo_ll": pll, "energy": float(self.energy(S).mean()),
               "stable_patterns": float(self.fixed_points().mean()) if self.n_patterns else 0.0}
        out["mean_overlap"] = float(np.abs(self.overlaps(S)).max(axis=1).mean()) \
            if self.n_patterns else 0.0
        if self.n <= EXACT_MAX_N:
            out["ll"] = float(self.log_prob(S).mean())
            out["ll_method"] = "exact"
        else:
            out["ll"] = pll
            out["ll_method"] = "pseudo"
        return out

    # --- model files -----------------------------------------------------------------------
    def to_arrays(self):
        return {"rule": self.rule}, {"patterns": self.patterns.copy(), "J": self.J.copy(),
                                     "h": self.h.copy()}

    @classmethod
    def from_arrays(cls, meta, arrays):
        """``J`` is required; ``h`` defaults to zeros and ``patterns`` to none stored."""
        if "J" not in arrays:
            raise ValueError("Hopfield model file lacks the coupling matrix 'J'")
        J = np.asarray(arrays["J"])
        n = J.shape[0] if J.ndim == 2 else 0
        patterns = arrays.get("patterns", np.zeros((0, n)))
        return cls(patterns, J, arrays.get("h"), meta.get("rule", "custom"))


def all_spin_states(n, chunk_bits=16):
    """Yield all 2^n spin states in blocks of at most 2^chunk_bits rows (state index k has
    s_i = +1 when bit i of k is set)."""
    total = 1 << n
    step = 1 << min(n, chunk_bits)
    for start in range(0, total, step):
        yield _index_to_spins(np.arange(start, min(start + step, total)), n)


def _index_to_spins(idx, n):
    bits = (np.asarray(idx, dtype=np.int64)[:, None] >> np.arange(n)) & 1
    return 2.0 * bits - 1.0


# ------------------------------------------------------------------------------ capacity
def capacity_sweep(n, alphas, rule="hebbian", cue_noise=0.1, trials=1, update="async",
                   temperature=0.0, max_sweeps=100, max_cues=None, seed=0):
    """Final overlap after recall versus load alpha = P/n.

    For each alpha: P = max(1, round(alpha n)) unbiased random +-1 patterns (``trials`` independent
    draws), stored with ``rule``; every pattern (or ``max_cues`` of them per trial) is cued with
    exactly round(cue_noise n) flipped units and recalled (``update``, ``temperature``; at T = 0
    until a fixed point / 2-cycle, at most ``max_sweeps``).  The final overlap with the cued
    pattern, m = (1/n) xi . s, is averaged over cues and trials.

    Returns a dict of arrays over ``alphas``: ``alpha``, ``P``, ``mean_overlap``, ``se``
    (standard error over cues), ``perfect`` (fraction of recalls with m = 1), ``sweeps`` (mean).
    """
    rng = np.random.default_rng(seed)
    alphas = np.atleast_1d(np.asarray(alphas, dtype=np.float64))
    k = int(round(cue_noise * n))
    res = {key: [] for key in ("alpha", "P", "mean_overlap", "se", "perfect", "sweeps")}
    for alpha in alphas:
        P = max(1, int(round(alpha * n)))
        finals, sweeps = [], []
        for _ in range(int(trials)):
            xi = 2.0 * rng.integers(0, 2, size=(P, n)) - 1.0
            J = store(xi, rule)
            cued = np.arange(P) if max_cues is None or max_cues >= P else \
                rng.choice(P, size=max_cues, replace=False)
            S = xi[cued].copy()
            flip = np.argsort(rng.random((len(cued), n)), axis=1)[:, :k]   # k distinct units/row
            np.put_along_axis(S, flip, -np.take_along_axis(S, flip, axis=1), axis=1)
            r = run_dynamics(J, np.zeros(n), S, update, temperature, max_sweeps,
                             rng_states=seed_states(len(cued), rng))
            finals.append(np.einsum("ij,ij->i", S, xi[cued]) / n)
            sweeps.append(r["sweeps"])
        m = np.concatenate(finals)
        res["alpha"].append(alpha)
        res["P"].append(P)
        res["mean_overlap"].append(m.mean())
        res["se"].append(m.std(ddof=1) / np.sqrt(m.size) if m.size > 1 else np.nan)
        res["perfect"].append(np.mean(m == 1.0))
        res["sweeps"].append(np.concatenate(sweeps).mean())
    return {key: np.array(v) for key, v in res.items()}


# ------------------------------------------------------------------------------ learner
class HopfieldLearner(Learner):
    """Live recall for the GUI/CLI (kind ``hopfield``).

    "Training" is storing the patterns (done once, at construction).  Each :meth:`step` runs
    ``sweeps`` recall sweeps (``update``, ``temperature``) on one state, started from a noisy cue:
    stored pattern ``cue`` with exactly round(cue_noise * n) units flipped.  All randomness (cue
    flips, update orders, heat-bath draws) comes from one xorshift lane seeded by ``seed``, saved
    by :meth:`state_dict`.

    Metrics per step: ``energy`` E(s); ``overlap`` m_cue(s); ``max_overlap_other``
    max_{mu != cue} |m_mu(s)| (0 with one pattern); ``flips`` fraction of units changed in the
    step.  :meth:`evaluate`: ``stable_patterns`` (fraction of stored patterns that are T = 0 fixed
    points), and ``train_ll`` (exact, n <= 20) or ``train_pll`` (pseudo-log-likelihood) of the
    stored patterns at T = 1 (both over the first ``eval_patterns`` = 1000 patterns).
    Views: ``state`` (n,), ``overlaps`` (P,), ``data`` (first stored patterns), ``couplings`` (J,
    one read-only copy refreshed by :meth:`params_changed`).  :meth:`converged` (T = 0 only):
    a sweep changed nothing (fixed point) or synchronous recall entered a 2-cycle.
    """

    kind = "hopfield"
    convention = "spin"
    steps_per_epoch = 1.0

    def __init__(self, model: HopfieldModel, image_shape=None, update="async", temperature=0.0,
                 cue=0, cue_noise=0.1, sweeps=1, seed=0):
        self.model = model
        self.image_shape = None if image_shape is None else tuple(image_shape)
        self.params = {"J": model.J, "h": model.h}
        self.rng = seed_states(1, seed)
        self.update = "async"
        self.temperature = 0.0
        self.sweeps_per_step = 1
        self.set_hyper("update", update)
        self.set_hyper("temperature", temperature)
        self.set_hyper("sweeps", sweeps)
        self.cue_index = 0
        self._couplings_view = None
        self.recue(cue, cue_noise)

    # --- recall ------------------------------------------------------------------------------
    def recue(self, cue=None, cue_noise=None):
        """Restart recall from stored pattern ``cue`` (default: the current one) with a fresh
        noisy copy (``cue_noise`` default: the current setting), drawn from the learner's lane."""
        if cue is not None:
            cue = int(cue)
            if not 0 <= cue < self.model.n_patterns:
                raise ValueError(f"cue must be a stored pattern index "
                                 f"0..{self.model.n_patterns - 1}, got {cue}")
            self.cue_index = cue
        if cue_noise is not None:
            cue_noise = float(cue_noise)
            if not 0.0 <= cue_noise <= 1.0:
                raise ValueError(f"cue_noise must be in [0, 1], got {cue_noise}")
            self.cue_noise = cue_noise
        s = self.model.patterns[self.cue_index].copy()
        _k.flip_random(s, int(round(self.cue_noise * self.model.n)), self.rng, 0)
        self._set_state(s)

    def _set_state(self, s):
        self.state = np.ascontiguousarray(s, dtype=np.float64).copy()
        self.prev = np.zeros_like(self.state)       # s(t-1) unknown: no 2-cycle yet
        self.status = _k.STATUS_RUNNING
        self.total_sweeps = 0
        self.last_flips = -1

    def apply_edit(self, indices, values):
        """Set units ``indices`` to ``values`` (drawing on the state; values > 0 -> +1, else -1,
        so binary 0/1 and spin values both work).  Recall continues from the edited state."""
        idx = np.asarray(indices, dtype=np.int64).ravel()
        if idx.size and (idx.min() < 0 or idx.max() >= self.model.n):
            raise IndexError(f"unit index out of range 0..{self.model.n - 1}")
        vals = np.asarray(values, dtype=np.float64)
        vals = np.where(np.broadcast_to(vals.ravel() if vals.ndim else vals, idx.shape) > 0,
                        1.0, -1.0)
        state = self.state.copy()
        state[idx] = vals
        self._set_state(state)

    def step(self):
        S = self.state.reshape(1, -1)
        P = self.prev.reshape(1, -1)
        r = run_dynamics(self.model.J, self.model.h, S, self.update, self.temperature,
                         self.sweeps_per_step, rng_states=self.rng, prev=P)
        self.status = int(r["status"][0])
        self.last_flips = int(r["last_flips"][0])
        self.total_sweeps += int(r["sweeps"][0])
        m = self.model.overlaps(self.state)
        others = np.delete(np.abs(m), self.cue_index)
        return {"energy": float(self.model.energy(self.state)),
                "overlap": float(m[self.cue_index]),
                "max_overlap_other": float(others.max()) if others.size else 0.0,
                "flips": float(r["flips"][0]) / self.model.n}

    def converged(self):
        if self.temperature > 0:
            return None
        m = float(self.model.overlaps(self.state)[self.cue_index])
        if self.status == _k.STATUS_FIXED_POINT:
            return (f"recall reached a fixed point (no unit changed in a sweep) after "
                    f"{self.total_sweeps} sweeps; overlap with pattern {self.cue_index} = {m:.3f}")
        if self.status == _k.STATUS_TWO_CYCLE:
            return (f"synchronous recall entered a 2-cycle after {self.total_sweeps} sweeps; "
                    f"overlap with pattern {self.cue_index} = {m:.3f}")
        return None

    #: evaluate() looks at the first this many stored patterns (each costs O(n^2))
    eval_patterns = 1000

    def evaluate(self):
        M = self.model
        xi = M.patterns[:self.eval_patterns]
        out = {"stable_patterns": float(M.fixed_points(xi).mean())}
        if M.n <= EXACT_MAX_N:
            out["train_ll"] = float(M.log_prob(xi).mean())
        else:
            out["train_pll"] = M.pseudo_log_likelihood(xi)
        return out

    def views(self, n_show=16):
        if self._couplings_view is None:
            # J only changes through params_changed(); one read-only copy serves every snapshot
            self._couplings_view = self.model.J.copy()
            self._couplings_view.flags.writeable = False
        return {"state": self.state.copy(),
                "overlaps": self.model.overlaps(self.state),
                "data": self.model.patterns[:n_show].copy(),
                "couplings": self._couplings_view}

    def params_changed(self):
        self._couplings_view = None

    # --- hyperparameters ---------------------------------------------------------------------
    def set_hyper(self, name, value):
        """``temperature`` (>= 0), ``update`` (async/sync), ``sweeps`` (per step), ``cue_noise``
        (in [0, 1]) and ``cue`` (both restart recall now from a fresh noisy cue), ``rule``
        (re-store the patterns with another rule; the state is kept)."""
        if name == "temperature":
            value = float(value)
            if not value >= 0:
                raise ValueError(f"temperature must be >= 0, got {value}")
            self.temperature = value
            self.status = _k.STATUS_RUNNING
        elif name == "update":
            if value not in UPDATES:
                raise ValueError(f"update must be one of {', '.join(UPDATES)}, got {value!r}")
            self.update = value
            self.prev = np.zeros_like(getattr(self, "state", np.zeros(self.model.n)))
            self.status = _k.STATUS_RUNNING
        elif name == "sweeps":
            if int(value) < 1:
                raise ValueError(f"sweeps must be >= 1, got {value}")
            self.sweeps_per_step = int(value)
        elif name == "cue_noise":
            self.recue(None, value)
        elif name == "cue":
            self.recue(int(value))
        elif name == "rule":
            self.model.J[...] = store(self.model.patterns, value)
            self.model.rule = value
            self.status = _k.STATUS_RUNNING
            self.params_changed()
        else:
            raise KeyError(f"hopfield has no adjustable parameter {name!r}; choose temperature, "
                           f"update, sweeps, cue_noise, cue or rule")

    # --- sessions ----------------------------------------------------------------------------
    def state_dict(self):
        return {"param/J": self.model.J.copy(), "param/h": self.model.h.copy(),
                "hopfield/patterns": self.model.patterns.copy(),
                "hopfield/rule": self.model.rule,
                "hopfield/state": self.state.copy(), "hopfield/prev": self.prev.copy(),
                "hopfield/rng": self.rng.copy(), "hopfield/status": self.status,
                "hopfield/total_sweeps": self.total_sweeps, "hopfield/last_flips": self.last_flips,
                "hopfield/cue": self.cue_index, "hopfield/cue_noise": self.cue_noise,
                "hopfield/temperature": self.temperature, "hopfield/update": self.update,
                "hopfield/sweeps": self.sweeps_per_step}

    def load_state_dict(self, state):
        if state["hopfield/state"].shape != (self.model.n,):
            raise ValueError(f"saved Hopfield state has {state['hopfield/state'].shape} units, "
                             f"this network has {self.model.n}")
        self.model.J[...] = state["param/J"]
        self.model.h[...] = state["param/h"]
        self.model.patterns = np.array(state["hopfield/patterns"], dtype=np.float64)
        self.model.rule = str(state["hopfield/rule"])
        self.state = np.array(state["hopfield/state"], dtype=np.float64)
        self.prev = np.array(state["hopfield/prev"], dtype=np.float64)
        self.rng[...] = state["hopfield/rng"]
        self.status = int(state["hopfield/status"])
        self.total_sweeps = int(state["hopfield/total_sweeps"])
        self.last_flips = int(state["hopfield/last_flips"])
        self.cue_index = int(state["hopfield/cue"])
        self.cue_noise = float(state["hopfield/cue_noise"])
        self.temperature = float(state["hopfield/temperature"])
        self.update = str(state["hopfield/update"])
        self.sweeps_per_step = int(state["hopfield/sweeps"])
        self.params_changed()


def make_learner(cfg, dataset):
    """The ``hopfield`` learner: stores every sample of ``dataset`` (train and validation rows;
    binary data become spins by 2x - 1) with ``[model] rule`` and starts recall from pattern
    ``cue`` with ``cue_noise``; ``[training] sweeps`` per step, ``seed`` for all randomness."""
    if dataset is None:
        raise ValueError("a Hopfield network needs a data set of patterns to store "
                         "([data] path or generator)")
    m, t = cfg["model"], cfg["training"]
    conv = dataset.convention if dataset.convention in ("binary", "spin") else None
    try:
        patterns = to_spins(dataset.all, conv)
    except ValueError as exc:
        raise ValueError(f"data set {dataset.name or ''}: {exc}") from None
    if patterns.shape[0] == 0:
        raise ValueError("the data set has no samples to store as patterns")
    model = HopfieldModel.from_patterns(patterns, m["rule"], "spin")
    if not 0 <= m["cue"] < model.n_patterns:
        raise ValueError(f"[model] cue = {m['cue']} is not a stored pattern; the data set has "
                         f"{model.n_patterns} patterns (0..{model.n_patterns - 1})")
    return HopfieldLearner(model, dataset.image_shape, m["update"], m["temperature"], m["cue"],
                           m["cue_noise"], t["sweeps"], t["seed"])


# ------------------------------------------------------------------------------ RBM equivalence
def hopfield_to_rbm(model: HopfieldModel, tol=1e-10):
    """An RBM with spin visibles and Gaussian hidden units whose visible marginal is exactly the
    Hopfield distribution p(s) ~ exp(-E(s)) (T = 1).

    With the RBM convention of :mod:`boltzmann_lab.models.units` (raw coupling v.W.h, hidden self-energy
    h^2/(2 sigma^2)), summing out h gives couplings W diag(sigma^2) W^T and fields a + W sigma^2 b;
    for spins the diagonal of W diag(sigma^2) W^T is a constant.  Two constructions:

    * J = c * Hebbian(patterns) for some c > 0 (the Hebbian rule, possibly scaled by 1/T): one
      hidden unit per pattern, W = Xi^T (the patterns are the weights), sigma^2 = c / n.
    * any other symmetric J: J + lambda I (lambda = -smallest eigenvalue, so the matrix is positive
      semi-definite; this only adds a constant for spins) = U diag(l) U^T, one hidden unit per
      positive eigenvalue, W = U sqrt(l), sigma = 1.

    a = h and b = 0 in both cases.  Returns ``boltzmann_lab.models.rbm.RBM`` (float64).
    """
    from boltzmann_lab.models.rbm import RBM

    J = model.J
    n = model.n
    if model.n_patterns:
        Hb = hebbian(model.patterns)
        nrm = float(np.sum(Hb * Hb))
        c = float(np.sum(J * Hb)) / nrm if nrm > 0 else 0.0
        if c > 0 and np.allclose(J, c * Hb, rtol=1e-10, atol=1e-12):
            sigma = np.full(model.n_patterns, np.sqrt(c / n))
            return RBM(model.patterns.T.copy(), model.h.copy(), np.zeros(model.n_patterns),
                       visible="spin", hidden="gaussian", sigma_h=sigma)
    lam, U = np.linalg.eigh(J)
    shift = max(0.0, -lam[0])
    lam = lam + shift
    keep = lam > tol * max(1.0, lam.max())
    if not keep.any():          # J = 0: one hidden unit with zero weights keeps the shapes valid
        keep = np.zeros_like(lam, dtype=bool)
        keep[-1] = True
        lam[-1] = 0.0
    W = U[:, keep] * np.sqrt(lam[keep])
    return RBM(W, model.h.copy(), np.zeros(W.shape[1]), visible="spin", hidden="gaussian",
               sigma_h=1.0)


def rbm_to_hopfield(rbm):
    """The Hopfield network (spin convention) equal to the visible marginal of an RBM with
    Gaussian hidden units (spin or binary visibles).

    J_full = W diag(sigma^2) W^T, f = a + W (sigma^2 b).  Spin visibles: J = J_full off the
    diagonal, h = f.  Binary visibles: the pairwise binary model has J_b = J_full off the diagonal and
    h_b = f + diag(J_full)/2 (v_i^2 = v_i); it is converted exactly to spins s = 2v - 1
    (``boltzmann_lab.data.conventions``), so the returned network describes s = 2v - 1.  The "patterns" are
    xi^mu = sqrt(n) sigma_mu W[:, mu] (halved for binary visibles) so that J = (1/n) sum xi xi^T
    off the diagonal; they are real-valued in general (``rule = "rbm"``).
    """
    from boltzmann_lab.data.conventions import pairwise_binary_to_spin

    if getattr(rbm.hidden, "name", None) != "gaussian":
        raise ValueError(f"rbm_to_hopfield needs Gaussian hidden units, got {rbm.hidden.name}")
    if rbm.visible.name not in ("spin", "binary"):
        raise ValueError(f"rbm_to_hopfield needs spin or binary visible units, got "
                         f"{rbm.visible.name}")
    W = np.asarray(rbm.W, np.float64)
    n, k = W.shape
    var = rbm.hidden.sigma_array(k) ** 2
    Jfull = (W * var) @ W.T
    f = np.asarray(rbm.a, np.float64) + W @ (var * np.asarray(rbm.b, np.float64))
    J = Jfull.copy()
    np.fill_diagonal(J, 0.0)
    patterns = (np.sqrt(n) * W * np.sqrt(var)).T
    if rbm.visible.name == "binary":
        f, J, _ = pairwise_binary_to_spin(f + 0.5 * np.diag(Jfull), J)
        patterns = 0.5 * patterns
    J = 0.5 * (J + J.T)
    return HopfieldModel(patterns, J, f, rule="rbm")


def integrated_autocorr_time(x, c=5.0):
    """Integrated autocorrelation time tau = 1 + 2 sum_{t>=1} rho(t) of the series ``x``
    (chains, T) (or (T,)), in units of the series' steps.  rho is averaged over chains (deviations
    from the mean over all chains) and summed up to Sokal's automatic window W >= c tau(W).
    A constant series returns 1."""
    x = np.atleast_2d(np.asarray(x, dtype=np.float64))
    T = x.shape[1]
    d = x - x.mean()
    if not np.any(d):
        return 1.0
    f = np.fft.rfft(d, n=2 * T, axis=1)
    acf = np.fft.irfft(f * np.conj(f), axis=1)[:, :T].mean(axis=0) / np.arange(T, 0, -1)
    rho = acf / acf[0]
    tau = 1.0
    for w in range(1, T):
        tau += 2.0 * rho[w]
        if w >= c * tau:
            break
    return float(max(tau, 1e-12))


def compare_samplers(model: HopfieldModel, chains=32, sweeps=2000, burn_in=200, seed=0):
    """Sample the Hopfield distribution (T = 1) two ways and compare with the exact answer.

    * ``hopfield``: single-spin heat-bath dynamics, asynchronous random-order sweeps (one sweep =
      n single-unit updates);
    * ``rbm``: block Gibbs v -> h -> v of :func:`hopfield_to_rbm` (one step = one update of every
      visible and hidden unit).

    Both run ``chains`` independent chains from uniformly random states for ``burn_in`` + ``sweeps``
    steps.  Observables: energy E(s) and m_mu(s)^2 for every pattern (symmetric under s -> -s, so
    they are not trapped by the s -> -s barrier).  Returns a dict:
    ``exact`` {name: value} (enumeration, n <= 20) and, per sampler, {name: (mean, se, tau)} where
    tau is the integrated autocorrelation time in steps of that sampler and
    se = sqrt(var * tau / (chains * sweeps)).
    """
    from boltzmann_lab.kernels.rng import seed_states as _lanes

    rng = np.random.default_rng(seed)
    n = model.n

    def observables(S):
        m2 = model.overlaps(S) ** 2
        return np.column_stack([model.energy(S), m2])

    names = ["energy"] + [f"m{mu}^2" for mu in range(model.n_patterns)]
    rbm = hopfield_to_rbm(model)
    out = {}
    S0 = 2.0 * rng.integers(0, 2, size=(chains, n)) - 1.0
    for which in ("hopfield", "rbm"):
        S = S0.copy()
        lanes = _lanes(chains, rng)
        trace = np.empty((sweeps, chains, len(names)))
        for t in range(burn_in + sweeps):
            if which == "hopfield":
                run_dynamics(model.J, model.h, S, "async", 1.0, 1, stop=False, rng_states=lanes)
            else:
                S = np.asarray(rbm.gibbs(S, 1, lanes), dtype=np.float64)
            if t >= burn_in:
                trace[t - burn_in] = observables(S)
        res = {}
        for k, name in enumerate(names):
            series = trace[:, :, k].T                   # (chains, sweeps)
            tau = integrated_autocorr_time(series)
            var = series.var()
            res[name] = (float(series.mean()), float(np.sqrt(var * tau / series.size)), tau)
        out[which] = res
    if n <= EXACT_MAX_N:
        exact = {}
        logp = np.concatenate([-model.energy(S) for S in all_spin_states(n)])
        p = np.exp(logp - logp.max())
        p /= p.sum()
        obs = np.concatenate([observables(S) for S in all_spin_states(n)])
        for k, name in enumerate(names):
            exact[name] = float(p @ obs[:, k])
        out["exact"] = exact
    return out
