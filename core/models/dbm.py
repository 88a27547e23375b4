"""Deep Boltzmann machine (binary units, 2 or 3 hidden layers) (kind ``dbm``).

Energy, with layers x_0 = v (visible), x_1, ..., x_L (hidden), all in {0, 1}::

    E(x) = - sum_l b_l . x_l - sum_{l<L} x_l . W_l . x_{l+1},     W_l of shape (n_l, n_{l+1}).

A DBM is bipartite between its *even* layers (v, h2) and its *odd* layers (h1, h3): it is exactly an
RBM whose "visible" part is the even layers and whose "hidden" part is the odd layers, with a block
weight matrix (:meth:`DBM.as_rbm`).  Hence

* ``log Z`` is that RBM's log Z — exact by enumerating the smaller side when it has at most
  few enough units (:func:`boltzmann_lab.exact.enumeration.affordable`), else AIS (Salakhutdinov & Murray's estimator, :mod:`boltzmann_lab.sampling.ais`: the odd
  layers are summed out analytically and the even layers annealed, as Salakhutdinov & Hinton 2009);
* block Gibbs sampling alternates even and odd layers;
* the exact unnormalised log p*(v) sums out the odd layers and enumerates the even hidden layer
  h2 (when affordable).

Variational lower bound (mean-field q(h) = prod_l prod_j Bernoulli(mu_lj))::

    log p(v) >= B(v) = -E_q[E(v, h)] + H(q) - log Z
             = b_0.v + sum_{l>=1} b_l.mu_l + v.W_0.mu_1 + sum_{l>=1} mu_l.W_l.mu_{l+1}
               - sum_{l>=1} sum_j [mu_lj log mu_lj + (1-mu_lj) log(1-mu_lj)] - log Z,

with mu from ``mean_field_iterations`` fixed-point sweeps mu_l = sigmoid(b_l + mu_{l-1} W_{l-1} +
mu_{l+1} W_l^T) (layers in order, initialised by a bottom-up pass with doubled input for the
layers that also receive top-down input).  ``evaluate`` reports it as ``ll`` with ``ll_method``
"bound" (the bound uses the exact or AIS log Z; ``log_z_method`` says which — with the forward AIS
estimate, itself a stochastic lower bound on log Z, the result is an estimate of the bound rather
than a certified bound).

Training lives in :mod:`boltzmann_lab.learning.dbm`.
"""

from __future__ import annotations

import numpy as np

from boltzmann_lab.exact.enumeration import affordable
from boltzmann_lab.kernels.enumerate import states
from boltzmann_lab.kernels.rng import as_lanes
from boltzmann_lab.models.protocol import ModelProtocol
from boltzmann_lab.models.rbm import RBM
from boltzmann_lab.stats.numerics import logsumexp, sigmoid
from boltzmann_lab.models.units import Binary

_B = Binary()


