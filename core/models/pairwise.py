"""Fully connected pairwise spin models: energy, the ``maxent`` model class and the MCMC sampler.

Convention (both ``binary`` {0,1} and ``spin`` {-1,+1} units):

    E(x) = -sum_i h_i x_i - sum_{i<j} J_ij x_i x_j + V[K(x)],      p(x) = exp(-E(x)) / Z,

with J symmetric and zero on the diagonal, and an optional population potential V of shape (n+1,)
evaluated at K(x) = number of "on" units (x_i = 1 or s_i = +1).
"""

import numpy as np

from boltzmann_lab.data.conventions import CONVENTIONS, check_convention
from boltzmann_lab.models.protocol import ModelProtocol


def check_params(h, J, V=None):
    """Validate and return float64 ``(h (n,), J (n, n), V (n+1,) or None)``.

    J must be square, symmetric (to 1e-10 relative) and zero on the diagonal; it is returned exactly
    symmetrised.  All entries must be finite.
    """
    h = np.asarray(h, dtype=np.float64)
    J = np.asarray(J, dtype=np.float64)
    if h.ndim != 1:
        raise ValueError(f"fields h must be a 1-D array, got shape {h.shape}")
    n = h.shape[0]
    if n < 1:
        raise ValueError("a pairwise model needs at least one unit (h is empty)")
    if J.shape != (n, n):
        raise ValueError(f"couplings J must have shape ({n}, {n}) to match h, got {J.shape}")
    if not (np.all(np.isfinite(h)) and np.all(np.isfinite(J))):
        raise ValueError("fields h and couplings J must be finite (found NaN or inf)")
    scale = max(1.0, float(np.abs(J).max()))
    if np.abs(J - J.T).max() > 1e-10 * scale:
        raise ValueError("couplings J must be symmetric (J[i, j] == J[j, i])")
    if np.any(np.diag(J) != 0):
        raise ValueError("couplings J must have a zero diagonal (a self-coupling is a field: "
                         "put it in h)")
    J = 0.5 * (J + J.T)
    if V is not None:
        V = np.asarray(V, dtype=np.float64)
        if V.shape != (n + 1,):
            raise ValueError(f"population potential V must have shape ({n + 1},) for n = {n} "
                             "units, "
                             f"got {V.shape}")
        if not np.all(np.isfinite(V)):
            raise ValueError("population potential V must be finite (found NaN or inf)")
    return h, J, V


def check_data(x, n, convention):
    """Return ``x`` as a (M, n) float64 array after checking its values fit ``convention``."""
    check_convention(convention, CONVENTIONS)
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 1:
        x = x[None, :]
    if x.ndim != 2 or x.shape[1] != n:
        raise ValueError(f"data must have shape (M, {n}), got {np.shape(x)}")
    allowed = (0.0, 1.0) if convention == "binary" else (-1.0, 1.0)
    if not np.all((x == allowed[0]) | (x == allowed[1])):
        raise ValueError(f"data in the {convention} convention may only hold {allowed[0]:g} and "
                         f"{allowed[1]:g}")
    return x


def energy(x, h, J, V=None):
    """E(x) = -h.x - sum_{i<j} J_ij x_i x_j + V[K(x)] for each row of x; returns (M,) float64.

    x: (M, n) or (n,) in either convention; K(x) counts units with x_i > 0, which is the "on"
    state in both conventions (1 or +1).  J symmetric with zero diagonal, V (n+1,) or None.
    """
    h, J, V = check_params(h, J, V)
    x = np.asarray(x, dtype=np.float64)
    x2 = x[None, :] if x.ndim == 1 else x
    e = -(x2 @ h) - 0.5 * np.einsum("mi,mi->m", x2 @ J, x2)
    if V is not None:
        e += V[(x2 > 0).sum(axis=1)]
    return e


METHODS = ("gibbs", "metropolis")


def warm_up():
    """Compile (or load from the on-disk cache) the sampler kernels: call once at start-up, e.g. on
    a worker thread while showing "compiling...", so the first real sweep is not delayed."""
    s = PairwiseSampler(4, 64, "spin", seed=0)
    s.moments(np.zeros(4), np.zeros((4, 4)), np.zeros(5), sweeps=1)
    s.run(np.zeros(4), np.zeros((4, 4)), sweeps=1)


