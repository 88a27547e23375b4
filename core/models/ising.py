"""2D Ising lattice simulation: a Qt-free API and observables.

Model (one convention everywhere): periodic L x L square lattice, spins s in {-1, +1},

    E(s) = -J sum_<ij> s_i s_j - H sum_i s_i        (each nearest-neighbour bond once; a sum)

p(s) ∝ exp(-E(s)/T), k_B = 1.  Observables are per spin: e = E/N, m = M/N, N = L².

Public API
----------
* :class:`Lattice` — spins (L, L) int8 + explicit RNG states; ``sweep(n, algorithm)`` runs
  ``metropolis`` / ``heatbath`` (checkerboard, SIMD kernels in :mod:`boltzmann_lab.kernels.lattice`, even L)
  or ``wolff`` (cluster updates, H = 0, :mod:`boltzmann_lab.kernels.wolff`) and returns e and m after each
  sweep.  A Wolff "sweep" is as many clusters as it takes to flip >= N spins.
* estimators: :func:`specific_heat`, :func:`susceptibility`, :func:`correlation_function` C(r);
  error bars of correlated series are in :mod:`boltzmann_lab.stats.autocorr`.
* :class:`IsingModel` (model protocol, kind ``ising``).

Elsewhere: decorrelated equilibrium samples for data sets in
:mod:`boltzmann_lab.sampling.ising`; the live simulation behind ``[model] kind = "ising"``
(nothing is learned) in :mod:`boltzmann_lab.learning.ising`.

Exact references for J > 0, H = 0 are in :mod:`boltzmann_lab.exact.onsager`.
"""

from __future__ import annotations

import math

import numpy as np

from boltzmann_lab.exact import onsager
from boltzmann_lab.kernels import lattice as _lk
from boltzmann_lab.kernels import wolff as _wk
from boltzmann_lab.kernels.rng import seed_states
from boltzmann_lab.models.protocol import ModelProtocol

ALGORITHMS = ("metropolis", "heatbath", "wolff")


