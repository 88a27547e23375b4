"""The Potts model (kind ``potts``): the maximum-entropy model of categorical data.

Constrain the one- and two-site frequencies of variables with q states and the maximum-entropy
distribution is the generalised Ising — Potts — model (Mehta et al. 2019, section 14)::

    E(σ) = −Σ_i h_i(σ_i) − Σ_{i<j} J_ij(σ_i, σ_j),     p(σ) = e^{−E(σ)} / Z,     σ_i ∈ {0, …, q−1},

with fields ``h`` of shape (n, q) and couplings ``J`` of shape (n, n, q, q), J[i, j] = J[j, i]ᵀ
(so J_ij(a, b) = J_ji(b, a)) and zero diagonal blocks.  Samples are integer states 0..q−1 (the
``categorical`` convention); an ``alphabet`` maps them to symbols (e.g. ``-ACDEFGHIKLMNPQRSTVWY``).

Gauge: (h, J) and (h + c_i, J) — and many other shifts — give the same distribution; parameters are
compared and reported in the zero-sum gauge (:func:`boltzmann_lab.models.dca.zero_sum_gauge`).

Public names: :func:`check_params`, :func:`check_states`, :func:`energy`, :class:`PottsSampler`,
:class:`PottsModel`, :func:`warm_up`.
"""

from __future__ import annotations

import numpy as np

from boltzmann_lab.exact import potts as _exact
from boltzmann_lab.models.protocol import ModelProtocol

#: largest q (states are stored as int8)
MAX_STATES = 127


def check_params(h, J):
    """Validate and return float64 ``(h (n, q), J (n, n, q, q))``.

    J must satisfy J[i, j] = J[j, i]ᵀ (to 1e-10 relative) and have zero diagonal blocks; it is
    returned exactly symmetrised.  All entries must be finite.
    """
    h = np.asarray(h, dtype=np.float64)
    J = np.asarray(J, dtype=np.float64)
    if h.ndim != 2 or h.shape[0] < 1 or h.shape[1] < 2:
        raise ValueError(f"Potts fields h must have shape (n, q) with n >= 1 and q >= 2, got "
                         f"{h.shape}")
    n, q = h.shape
    if q > MAX_STATES:
        raise ValueError(f"Potts models support at most {MAX_STATES} states, got q = {q}")
    if J.shape != (n, n, q, q):
        raise ValueError(f"Potts couplings J must have shape ({n}, {n}, {q}, {q}) to match h, "
                         f"got {J.shape}")
    if not (np.isfinite(h).all() and np.isfinite(J).all()):
        raise ValueError("Potts fields h and couplings J must be finite (found NaN or inf)")
    JT = J.transpose(1, 0, 3, 2)
    scale = max(1.0, float(np.abs(J).max(initial=0.0)))
    if np.abs(J - JT).max(initial=0.0) > 1e-10 * scale:
        raise ValueError("Potts couplings must satisfy J[i, j] = J[j, i].T (J_ij(a, b) = "
                         "J_ji(b, a))")
    idx = np.arange(n)
    if np.any(J[idx, idx] != 0):
        raise ValueError("Potts couplings J must have zero diagonal blocks J[i, i] (a self-"
                         "coupling is a field: put it in h)")
    return h, 0.5 * (J + JT)


def check_states(X, n, q, name="data"):
    """Return X as an (M, n) int64 array after checking every value is an integer in 0..q−1."""
    X = np.asarray(X)
    if X.ndim == 1:
        X = X[None, :]
    if X.ndim != 2 or X.shape[1] != n:
        raise ValueError(f"{name} must have shape (M, {n}), got {np.shape(X)}")
    if X.dtype.kind == "f":
        if not np.all(np.isfinite(X)) or np.any(X != np.round(X)):
            raise ValueError(f"{name}: categorical states must be integers 0..{q - 1}")
    elif X.dtype.kind not in "iub":
        raise ValueError(f"{name}: categorical states must be integers, got dtype {X.dtype}")
    Xi = X.astype(np.int64)
    if Xi.size and (Xi.min() < 0 or Xi.max() >= q):
        raise ValueError(f"{name}: categorical states must lie in 0..{q - 1}, found values "
                         f"{int(Xi.min())}..{int(Xi.max())}")
    return Xi


def energy(X, h, J) -> np.ndarray:
    """E(σ) for each row of integer states X (M, n) (or (n,)); returns (M,) float64."""
    h, J = check_params(h, J)
    X = check_states(X, *h.shape)
    return -_exact.neg_energy(X, h, J)