class DBM(ModelProtocol):
    """A binary DBM (model protocol kind ``dbm``): ``weights`` [W_0, ..., W_{L-1}], ``biases``
    [b_0 (visible), ..., b_L]."""

    kind = "dbm"
    convention = "binary"

    def __init__(self, weights, biases):
        self.W = [np.array(w, dtype=np.float64) for w in weights]
        self.b = [np.array(b, dtype=np.float64) for b in biases]
        if len(self.W) not in (2, 3):
            raise ValueError(f"a DBM here has 2 or 3 hidden layers, got {len(self.W)}")
        if len(self.b) != len(self.W) + 1:
            raise ValueError("a DBM needs one bias vector per layer (visible included)")
        for l, w in enumerate(self.W):
            if w.shape != (len(self.b[l]), len(self.b[l + 1])):
                raise ValueError(f"W{l} has shape {w.shape}, expected "
                                 f"({len(self.b[l])}, {len(self.b[l + 1])})")

    @classmethod
    def random(cls, sizes, scale=0.01, seed=0):
        """sizes = [n_visible, n_1, ..., n_L]; W ~ N(0, scale^2), zero biases."""
        rng = np.random.default_rng(seed)
        return cls([scale * rng.standard_normal((sizes[l], sizes[l + 1]))
                    for l in range(len(sizes) - 1)], [np.zeros(n) for n in sizes])

    @property
    def sizes(self):
        return [len(b) for b in self.b]

    @property
    def n_visible(self):
        return len(self.b[0])

    def __repr__(self):
        return f"DBM({' x '.join(map(str, self.sizes))})"

    # --- the bipartite (even | odd) RBM ----------------------------------------------------
    def _even_odd(self):
        L = len(self.b)
        return [l for l in range(L) if l % 2 == 0], [l for l in range(L) if l % 2 == 1]

    def as_rbm(self):
        """The exactly equivalent RBM: visible = concat(even layers), hidden = concat(odd)."""
        even, odd = self._even_odd()
        off_e = np.cumsum([0] + [self.sizes[l] for l in even])
        off_o = np.cumsum([0] + [self.sizes[l] for l in odd])
        Wb = np.zeros((off_e[-1], off_o[-1]))
        for l, w in enumerate(self.W):                 # w couples layer l and l+1
            if l % 2 == 0:                             # even l below odd l+1
                i, j = even.index(l), odd.index(l + 1)
                Wb[off_e[i]:off_e[i + 1], off_o[j]:off_o[j + 1]] = w
            else:                                      # odd l below even l+1
                i, j = even.index(l + 1), odd.index(l)
                Wb[off_e[i]:off_e[i + 1], off_o[j]:off_o[j + 1]] = w.T
        return RBM(Wb, np.concatenate([self.b[l] for l in even]),
                   np.concatenate([self.b[l] for l in odd]))

    # --- partition function and likelihoods -----------------------------------------------
    def exact_feasible(self, seconds=None):
        """log Z can be enumerated: one side of the even/odd bipartition is small enough
        (:func:`boltzmann_lab.exact.enumeration.affordable`; ``seconds``: within a live run's
        cap by the cost model)."""
        return self.as_rbm().exact_layer(seconds) is not None

    def exact_ll_feasible(self, seconds=None, rows=None):
        """Exact log p(v) is affordable too: log Z enumerable and the h2 layer enumerable (its
        2^n2 states each cost a pass over h1, h3).  With ``seconds`` (a live run) the h2
        enumeration of ``rows`` data rows (each costs a pass over h1) must fit it too."""
        n2 = self.sizes[2]
        if not (self.exact_feasible(seconds) and affordable(n2, sum(self.sizes[1:]))):
            return False
        if seconds is None:
            return True
        width = int(rows or 1) * self.sizes[1] + sum(self.sizes[3:])
        return affordable(n2, width, seconds) if n2 <= 24 else False

    def log_partition(self, method="auto", ais_betas=10000, ais_runs=100, seed=0, data=None):
        """log Z (float); see :meth:`log_partition_with_method`."""
        return self.log_partition_with_method(method, ais_betas, ais_runs, seed, data)[0]

    def log_partition_with_method(self, method="auto", ais_betas=10000, ais_runs=100, seed=0,
                                  data=None):
        """(log Z, method): ``auto`` is exact when a side of the bipartition is enumerable, else
        forward AIS on the equivalent RBM (base: data base rates on v, zero elsewhere; random:
        ``seed``); ``exact`` or ``ais`` force one."""
        if method not in ("auto", "exact", "ais"):
            raise ValueError(f"method must be auto, exact or ais, got {method!r}")
        rbm = self.as_rbm()
        if method == "exact" or (method == "auto" and rbm.exact_layer() is not None):
            return rbm.log_partition_with_method("exact")
        from boltzmann_lab.sampling.ais import ais, base_rate_bias
        base = np.zeros(rbm.n_visible)
        if data is not None:
            base[:self.n_visible] = base_rate_bias(RBM(np.zeros((self.n_visible, 1))), data)
        res = ais(rbm, n_betas=ais_betas, n_runs=ais_runs, seed=seed, base_bias=base,
                  reverse=False)
        return res.log_z, "ais"

    def unnormalized_log_prob(self, v):
        """log p*(v) = log sum_h exp(-E(v, h)) exactly: odd layers summed out analytically, the
        even hidden layer h2 enumerated (when affordable)."""
        v = np.asarray(v, np.float64)
        W, b = self.W, self.b
        n2 = self.sizes[2]
        if not affordable(n2, sum(self.sizes[1:])):
            raise ValueError(f"exact log p*(v) enumerates h2, which has {n2} units: not "
                             "affordable")
        base = v @ b[0]
        in1 = v @ W[0] + b[1]                       # (M, n1)
        out = np.full(len(v), -np.inf)
        n1 = self.sizes[1]
        step = 1 << min(n2, 12)
        # rows per block so that the (rows, K, n1) temporary stays below ~2^21 numbers (16 MB)
        rows = max(1, (1 << 21) // (step * max(n1, 1)))
        for start in range(0, 1 << n2, step):
            h2 = states(n2, (0.0, 1.0), start, min(1 << n2, start + step))  # (K, n2)
            t = h2 @ b[2]                                                    # (K,)
            if len(W) == 3:
                t = t + np.logaddexp(0.0, h2 @ W[2] + b[3]).sum(1)
            top = h2 @ W[1].T                                                # (K, n1)
            for r in range(0, len(v), rows):
                a1 = in1[r:r + rows, None, :] + top[None, :, :]             # (rows, K, n1)
                val = np.logaddexp(0.0, a1).sum(2) + t[None, :]
                out[r:r + rows] = np.logaddexp(out[r:r + rows], logsumexp(val, axis=1))
        return base + out

    def log_prob(self, v, log_z=None):
        """Exact log p(v) = log p*(v) - log Z per row (h2 enumerated; log Z given or
        :meth:`log_partition`)."""
        if log_z is None:
            log_z = self.log_partition()
        return self.unnormalized_log_prob(v) - log_z

    @property
    def score_method(self) -> str:
        """``exact`` when log Z and h2 can be enumerated (:meth:`exact_ll_feasible`), else
        ``bound`` (the mean-field lower bound, as in :meth:`evaluate`)."""
        return "exact" if self.exact_ll_feasible() else "bound"

    def score_samples(self, v, log_z=None, seed=0, iterations=10):
        """(M,) exact log p(v) when :attr:`score_method` is ``exact``, else the per-row
        mean-field lower bound; log Z given, or exact, or forward AIS seeded by ``seed``."""
        v = np.asarray(v, np.float64)
        if v.ndim == 1:
            v = v[None, :]
        _B.check(v, "data")
        if log_z is None:
            log_z = self.log_partition(seed=seed, data=v)
        if self.score_method == "exact":
            return self.unnormalized_log_prob(v) - log_z
        return self.bound_terms(v, iterations)[0] - log_z

    # --- mean field and the bound ---------------------------------------------------------
    def mean_field(self, v, iterations=10):
        """Mean-field posterior means [mu_1, ..., mu_L] of q(h | v) (module docstring)."""
        v = np.asarray(v, np.float64)
        W, b = self.W, self.b
        L = len(W)
        mu = [v]
        for l in range(1, L + 1):                      # bottom-up init, doubled below the top
            factor = 2.0 if l < L else 1.0
            mu.append(sigmoid(b[l] + factor * (mu[l - 1] @ W[l - 1])))
        for _ in range(int(iterations)):
            for l in range(1, L + 1):
                x = b[l] + mu[l - 1] @ W[l - 1]
                if l < L:
                    x = x + mu[l + 1] @ W[l].T
                mu[l] = sigmoid(x)
        return mu[1:]

    def bound_terms(self, v, iterations=10):
        """Per row: -E_q[E(v,h)] + H(q) (the bound without -log Z), and the means."""
        v = np.asarray(v, np.float64)
        mu = [v] + self.mean_field(v, iterations)
        val = v @ self.b[0]
        for l in range(1, len(mu)):
            m = np.clip(mu[l], 1e-12, 1 - 1e-12)
            val = val + mu[l] @ self.b[l] + np.einsum("mi,ij,mj->m", mu[l - 1], self.W[l - 1],
                                                       mu[l])
            val = val - np.sum(m * np.log(m) + (1 - m) * np.log1p(-m), axis=1)
        return val, mu[1:]

    def bound(self, v, log_z=None, iterations=10):
        """Mean variational lower bound on log p(v) (nats per sample)."""
        if log_z is None:
            log_z = self.log_partition()
        return float(np.mean(self.bound_terms(v, iterations)[0]) - log_z)

    # --- sampling -------------------------------------------------------------------------
    def gibbs_states(self, states, sweeps, rng, beta=None):
        """Block Gibbs on a list of layer states (rows = chains): odd layers given even, then
        even given odd.  ``rng`` seed / Generator / lane array (one per chain); ``beta`` (None or
        a (chains, 1) column of inverse temperatures) samples exp(-beta E) row by row."""
        x = [np.array(s, np.float64) for s in states]
        st = as_lanes(rng, len(x[0]))
        L = len(x) - 1
        for _ in range(int(sweeps)):
            for parity in (1, 0):
                for l in range(parity, L + 1, 2):
                    phi = self.b[l] + (x[l - 1] @ self.W[l - 1] if l > 0 else 0.0)
                    if l < L:
                        phi = phi + x[l + 1] @ self.W[l].T
                    if beta is not None:
                        phi = beta * phi
                    _, x[l] = _B.sample(np.ascontiguousarray(phi), st)
        return x

    def energy(self, states):
        """E(x) per row of a list of layer states: -sum_l b_l.x_l - sum_l x_l.W_l.x_{l+1}."""
        e = -sum(x @ b for x, b in zip(states, self.b))
        return e - sum(np.einsum("ci,ci->c", states[l] @ self.W[l], states[l + 1])
                       for l in range(len(self.W)))

    def sample(self, n_samples, seed=0, sweeps=1000):
        """Visible fantasy particles from random starts after ``sweeps`` block-Gibbs sweeps."""
        rng = np.random.default_rng(seed)
        x = [rng.integers(0, 2, (n_samples, n)).astype(np.float64) for n in self.sizes]
        return self.gibbs_states(x, sweeps, as_lanes(rng, n_samples))[0]

    def reconstruct(self, v, iterations=10):
        """E[v | h_1 = mu_1] with mu the mean-field posterior of v."""
        mu1 = self.mean_field(v, iterations)[0]
        return sigmoid(self.b[0] + mu1 @ self.W[0].T)

    # --- model protocol -------------------------------------------------------------------
    def evaluate(self, x, seed=0, iterations=10, ais_betas=10000, ais_runs=100):
        """``ll`` is the best available estimate: the exact mean log-likelihood (``ll_method``
        "exact") when log Z and the h2 layer can be enumerated (:meth:`exact_ll_feasible`), else
        the mean-field variational lower bound (``ll_method`` "bound", with the exact or AIS log Z:
        ``log_z_method``).  ``ll_bound`` is the bound in either case; ``recon_error``."""
        x = np.asarray(x, np.float64)
        _B.check(x, "data")
        lz, how = self.log_partition_with_method("auto", ais_betas, ais_runs, seed, x)
        bound = self.bound(x, lz, iterations)
        out = {"ll": bound, "ll_method": "bound", "ll_bound": bound, "log_z": lz,
               "log_z_method": how}
        if how == "exact" and self.exact_ll_feasible():
            out["ll"] = float(np.mean(self.unnormalized_log_prob(x)) - lz)
            out["ll_method"] = "exact"
        out["recon_error"] = float(np.mean((x - self.reconstruct(x, iterations)) ** 2))
        return out

    def to_arrays(self):
        arrays = {f"W{l}": w for l, w in enumerate(self.W)}
        arrays.update({f"b{l}": b for l, b in enumerate(self.b)})
        return {"layers": len(self.b)}, arrays

    @classmethod
    def from_arrays(cls, meta, arrays):
        n = int(meta.get("layers", 0)) or sum(1 for k in arrays if k.startswith("b"))
        try:
            return cls([arrays[f"W{l}"] for l in range(n - 1)], [arrays[f"b{l}"] for l in range(n)])
        except KeyError as exc:
            raise ValueError(f"DBM model file lacks the array {exc.args[0]!r}") from None