class PairwiseSampler:
    """Persistent MCMC chains of a pairwise model, all updated together.

    ``PairwiseSampler(n, chains, convention, seed, method="gibbs", init=None)``

    n units, ``chains`` independent chains (use >= 1000 for speed: the update is vectorised over
    chains), ``convention`` "binary" or "spin", ``seed`` int/None/Generator (initial states and one
    RNG stream per chain), ``method`` "gibbs" (heat bath) or "metropolis" (single-flip), both
    sequential scans over the units.  ``init`` None (each unit on with probability 1/2) or an
    (chains, n) / (n,) array in the convention.

    The parameters are passed to every call, so one sampler follows a model while it is trained:
    ``run(h, J, V=None, sweeps=1, beta=1.0)`` advances the chains; ``moments(...)`` also returns
    the averages over chains and the sweeps of that call.  ``beta`` multiplies the whole energy
    (including V).  Running totals of every measured sweep are kept in ``sum_x`` (n,), ``sum_xx``
    (n, n), ``k_counts`` (n+1,) and ``n_measured`` (chain-sweeps) until :meth:`reset_sums`.

    Internally the chains are float32 (n, chains) and the fields are summed in float32 (relative
    error ~1e-7, negligible against Monte Carlo error).
    """

    def __init__(self, n, chains, convention, seed, method="gibbs", init=None):
        from boltzmann_lab.kernels import pairwise as kern

        self._kern = kern
        n = int(n)
        chains = int(chains)
        if n < 1:
            raise ValueError(f"n must be >= 1, got {n}")
        if chains < 1:
            raise ValueError(f"chains must be >= 1, got {chains}")
        check_convention(convention, CONVENTIONS)
        if method not in METHODS:
            raise ValueError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
        self.n, self.chains, self.convention, self.method = n, chains, convention, method
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        if init is None:
            on = rng.random((chains, n)) < 0.5
            off = -1.0 if convention == "spin" else 0.0
            init = np.where(on, 1.0, off)
        # chains live in tiles of T lanes (see boltzmann_lab.kernels.pairwise.run_sweeps); the last tile is
        # padded with chains that run but are never measured or returned
        T = kern.tile_size(n, chains)
        tiles = -(-chains // T)
        self._T, self._tiles = T, tiles
        self._valid = np.full(tiles, T, dtype=np.int64)
        self._valid[-1] = chains - (tiles - 1) * T
        self._X = np.zeros((tiles, n, T), dtype=np.float32)
        self._K = np.zeros((tiles, T), dtype=np.int32)
        self.set_states(init)
        self._S = self._to_tiles(kern.seed_rng(tiles * T, rng))
        self._F = np.zeros((4, T), dtype=np.float32)
        self._dx = np.zeros(T, dtype=np.float32)
        self._g = np.zeros(T, dtype=np.float32)
        self._u = np.zeros(T, dtype=np.float32)
        self._bits = np.zeros((n, -(-T // 64)), dtype=np.uint64)
        self._no_counts = (np.zeros(1, np.int64), np.zeros((1, 1), np.int64), np.zeros(1, np.int64))
        self.reset_sums()

    # ----- layout: (rows, chains) <-> (tiles, rows, T) -----
    def _to_tiles(self, a):
        """(rows, tiles*T) -> (tiles, rows, T) contiguous."""
        rows = a.shape[0]
        return np.ascontiguousarray(a.reshape(rows, self._tiles, self._T).transpose(1, 0, 2))

    def _from_tiles(self, a):
        """(tiles, rows, T) -> (rows, chains), padding dropped."""
        rows = a.shape[1]
        return a.transpose(1, 0, 2).reshape(rows, self._tiles * self._T)[:, :self.chains]

    # ----- state -----
    @property
    def states(self):
        """Current chains, (chains, n) float64 copy in the sampler's convention."""
        return self._from_tiles(self._X).T.astype(np.float64)

    def set_states(self, x):
        """Replace the chains by ``x`` ((chains, n), or (n,) for all chains) in the convention."""
        x = np.asarray(x, dtype=np.float64)
        if x.ndim == 1:
            x = np.broadcast_to(x, (self.chains, x.shape[0]))
        if x.shape != (self.chains, self.n):
            raise ValueError(f"states must have shape ({self.chains}, {self.n}), got {x.shape}")
        x = check_data(x, self.n, self.convention)
        full = np.full((self.n, self._tiles * self._T), -1.0 if self.convention == "spin" else 0.0)
        full[:, :self.chains] = x.T
        self._X[...] = self._to_tiles(full)
        self._K[...] = (self._X > 0).sum(axis=1)

    def reset_sums(self):
        """Zero the running totals sum_x, sum_xx, k_counts and n_measured."""
        self.sum_x = np.zeros(self.n)
        self.sum_xx = np.zeros((self.n, self.n))
        self.k_counts = np.zeros(self.n + 1)
        self.n_measured = 0

    def state_dict(self):
        """Everything needed to continue bit-for-bit: chains, per-chain RNG states, running totals.

        Stored per chain ((chains, n) states, (4, chains) RNG), independent of the tile layout.
        """
        return {"n": self.n, "chains": self.chains, "convention": self.convention,
                "method": self.method, "x": self.states, "rng": self._from_tiles(self._S).copy(),
                "sum_x": self.sum_x.copy(), "sum_xx": self.sum_xx.copy(),
                "k_counts": self.k_counts.copy(), "n_measured": int(self.n_measured)}

    def load_state_dict(self, state):
        """Restore what :meth:`state_dict` returned (n, chains and convention must match)."""
        if (int(state["n"]), int(state["chains"])) != (self.n, self.chains):
            raise ValueError(f"state is for n={state['n']}, chains={state['chains']}; this sampler "
                             f"has n={self.n}, chains={self.chains}")
        if state["convention"] != self.convention:
            raise ValueError(f"state is in the {state['convention']} convention, this sampler in "
                             f"{self.convention}")
        if state["method"] not in METHODS:
            raise ValueError(f"unknown method {state['method']!r} in state")
        rng = np.asarray(state["rng"], dtype=np.uint32)
        if rng.shape != (4, self.chains):
            raise ValueError(f"RNG state must have shape (4, {self.chains}), got {rng.shape}")
        self.method = state["method"]
        self.set_states(state["x"])
        S = self._S.transpose(1, 0, 2).reshape(4, -1).copy()   # keeps the padding lanes' states
        S[:, :self.chains] = rng
        self._S[...] = self._to_tiles(S)
        self.sum_x = np.array(state["sum_x"], dtype=np.float64)
        self.sum_xx = np.array(state["sum_xx"], dtype=np.float64)
        self.k_counts = np.array(state["k_counts"], dtype=np.float64)
        self.n_measured = int(state["n_measured"])

    # ----- sampling -----
    def _params(self, h, J, V):
        h, J, V = check_params(h, J, V)
        if h.shape[0] != self.n:
            raise ValueError(f"model has {h.shape[0]} units, sampler has {self.n}")
        h32 = np.ascontiguousarray(h, dtype=np.float32)
        J32 = np.ascontiguousarray(J, dtype=np.float32)
        if V is None:
            return h32, J32, np.zeros(self.n, dtype=np.float32), False
        return h32, J32, np.ascontiguousarray(np.diff(V), dtype=np.float32), True

    def _sweep(self, h, J, V, sweeps, beta, counts):
        sweeps = int(sweeps)
        if sweeps < 0:
            raise ValueError(f"sweeps must be >= 0, got {sweeps}")
        h32, J32, dV, has_v = self._params(h, J, V)
        if not has_v:
            self._g[...] = 0.0
        method = self._kern.GIBBS if self.method == "gibbs" else self._kern.METROPOLIS
        measure = counts is not None
        if not measure:
            counts = self._no_counts
        self._kern.run_sweeps(self._X, self._K, self._S, self._valid, J32, h32, dV, has_v,
                              self.convention == "spin", method, float(beta), sweeps, measure,
                              counts[0], counts[1], counts[2], self._F, self._g, self._u,
                              self._dx, self._bits)

    def run(self, h, J, V=None, sweeps=1, beta=1.0):
        """Advance every chain by ``sweeps`` sweeps at inverse temperature ``beta`` (in place).

        Random: uses and advances the per-chain RNG streams.  Returns None; read :attr:`states`.
        """
        self._sweep(h, J, V, sweeps, beta, None)

    def moments(self, h, J, V=None, sweeps=1, beta=1.0):
        """Run ``sweeps`` sweeps measuring after each; return ``(mean, second, p_k)``.

        mean (n,) = average of x_i, second (n, n) = average of x_i x_j (diagonal E[x_i^2]), p_k
        (n+1,) = frequency of K, all over chains and the sweeps of this call.  Also added to the
        running totals.
        """
        sweeps = int(sweeps)
        if sweeps < 1:
            raise ValueError(f"moments needs sweeps >= 1, got {sweeps}")
        cx = np.zeros(self.n, dtype=np.int64)
        cxx = np.zeros((self.n, self.n), dtype=np.int64)
        ck = np.zeros(self.n + 1, dtype=np.int64)
        self._sweep(h, J, V, sweeps, beta, (cx, cxx, ck))
        sx = cx.astype(np.float64)
        sxx = (np.triu(cxx) + np.triu(cxx, 1).T).astype(np.float64)
        kc = ck.astype(np.float64)
        self.sum_x += sx
        self.sum_xx += sxx
        self.k_counts += kc
        count = sweeps * self.chains
        self.n_measured += count
        return sx / count, sxx / count, kc / count


class PairwiseModel(ModelProtocol):
    """A pairwise MaxEnt model p(x) = exp(-E(x)) / Z (kind ``maxent``; see the module docstring).

    ``PairwiseModel(h, J, convention, V=None)``: h (n,), J (n, n) symmetric zero-diagonal, V (n+1,)
    population potential or None; ``convention`` "binary" or "spin".  Arrays are copied.

    Model protocol: ``to_arrays``/``from_arrays`` (arrays ``h``, ``J`` and ``population`` = V when
    present), ``sample(n_samples, seed)`` (exact for n <= EXACT_SAMPLE_MAX, else MCMC),
    ``evaluate(x)`` (exact log-likelihood for n <= 24, else pseudo-log-likelihood).
    """

    kind = "maxent"
    EXACT_SAMPLE_MAX = 20
    EXACT_LL_MAX = 24

    def __init__(self, h, J, convention, V=None):
        check_convention(convention, CONVENTIONS)
        h, J, V = check_params(h, J, V)
        self.h, self.J = h.copy(), J.copy()
        self.V = None if V is None else V.copy()
        self.convention = convention
        self.n = h.shape[0]

    def __repr__(self):
        pop = ", population" if self.V is not None else ""
        return f"PairwiseModel(n={self.n}, {self.convention}{pop})"

    # ----- protocol -----
    def to_arrays(self):
        """``(meta, arrays)``: meta {"n"}, arrays h, J and (if present) population."""
        arrays = {"h": self.h.copy(), "J": self.J.copy()}
        if self.V is not None:
            arrays["population"] = self.V.copy()
        return {"n": self.n}, arrays

    @classmethod
    def from_arrays(cls, meta, arrays):
        """Inverse of :meth:`to_arrays`; ``meta`` must hold the ``convention``."""
        convention = meta.get("convention")
        if convention is None:
            raise ValueError("maxent model file has no 'convention' in its meta data")
        for key in ("h", "J"):
            if key not in arrays:
                raise ValueError(f"maxent model file lacks the array {key!r}")
        return cls(arrays["h"], arrays["J"], convention, arrays.get("population"))

    def energy(self, x):
        """E(x) for each row of x (M, n) in the model's convention."""
        return energy(check_data(x, self.n, self.convention), self.h, self.J, self.V)

    def log_prob(self, x):
        """Exact log p(x) per row (n <= 24)."""
        from boltzmann_lab.exact import enumeration

        return enumeration.log_prob(x, self.h, self.J, self.convention, self.V)

    def sample(self, n_samples, seed=0, burn_in=None, thin=None, chains=1000):
        """``n_samples`` samples, (n_samples, n) float64 in the model's convention.

        n <= 20: exact, independent (enumeration).  Larger n: ``chains`` persistent Gibbs chains
        from random starts, ``burn_in`` sweeps (default 20 n, at least 500), then one sample per
        chain every ``thin`` sweeps (default 20): approximately independent only if the mixing
        time is shorter than that.  ``seed`` int/None/Generator.
        """
        n_samples = int(n_samples)
        if n_samples < 0:
            raise ValueError(f"n_samples must be >= 0, got {n_samples}")
        if self.n <= self.EXACT_SAMPLE_MAX:
            from boltzmann_lab.exact import enumeration

            return enumeration.sample_exact(self.h, self.J, self.convention, n_samples, seed,
                                            self.V)
        burn_in = max(500, 20 * self.n) if burn_in is None else int(burn_in)
        thin = 20 if thin is None else int(thin)
        chains = max(1, min(int(chains), n_samples))
        sampler = PairwiseSampler(self.n, chains, self.convention, seed, method="gibbs")
        sampler.run(self.h, self.J, self.V, sweeps=burn_in)
        out = np.empty((n_samples, self.n))
        filled = 0
        while filled < n_samples:
            sampler.run(self.h, self.J, self.V, sweeps=thin)
            take = min(chains, n_samples - filled)
            out[filled:filled + take] = sampler.states[:take]
            filled += take
        return out

    def evaluate(self, x, seed=0):
        """Metrics of data x (M, n): ``ll`` mean log-likelihood (nats/sample) with ``ll_method``
        "exact" (n <= 24, enumeration) or "pseudo" (mean pseudo-log-likelihood, larger n), and
        ``pll`` (pseudo-log-likelihood) always.  Deterministic (``seed`` unused)."""
        x = check_data(x, self.n, self.convention)
        pll = self.pll(x)
        if self.score_method == "exact":
            return {"ll": self.score(x), "ll_method": "exact", "pll": pll}
        return {"ll": pll, "ll_method": "pseudo", "pll": pll}

    # ----- the rest of the model protocol (boltzmann_lab.models.protocol) -----
    @property
    def score_method(self) -> str:
        """``exact`` (enumeration) for n <= ``MAX_UNITS``, else ``pseudo``."""
        from boltzmann_lab.exact.enumeration import MAX_UNITS
        return "exact" if self.n <= MAX_UNITS else "pseudo"

    def log_partition_with_method(self):
        """``(log Z, "exact")`` by enumeration; ValueError for n > ``MAX_UNITS`` (no estimate
        of Z is implemented for pairwise models; :meth:`score` falls back to the PLL)."""
        from boltzmann_lab.exact import enumeration
        return float(enumeration.log_z(self.h, self.J, self.convention, self.V)), "exact"

    def pll(self, x, per_sample=False):
        """Pseudo-log-likelihood sum_i log p(x_i | x_-i): the mean over rows (nats per sample),
        or (M,) per row with ``per_sample=True``."""
        from boltzmann_lab.models.pseudolikelihood import pseudo_log_likelihood
        x = check_data(x, self.n, self.convention)
        return pseudo_log_likelihood(x, self.h, self.J, self.convention, self.V,
                                     per_sample=per_sample)

    def score_samples(self, x):
        """(M,) exact log p(x) for n <= ``MAX_UNITS``, else the per-row pseudo-log-likelihood."""
        if self.score_method == "exact":
            return self.log_prob(x)
        return np.asarray(self.pll(x, per_sample=True), dtype=np.float64)

    def to_convention(self, name):
        """The same distribution in convention ``name`` (exact; V is unchanged, log Z shifts)."""
        from boltzmann_lab.data.conventions import pairwise_binary_to_spin, pairwise_spin_to_binary

        check_convention(name, CONVENTIONS)
        if name == self.convention:
            return PairwiseModel(self.h, self.J, name, self.V)
        convert = pairwise_binary_to_spin if name == "spin" else pairwise_spin_to_binary
        h, J, _ = convert(self.h, self.J)
        return PairwiseModel(h, J, name, self.V)