def warm_up():
    """Compile (or load from the on-disk cache) the sampler and pseudo-likelihood kernels."""
    s = PottsSampler(3, 2, 4, seed=0)
    s.moments(np.zeros((3, 2)), np.zeros((3, 3, 2, 2)), sweeps=1)
    from boltzmann_lab.learning.potts_pl import pseudo_log_likelihood
    pseudo_log_likelihood(np.zeros((2, 3), np.int8), np.zeros((3, 2)), np.zeros((3, 3, 2, 2)),
                          grad=True)


class PottsSampler:
    """Persistent heat-bath (Gibbs) chains of a Potts model, all updated together.

    ``PottsSampler(n, q, chains, seed, init=None)``: ``chains`` independent chains of n sites with
    q states; ``seed`` int/None/Generator gives the initial states (uniform, unless ``init``, an
    (chains, n) or (n,) integer array) and one xorshift64* RNG stream per chain.  The parameters
    are passed to every call, so one sampler can follow a model while it is trained.

    ``run(h, J, sweeps=1, beta=1.0)`` advances the chains; ``moments(h, J, sweeps)`` also returns
    the one- and two-site frequencies over chains and the sweeps of that call.  Internally the
    fields are summed in float32 (relative error ~1e-7, far below the Monte Carlo error).
    """

    def __init__(self, n, q, chains, seed, init=None):
        n, q, chains = int(n), int(q), int(chains)
        if n < 1 or chains < 1 or not 2 <= q <= MAX_STATES:
            raise ValueError(f"need n >= 1, chains >= 1 and 2 <= q <= {MAX_STATES}; got n = {n}, "
                             f"chains = {chains}, q = {q}")
        from boltzmann_lab.kernels.rng import seed_states
        self.n, self.q, self.chains = n, q, chains
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        self._X = np.zeros((chains, n), dtype=np.int8)
        self.set_states(rng.integers(0, q, size=(chains, n)) if init is None else init)
        self._rng = seed_states(chains, rng)
        self._f = np.zeros(q, dtype=np.float32)
        self._no1 = np.zeros((1, 1), np.int64)
        self._no2 = np.zeros((1, 1, 1, 1), np.int32)

    @property
    def states(self) -> np.ndarray:
        """Current chains, (chains, n) int64 copy."""
        return self._X.astype(np.int64)

    def set_states(self, X) -> None:
        """Replace the chains by ``X`` ((chains, n), or (n,) for every chain)."""
        X = np.asarray(X)
        if X.ndim == 1:
            X = np.broadcast_to(X, (self.chains, X.shape[0]))
        if X.shape != (self.chains, self.n):
            raise ValueError(f"states must have shape ({self.chains}, {self.n}), got {X.shape}")
        self._X[...] = check_states(X, self.n, self.q, "chain states")

    def state_dict(self) -> dict:
        """Chains and per-chain RNG states (enough to continue bit for bit)."""
        return {"n": self.n, "q": self.q, "chains": self.chains, "x": self.states,
                "rng": self._rng.copy()}

    def load_state_dict(self, state) -> None:
        if (int(state["n"]), int(state["q"]), int(state["chains"])) != (self.n, self.q,
                                                                        self.chains):
            raise ValueError(f"sampler state is for n={state['n']}, q={state['q']}, "
                             f"chains={state['chains']}; this sampler has n={self.n}, "
                             f"q={self.q}, chains={self.chains}")
        self.set_states(state["x"])
        self._rng[...] = np.asarray(state["rng"], dtype=np.uint64)

    def _params(self, h, J, check=True):
        if check:
            h, J = check_params(h, J)
        else:       # trusted caller (a learner whose updates keep J[i, j] = J[j, i]ᵀ exactly)
            h, J = np.asarray(h), np.asarray(J)
            if J.shape != (self.n, self.n, self.q, self.q):
                raise ValueError(f"couplings have shape {J.shape}, sampler has n = {self.n}, "
                                 f"q = {self.q}")
        if h.shape != (self.n, self.q):
            raise ValueError(f"model has shape {h.shape}, sampler has ({self.n}, {self.q})")
        n, q = self.n, self.q
        # the kernel's slab layout: Jt[i, j q + b, a] = J[j, i, b, a]
        Jt = np.ascontiguousarray(J.transpose(1, 0, 2, 3), np.float32).reshape(n, n * q, q)
        return np.ascontiguousarray(h, np.float32), Jt

    def run(self, h, J, sweeps=1, beta=1.0, check=True) -> None:
        """Advance every chain by ``sweeps`` sweeps at inverse temperature ``beta`` (in place).
        Random: uses and advances the per-chain RNG streams."""
        from boltzmann_lab.kernels import potts as kern
        h32, J32 = self._params(h, J, check)
        kern.gibbs_sweeps(self._X, J32, h32, float(beta), int(sweeps), self._rng, False,
                          self._no1, self._no2, self._f)

    def moments(self, h, J, sweeps=1, beta=1.0, check=True):
        """Run ``sweeps`` sweeps, measuring after each; return ``(p1 (n, q), p2 (n, n, q, q))``,
        the frequencies of single states and of state pairs over chains and sweeps (p2 has the
        Potts-J symmetry p2[i, j] = p2[j, i]ᵀ and diagonal blocks diag(p1_i)).  ``check=False``
        skips the O(n² q²) validation of (h, J) for callers that guarantee it."""
        from boltzmann_lab.kernels import potts as kern
        sweeps = int(sweeps)
        if sweeps < 1:
            raise ValueError(f"moments needs sweeps >= 1, got {sweeps}")
        h32, J32 = self._params(h, J, check)
        n, q = self.n, self.q
        c1 = np.zeros((n, q), np.int64)
        p1 = np.zeros((n, q))
        p2 = np.zeros((n, n, q, q))
        done = 0
        # int32 pair counts (half the memory traffic of int64), in batches that cannot overflow
        batch = max(1, (2 ** 31 - 1) // self.chains)
        while done < sweeps:
            k = min(batch, sweeps - done)
            c1[...] = 0
            c2 = np.zeros((n, q, n, q), np.int32)
            kern.gibbs_sweeps(self._X, J32, h32, float(beta), k, self._rng, True, c1, c2,
                              self._f)
            a, b = pair_frequencies(c1, c2, sweeps * self.chains)
            p1 += a
            p2 += b
            done += k
        return p1, p2


def pair_frequencies(c1, c2, total):
    """Turn one-site counts (n, q) and upper-block pair counts (n, q, n, q) into frequencies
    ``(p1 (n, q), p2 (n, n, q, q))`` with p2[j, i] = p2[i, j]ᵀ and diagonal blocks diag(p1_i)."""
    n, q = c1.shape
    p1 = c1 / float(total)
    p2 = c2.transpose(0, 2, 1, 3) / float(total)
    p2 = p2 + p2.transpose(1, 0, 3, 2)
    idx = np.arange(n)
    p2[idx, idx] = 0.0
    for i in range(n):
        p2[i, i] = np.diag(p1[i])
    return p1, p2


class PottsModel(ModelProtocol):
    """A Potts model p(σ) = e^{−E(σ)}/Z (kind ``potts``; see the module docstring).

    ``PottsModel(h, J, alphabet=None)``: h (n, q), J (n, n, q, q); ``alphabet`` an optional
    string (one symbol per state) or list of q symbols, saved in the file's ``meta``.

    Model protocol (:mod:`boltzmann_lab.models.protocol`): ``to_arrays``/``from_arrays`` (arrays
    ``h``, ``J``; ``alphabet`` and ``q`` in meta), ``sample(n, seed=0)`` (exact when q^n ≤ 2^20,
    else MCMC), ``log_partition``/``log_prob`` (exact, q^n ≤ 2^24), ``score``/``score_samples``
    (exact log-likelihood when q^n ≤ 2^24, else the pseudo-log-likelihood: ``score_method``),
    ``pll``, ``evaluate(x)``.
    """

    kind = "potts"
    convention = "categorical"
    EXACT_SAMPLE_STATES = 1 << 20

    def __init__(self, h, J, alphabet=None):
        h, J = check_params(h, J)
        self.h, self.J = h.copy(), J.copy()
        self.n, self.q = h.shape
        if alphabet is not None:
            if isinstance(alphabet, str):
                symbols = list(alphabet)
            else:
                symbols = [str(s) for s in alphabet]
            if len(symbols) != self.q or len(set(symbols)) != self.q:
                raise ValueError(f"the alphabet must name {self.q} distinct states, got "
                                 f"{alphabet!r}")
        self.alphabet = alphabet

    def __repr__(self):
        return f"PottsModel(n={self.n}, q={self.q})"

    def to_arrays(self):
        meta = {"n": self.n, "q": self.q}
        if self.alphabet is not None:
            meta["alphabet"] = self.alphabet
        return meta, {"h": self.h.copy(), "J": self.J.copy()}

    @classmethod
    def from_arrays(cls, meta, arrays):
        for key in ("h", "J"):
            if key not in arrays:
                raise ValueError(f"potts model file lacks the array {key!r}")
        return cls(arrays["h"], arrays["J"], meta.get("alphabet"))

    def energy(self, X):
        """E(σ) for each row of integer states X (M, n)."""
        return -_exact.neg_energy(check_states(X, self.n, self.q), self.h, self.J)

    def log_prob(self, X):
        """Exact log p(σ) per row (q^n ≤ 2^24)."""
        return -self.energy(X) - _exact.log_z(self.h, self.J)

    def sample(self, n_samples, seed=0, burn_in=None, thin=None, chains=1000):
        """``n_samples`` samples, (n_samples, n) int64 states.

        q^n ≤ 2^20: exact and independent (enumeration).  Otherwise ``chains`` Gibbs chains from
        uniform random states, ``burn_in`` sweeps (default max(500, 20 n)), then one sample per
        chain every ``thin`` sweeps (default 20): approximately independent only if the chains mix
        faster than that.  ``seed`` int/None/Generator.
        """
        n_samples = int(n_samples)
        if n_samples < 0:
            raise ValueError(f"n_samples must be >= 0, got {n_samples}")
        if _exact.feasible(self.n, self.q, self.EXACT_SAMPLE_STATES):
            return _exact.sample_exact(self.h, self.J, n_samples, seed)
        return mcmc_samples(self.h, self.J, n_samples, seed, burn_in, thin, chains)

    def evaluate(self, X, seed=0, weights=None):
        """``ll`` (nats/sample) with ``ll_method`` ``exact`` (q^n ≤ 2^24) or ``pseudo`` (mean
        pseudo-log-likelihood), and ``pll`` always; with ``weights`` (M,) weighted means.
        Deterministic (``seed`` unused)."""
        from boltzmann_lab.learning.potts_pl import pseudo_log_likelihood
        X = check_states(X, self.n, self.q)
        pll = pseudo_log_likelihood(X, self.h, self.J, weights=weights)
        if self.score_method == "exact":
            ll = _exact.log_likelihood(X, self.h, self.J, weights)
            return {"ll": ll, "ll_method": "exact", "pll": pll}
        return {"ll": pll, "ll_method": "pseudo", "pll": pll}

    # ----- the rest of the model protocol -----
    @property
    def score_method(self) -> str:
        """``exact`` (enumeration) when q^n ≤ 2^24, else ``pseudo``."""
        return "exact" if _exact.feasible(self.n, self.q) else "pseudo"

    def log_partition_with_method(self):
        """``(log Z, "exact")`` by enumeration; ValueError when q^n > 2^24 (no estimate of Z is
        implemented for Potts models; :meth:`score` then falls back to the PLL)."""
        return float(_exact.log_z(self.h, self.J)), "exact"

    def pll(self, X, per_sample=False):
        """Pseudo-log-likelihood Σ_r log p(σ_r | σ_−r): the mean over rows (nats per sample), or
        (M,) per row with ``per_sample=True``."""
        from boltzmann_lab.learning.potts_pl import pll_per_sample
        s = pll_per_sample(check_states(X, self.n, self.q), self.h, self.J)
        return s if per_sample else float(s.mean())

    def score_samples(self, X):
        """(M,) exact log p(σ) when q^n ≤ 2^24, else the per-row pseudo-log-likelihood."""
        if self.score_method == "exact":
            return self.log_prob(X)
        return self.pll(X, per_sample=True)


def mcmc_samples(h, J, n_samples, seed, burn_in=None, thin=None, chains=1000):
    """Approximate samples by persistent Gibbs chains (see :meth:`PottsModel.sample`)."""
    n, q = np.shape(h)
    burn_in = max(500, 20 * n) if burn_in is None else int(burn_in)
    thin = 20 if thin is None else int(thin)
    chains = max(1, min(int(chains), int(n_samples)))
    sampler = PottsSampler(n, q, chains, seed)
    sampler.run(h, J, sweeps=burn_in)
    out = np.empty((int(n_samples), n), dtype=np.int64)
    filled = 0
    while filled < n_samples:
        sampler.run(h, J, sweeps=thin)
        take = min(chains, n_samples - filled)
        out[filled:filled + take] = sampler.states[:take]
        filled += take
    return out
