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
from boltzmann_lab.exact import enumeration as _enum
from boltzmann_lab.kernels.rng import as_lanes, seed_states
from boltzmann_lab.models.protocol import ModelProtocol

RULES = ("hebbian", "storkey", "pseudoinverse")
UPDATES = ("async", "sync")


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
    lanes = as_lanes(rng_states, B)
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
class HopfieldModel(ModelProtocol):
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
        lanes = as_lanes(seed, 1)
        _k.flip_random(s, int(round(noise * self.n)), lanes, 0)
        return s

    def recall(self, cue, update="async", temperature=0.0, max_sweeps=100, seed=0, stop=None):
        """Run the dynamics from ``cue`` (n,) sweep by sweep, recording energy and the overlaps
        with every stored pattern after each sweep.  At T = 0 it stops at a fixed point (async)
        or a fixed point / 2-cycle (sync) unless ``stop=False``.  Returns :class:`Recall`."""
        s = to_spins(np.asarray(cue, dtype=np.float64).reshape(1, self.n), "spin")
        lanes = as_lanes(seed, 1)
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
    def as_pairwise(self):
        """(h, J0, c): the same distribution as a pairwise spin model E = -h.s - sum_{i<j} J0_ij
        s_i s_j + c, J0 = J without its diagonal and c = -tr(J)/2 (s_i^2 = 1), so that the
        project's one enumeration (:mod:`boltzmann_lab.exact.enumeration`) and pseudo-likelihood
        serve the Hopfield network too."""
        J0 = self.J.copy()
        np.fill_diagonal(J0, 0.0)
        return self.h, J0, -0.5 * float(np.trace(self.J))

    def log_partition_with_method(self):
        """``(log Z, "exact")``, log Z = log sum_s exp(-E(s)) by enumeration (n <= ``MAX_UNITS``;
        ValueError above)."""
        h, J0, c = self.as_pairwise()
        return float(_enum.log_z(h, J0, "spin") - c), "exact"

    @property
    def score_method(self) -> str:
        """``exact`` for n <= ``MAX_UNITS``, else ``pseudo``."""
        return "exact" if self.n <= _enum.MAX_UNITS else "pseudo"

    def score_samples(self, x):
        """(M,) exact log p(s) for n <= ``MAX_UNITS``, else the per-row pseudo-log-likelihood."""
        if self.score_method == "exact":
            return self.log_prob(x)
        return self.pll(x, per_sample=True)

    def log_prob(self, x):
        """Exact log p(s) = -E(s) - log Z per row (n <= ``MAX_UNITS``)."""
        S = np.atleast_2d(to_spins(x))
        return -self.energy(S) - self.log_partition()

    def pll(self, x, per_sample=False):
        """Pseudo-log-likelihood sum_i log p(s_i | s_-i): mean over rows (nats per sample), or
        (M,) per row with ``per_sample=True``."""
        from boltzmann_lab.models.pseudolikelihood import pseudo_log_likelihood
        h, J0, _ = self.as_pairwise()
        return pseudo_log_likelihood(np.atleast_2d(to_spins(x)), h, J0, "spin",
                                     per_sample=per_sample)

    def sample(self, n_samples, seed=0, sweeps=200, temperature=1.0, method="auto"):
        """``n_samples`` spin configurations (n_samples, n).

        ``method="exact"`` (``auto`` picks it when T = 1 and n <= ``MAX_UNITS``): independent draws from
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
                                 and self.n <= _enum.MAX_UNITS):
            h, J0, _ = self.as_pairwise()
            return _enum.sample_exact(h, J0, "spin", n_samples, rng)
        S = 2.0 * rng.integers(0, 2, size=(n_samples, self.n)) - 1.0
        run_dynamics(self.J, self.h, S, "async", temperature, sweeps, stop=temperature <= 0,
                     rng_states=seed_states(n_samples, rng))
        return S

    def evaluate(self, x, seed=0):
        """Metrics of data ``x`` (M, n) (spins, or binary converted by 2x - 1):

        ``ll``: exact mean log-likelihood at T = 1 (nats/sample, ``ll_method`` "exact") when
        n <= ``MAX_UNITS``, else the pseudo-log-likelihood (``ll_method`` "pseudo"); ``pll``;
        ``energy`` mean E; ``mean_overlap`` mean over rows of max_mu |m_mu|; ``stable_patterns``
        fraction of stored patterns that are T = 0 fixed points.  Deterministic (``seed`` unused).
        """
        S = np.atleast_2d(to_spins(x))
        if S.shape[1] != self.n:
            raise ValueError(f"data have {S.shape[1]} units, the model has {self.n}")
        pll = self.pll(S)
        out = {"pll": pll, "energy": float(self.energy(S).mean()),
               "stable_patterns": float(self.fixed_points().mean()) if self.n_patterns else 0.0}
        out["mean_overlap"] = float(np.abs(self.overlaps(S)).max(axis=1).mean()) \
            if self.n_patterns else 0.0
        if self.n <= _enum.MAX_UNITS:
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