# =============================================================================== the lattice
class Lattice:
    """A periodic L x L Ising lattice with its own random state.

    Parameters
    ----------
    L : lattice side (>= 2; Metropolis/heat-bath need it even).
    T : temperature (> 0); J : coupling; H : field.
    seed : int, None or ``numpy.random.Generator``; draws the initial spins (when ``start`` is
        random) and seeds the RNG states.  Same seed -> identical chains.
    start : ``random`` (infinite temperature), ``up``, ``down``, or ``ordered`` (all up for
        J >= 0, the staggered ground state for J < 0).

    Attributes: ``spins`` (L, L) int8, updated in place; ``lanes`` (2, L/2) uint32 xoroshiro64*
    states of the checkerboard kernels (one per column lane); ``wolff_state`` (1,) uint64
    xorshift64* state of the cluster updates.
    """

    def __init__(self, L, T, J=1.0, H=0.0, seed=0, start="random"):
        L = int(L)
        if L < 2:
            raise ValueError(f"Ising lattice side L must be >= 2, got {L}")
        self.L = L
        self.T, self.J, self.H = float(T), float(J), float(H)
        self._check_params(self.T)
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        if start == "random":
            self.spins = np.where(rng.random((L, L)) < 0.5, -1, 1).astype(np.int8)
        elif start in ("up", "down", "ordered"):
            self.spins = np.full((L, L), -1 if start == "down" else 1, np.int8)
            if start == "ordered" and self.J < 0:
                i, j = np.indices((L, L))
                self.spins[(i + j) % 2 == 1] = -1
        else:
            raise ValueError(f"start must be 'random', 'up', 'down' or 'ordered', got {start!r}")
        self.lanes = _lk.seed_lanes(max(L // 2, 1), rng)
        self.wolff_state = seed_states(1, rng)
        self._tables = {}
        self.wolff_clusters = None     # clusters per Wolff sweep; None: clusters_per_sweep()

    @staticmethod
    def _check_params(T):
        if not (math.isfinite(T) and T > 0):
            raise ValueError(f"temperature must be positive and finite, got {T}")

    # --- parameters -----------------------------------------------------------------------
    @property
    def N(self):
        return self.L * self.L

    @property
    def beta(self):
        return 1.0 / self.T

    def set_params(self, T=None, J=None, H=None):
        """Change temperature, coupling or field; the spins and RNG states are kept."""
        if T is not None:
            self._check_params(float(T))
            self.T = float(T)
        if J is not None:
            self.J = float(J)
        if H is not None:
            self.H = float(H)

    def _table(self, rule):
        key = (rule, self.T, self.J, self.H)
        tab = self._tables.get(key)
        if tab is None:
            make = _lk.metropolis_table if rule == _lk.RULE_METROPOLIS else _lk.heatbath_table
            tab = make(self.beta, self.J, self.H)
            if len(self._tables) > 64:
                self._tables.clear()
            self._tables[key] = tab
        return tab

    # --- dynamics -------------------------------------------------------------------------
    def check_algorithm(self, algorithm):
        """Raise ValueError when ``algorithm`` cannot run on this lattice/field."""
        if algorithm not in ALGORITHMS:
            raise ValueError(f"unknown Ising algorithm {algorithm!r}; choose one of "
                             f"{', '.join(ALGORITHMS)}")
        if algorithm == "wolff" and self.H != 0.0:
            raise ValueError("the Wolff cluster update needs zero field (H = 0); use "
                             "metropolis or heatbath with a field")
        if algorithm != "wolff" and self.L % 2:
            raise ValueError(f"checkerboard {algorithm} needs an even lattice side (L = "
                             f"{self.L} is odd, so the periodic lattice is not bipartite); "
                             f"use an even L or wolff")

    def sweep(self, n=1, algorithm="metropolis"):
        """Run ``n`` sweeps in place; return (energy per spin, magnetisation per spin), each an
        (n,) float64 array of the values after every sweep."""
        n = int(n)
        self.check_algorithm(algorithm)
        e = np.empty(max(n, 0))
        m = np.empty(max(n, 0))
        if n <= 0:
            return e, m
        if algorithm == "wolff":
            # p_add = 1 - exp(-2|J|/T); for J = 0 clusters are single spins (still exact)
            p_add = -math.expm1(-2.0 * abs(self.J) / self.T)
            g = 1 if self.J >= 0 else -1
            _wk.wolff_sweeps(self.spins, self.wolff_state, n, self.clusters_per_sweep(),
                             p_add, g, self.J, e, m)
        else:
            rule = _lk.RULE_METROPOLIS if algorithm == "metropolis" else _lk.RULE_HEATBATH
            _lk.checkerboard_sweeps(self.spins, self.lanes, n, rule, self._table(rule),
                                    self.J, self.H, e, m)
        return e, m

    def clusters_per_sweep(self):
        """Wolff clusters per "sweep": round(N / s), s an a-priori estimate of the mean cluster
        size <|C|> = <M²>/N, so that a sweep flips about N spins.  The count must not depend on
        the chain itself (that would bias measurements), so s comes from exact/asymptotic
        formulas in (L, T, |J|) only: N m(T)² below T_c (Yang), 0.9625 |1 - T_c/T|^(-7/4) above
        (the leading critical amplitude of T chi, within ~10 % down to T = 4 T_c), capped at the
        finite-size value 1.1 L^(7/4) measured at T_c and at N.  ``wolff_clusters`` (if set to
        an int) overrides it."""
        if self.wolff_clusters:
            return int(self.wolff_clusters)
        aJ = abs(self.J)
        if aJ == 0.0:
            return self.N
        t = self.T / aJ
        if t < onsager.T_C:
            s = self.N * onsager.magnetization(t) ** 2
        else:
            s = 0.9625 * abs(1.0 - onsager.T_C / t) ** -1.75 if t > onsager.T_C else np.inf
        s = min(max(s, 1.0), 1.1 * self.L ** 1.75, self.N)
        return max(1, int(round(self.N / s)))

    def global_flip(self, p=0.5):
        """Flip all spins with probability p (one draw from the Wolff RNG state); an exact
        symmetry of the H = 0 distribution, used to sample both ordered phases."""
        _wk.global_flip(self.spins, self.wolff_state, float(p))

    # --- observables of the current state -------------------------------------------------
    def energy_per_spin(self):
        b, m = _lk.bond_and_magnetization(self.spins)
        return float((-self.J * b - self.H * m) / self.N)

    def magnetization(self):
        return float(self.spins.sum(dtype=np.int64) / self.N)

    # --- editing and state ----------------------------------------------------------------
    def set_spins(self, indices, values):
        """Set spins at flat row-major ``indices`` (into L*L) to +1 where ``values`` > 0,
        else -1."""
        idx = np.asarray(indices, dtype=np.int64).ravel()
        vals = np.asarray(values, dtype=float).ravel()
        if vals.size == 1 and idx.size != 1:
            vals = np.full(idx.size, vals[0])
        if vals.size != idx.size:
            raise ValueError(f"set_spins: {idx.size} indices but {vals.size} values")
        if idx.size and (idx.min() < 0 or idx.max() >= self.N):
            raise ValueError(f"set_spins: indices must lie in [0, {self.N})")
        self.spins.reshape(-1)[idx] = np.where(vals > 0, 1, -1).astype(np.int8)

    def state_dict(self):
        """Spins, RNG states and parameters as numpy arrays (enough to resume bit for bit)."""
        return {"spins": self.spins.copy(), "lanes": self.lanes.copy(),
                "wolff_state": self.wolff_state.copy(),
                "params": np.array([self.T, self.J, self.H])}

    def load_state_dict(self, state):
        spins = np.asarray(state["spins"])
        if spins.shape != self.spins.shape:
            raise ValueError(f"state has a {spins.shape} lattice, this one is {self.spins.shape}")
        self.spins[...] = spins
        self.lanes[...] = state["lanes"]
        self.wolff_state[...] = state["wolff_state"]
        T, J, H = (float(v) for v in state["params"])
        self.set_params(T, J, H)


# =============================================================================== estimators
def specific_heat(energy_per_spin, T, N):
    """Specific heat per spin C/N = N var(e) / T² from a series of energies per spin e."""
    e = np.asarray(energy_per_spin, dtype=float)
    return float(N * e.var() / T ** 2)


def susceptibility(magnetization, T, N, absolute=True):
    """Susceptibility per spin chi = N (<m²> - <|m|>²) / T from a series of magnetisations per
    spin.  ``absolute=True`` (the finite-lattice convention; <m> = 0 on a finite lattice at
    H = 0) uses <|m|>; ``False`` uses <m>."""
    m = np.asarray(magnetization, dtype=float)
    mean = np.abs(m).mean() if absolute else m.mean()
    return float(N * (np.mean(m * m) - mean ** 2) / T)


def correlation_function(spins, connected=False):
    """Spin-spin correlation C(r) = <s(x) s(x + r e)>, r = 0..L//2, averaged over sites, both
    lattice directions e and (for a stack) configurations.

    spins : (L, L), (n, L, L) or (n, L*L) array of ±1 spins (periodic).  ``connected=True``
    subtracts <m²> averaged over configurations (a finite-lattice stand-in for <s>², which is
    0 at H = 0 by symmetry).  Returns an (L//2 + 1,) float array.
    """
    s = np.asarray(spins, dtype=float)
    if s.ndim == 2 and s.shape[0] == s.shape[1]:
        s = s[None]
    elif s.ndim == 2:
        L = int(round(math.sqrt(s.shape[1])))
        if L * L != s.shape[1]:
            raise ValueError("correlation_function: rows must hold L*L spins")
        s = s.reshape(-1, L, L)
    if s.ndim != 3 or s.shape[1] != s.shape[2]:
        raise ValueError("correlation_function: expected (L, L), (n, L, L) or (n, L*L) spins")
    L = s.shape[1]
    out = np.empty(L // 2 + 1)
    for r in range(L // 2 + 1):
        out[r] = 0.5 * (np.mean(s * np.roll(s, r, axis=1)) + np.mean(s * np.roll(s, r, axis=2)))
    if connected:
        out -= np.mean(s.mean(axis=(1, 2)) ** 2)
    return out


# =============================================================================== model + learner
def exact_references(T, J=1.0, H=0.0):
    """Infinite-lattice exact energy and magnetisation per spin where known (H = 0): returns a
    dict with ``exact_energy`` (J != 0, any sign) and ``exact_magnetization`` (J > 0)."""
    out = {}
    if H == 0.0:
        out["exact_energy"] = 0.0 if J == 0 else onsager.energy_per_spin(T, J)
        if J > 0:
            out["exact_magnetization"] = onsager.magnetization(T, J)
    return out


class IsingModel(ModelProtocol):
    """The 2D Ising model as a saveable "model" (kind ``ising``, convention ``spin``).

    Holds the parameters (L, T, J, H) and a current lattice configuration ``spins`` (L, L) int8.
    ``sample`` draws equilibrium configurations with :func:`sample_configurations`; ``evaluate``
    compares data with the exact infinite-lattice results.  There is no tractable likelihood
    for L*L spins, so ``evaluate`` reports ``ll`` = NaN with ``ll_method`` = ``"none"``.
    """

    kind = "ising"
    convention = "spin"

    def __init__(self, L, T, J=1.0, H=0.0, spins=None):
        self.L, self.T, self.J, self.H = int(L), float(T), float(J), float(H)
        if spins is None:
            spins = np.ones((self.L, self.L), np.int8)
        spins = np.asarray(spins)
        if spins.size != self.L * self.L:
            raise ValueError(f"ising model: spins must hold L*L = {self.L * self.L} values")
        self.spins = np.where(spins.reshape(self.L, self.L) > 0, 1, -1).astype(np.int8)

    @property
    def n(self):
        return self.L * self.L

    def to_arrays(self):
        return {"L": self.L, "T": self.T, "J": self.J, "H": self.H}, {"spins": self.spins.copy()}

    @classmethod
    def from_arrays(cls, meta, arrays):
        try:
            L, T = int(meta["L"]), float(meta["T"])
        except (KeyError, TypeError, ValueError):
            raise ValueError("ising model file: meta must hold L and T") from None
        return cls(L, T, float(meta.get("J", 1.0)), float(meta.get("H", 0.0)),
                   arrays.get("spins"))

    def sample(self, n_samples, seed=0):
        """(n_samples, L*L) equilibrium ±1 configurations (see
        :func:`boltzmann_lab.sampling.ising.sample_configurations`)."""
        from boltzmann_lab.sampling.ising import sample_configurations
        return sample_configurations(self.L, self.T, n_samples, seed, "auto", self.J, self.H)

    def evaluate(self, x, seed=0):
        """Statistics of configurations x (M, L*L) (±1, or {0,1} mapped to ±1) under this
        model's parameters: ``energy`` (mean energy per spin) and its standard error treating
        rows as independent, ``abs_magnetization``, ``magnetization``, and ``exact_energy`` /
        ``exact_magnetization`` (infinite lattice, when known).  ``ll`` is NaN, ``ll_method``
        ``"none"`` (the partition function of a large lattice with a field is not computed)."""
        x = np.asarray(x, dtype=float)
        if x.ndim == 1:
            x = x[None]
        if x.ndim != 2 or x.shape[1] != self.n:
            raise ValueError(f"ising evaluate: data must have {self.n} columns (L = {self.L})")
        s = np.where(x > 0, 1, -1).astype(np.int8).reshape(-1, self.L, self.L)
        e = np.empty(len(s))
        for k, c in enumerate(s):
            b, mm = _lk.bond_and_magnetization(c)
            e[k] = (-self.J * b - self.H * mm) / self.n
        m = s.reshape(len(s), -1).mean(axis=1)
        ll, how = float("nan"), "none"
        if self.score_method == "exact":
            ll, how = float(np.mean(-e * self.n / self.T)) - self.log_partition(), "exact"
        out = {"ll": ll, "ll_method": how, "energy": float(e.mean()),
               "energy_se": float(e.std(ddof=1) / math.sqrt(len(e))) if len(e) > 1 else float("nan"),
               "magnetization": float(m.mean()), "abs_magnetization": float(np.abs(m).mean())}
        out.update(exact_references(self.T, self.J, self.H))
        return out

    # --- the rest of the model protocol (boltzmann_lab.models.protocol) -----------------------
    def _spins(self, x):
        x = np.asarray(x, dtype=float)
        if x.ndim == 1:
            x = x[None]
        if x.ndim != 2 or x.shape[1] != self.n:
            raise ValueError(f"ising: configurations must have {self.n} columns (L = {self.L}), "
                             f"got shape {x.shape}")
        return np.where(x > 0, 1, -1).astype(np.int8).reshape(-1, self.L, self.L)

    def energy(self, x):
        """(M,) total energy E(s) = -J sum_<ij> s_i s_j - H sum_i s_i of each row of ``x``."""
        s = self._spins(x)
        out = np.empty(len(s))
        for k, c in enumerate(s):
            b, mm = _lk.bond_and_magnetization(c)
            out[k] = -self.J * b - self.H * mm
        return out

    def _tractable(self) -> bool:
        from boltzmann_lab.exact.enumeration import MAX_UNITS
        return (self.J == 0.0 or (self.H == 0.0 and (self.J > 0 or self.L % 2 == 0))
                or self.n <= MAX_UNITS)

    @property
    def score_method(self) -> str:
        """``exact`` when log Z is known (:meth:`log_partition_with_method`), else ``none``."""
        return "exact" if self._tractable() else "none"

    def log_partition_with_method(self):
        """``(log Z, "exact")`` of this periodic L x L lattice at temperature T,
        Z = sum_s exp(-E(s)/T): N log(2 cosh(H/T)) for J = 0; Kaufman's formula
        (:func:`boltzmann_lab.exact.onsager.finite_log_z`) for H = 0 (J < 0 through the
        sublattice flip, which needs even L); enumeration for N <= ``MAX_UNITS``.  Otherwise
        (a field on a large lattice) no exact value is known here: ValueError."""
        T, J, H, N = self.T, self.J, self.H, self.n
        if J == 0.0:
            return float(N * (abs(H) / T + math.log1p(math.exp(-2.0 * abs(H) / T)))), "exact"
        if H == 0.0 and (J > 0 or self.L % 2 == 0):
            return float(onsager.finite_log_z(self.L, T, abs(J))), "exact"
        from boltzmann_lab.exact.enumeration import MAX_UNITS, log_z
        if N > MAX_UNITS:
            raise ValueError(f"log Z of a {self.L}x{self.L} Ising lattice with a field H = {H:g} "
                             f"is not known in closed form and 2^{N} states are too many to "
                             f"enumerate")
        idx = np.arange(N).reshape(self.L, self.L)
        Jm = np.zeros((N, N))
        for nb in (np.roll(idx, -1, 0), np.roll(idx, -1, 1)):     # down and right neighbours
            np.add.at(Jm, (idx.ravel(), nb.ravel()), J / T)
        Jm = Jm + Jm.T                                            # L = 2: two bonds per pair
        return float(log_z(np.full(N, H / T), Jm, "spin")), "exact"

    def log_prob(self, x):
        """(M,) exact log p(s) = -E(s)/T - log Z (where log Z is known)."""
        return -self.energy(x) / self.T - self.log_partition()

    def score_samples(self, x):
        """(M,) exact log p(s); ValueError when :attr:`score_method` is ``none``."""
        return self.log_prob(x)
