"""Restricted Boltzmann machine with pluggable unit types (binary, spin, Gaussian).

Energy (see :mod:`boltzmann_lab.models.units` for the unit types and the Gaussian self-energy ``Q``)::

    E(v, h) = -a.v - b.h - v.W.h + Q_v(v) + Q_h(h),      p(v, h) = exp(-E(v, h)) / Z

with ``W`` of shape (n_visible, n_hidden), ``a`` (n_visible,), ``b`` (n_hidden,).  Summing out the
hidden layer gives the free energy

    F(v) = -a.v + Q_v(v) - sum_j log_partition_h(b_j + (v W)_j),     p(v) = exp(-F(v)) / Z,

and summing out the visible layer gives ``F_h(h) = -b.h + Q_h(h) - sum_i log_partition_v(a_i +
(W h)_i)``.  Log-likelihoods are ``log p(v) = -F(v) - log Z`` in nats (a density for Gaussian
visibles).  Hidden Gaussian units with std ``sigma_h`` give the pairwise visible model
``J = W diag(sigma_h^2) W^T`` (formula in :mod:`boltzmann_lab.models.units`).

``log_partition()`` is exact where affordable: it enumerates the smaller *discrete* layer (when affordable,
:func:`boltzmann_lab.exact.enumeration.affordable`; chunked GEMMs in float64) and sums out the other analytically; when both layers are Gaussian
it is the closed-form Gaussian integral.  Larger models use forward AIS (:mod:`boltzmann_lab.sampling.ais`;
``log_partition_with_method()`` says which, and ``score_method`` which one :meth:`RBM.score` uses).

Randomness: every stochastic method takes ``rng`` = an int seed, a ``numpy.random.Generator``, or
an array of uint64 lane states (one per row, advanced in place; see :mod:`boltzmann_lab.kernels.rng`).
"""

from __future__ import annotations

import numpy as np

from boltzmann_lab.exact.enumeration import affordable
from boltzmann_lab.kernels.enumerate import states
from boltzmann_lab.kernels.rng import as_lanes
from boltzmann_lab.stats.numerics import logsumexp
from boltzmann_lab.models.protocol import ModelProtocol
from boltzmann_lab.models.units import Units, make_units

#: exact log Z when the enumerated layer has at most this many units (evaluate's default)


class RBM(ModelProtocol):
    """An RBM (model protocol kind ``rbm``).

    Parameters
    ----------
    W : (n_visible, n_hidden) weights.  a, b : visible / hidden biases (default zeros).
    visible, hidden : unit types (``binary``, ``spin``, ``gaussian`` or a :class:`boltzmann_lab.models.units.Units`).
    sigma_v, sigma_h : std of Gaussian units (scalar or per unit; ignored for discrete units).
    dtype : float dtype of the parameter arrays (float32 is faster for training; exact quantities
        are always computed in float64).
    """

    kind = "rbm"

    def __init__(self, W, a=None, b=None, visible="binary", hidden="binary", sigma_v=1.0,
                 sigma_h=1.0, dtype=np.float64):
        W = np.array(W, dtype=dtype)
        if W.ndim != 2:
            raise ValueError(f"W must be a (n_visible, n_hidden) matrix, got shape {W.shape}")
        nv, nh = W.shape
        self.W = W
        self.a = np.zeros(nv, dtype) if a is None else np.array(a, dtype=dtype).reshape(nv)
        self.b = np.zeros(nh, dtype) if b is None else np.array(b, dtype=dtype).reshape(nh)
        self.visible: Units = make_units(visible, sigma_v)
        self.hidden: Units = make_units(hidden, sigma_h)

    # --- basic facts ----------------------------------------------------------------------
    @property
    def n_visible(self) -> int:
        return self.W.shape[0]

    @property
    def n_hidden(self) -> int:
        return self.W.shape[1]

    @property
    def convention(self) -> str:
        return self.visible.convention

    @property
    def dtype(self):
        return self.W.dtype

    @classmethod
    def random(cls, n_visible, n_hidden, visible="binary", hidden="binary", scale=0.01, seed=0,
               **kw):
        """Weights ~ N(0, scale^2), zero biases (Hinton's practical guide)."""
        rng = np.random.default_rng(seed)
        return cls(scale * rng.standard_normal((n_visible, n_hidden)), visible=visible,
                   hidden=hidden, **kw)

    def __repr__(self):
        return (f"RBM({self.n_visible} {self.visible.name} visible x {self.n_hidden} "
                f"{self.hidden.name} hidden)")

    # --- fields, energies, free energies --------------------------------------------------
    def _x(self, v, n, what):
        v = np.asarray(v)
        if v.ndim == 1:
            v = v[None, :]
        if v.ndim != 2 or v.shape[1] != n:
            raise ValueError(f"{what} must have shape (M, {n}), got {np.shape(v)}")
        return v

    def hidden_field(self, v):
        """phi_h = b + v W, shape (M, n_hidden), in the model dtype."""
        v = self._x(v, self.n_visible, "visible states").astype(self.dtype, copy=False)
        return v @ self.W + self.b

    def visible_field(self, h):
        """phi_v = a + h W^T, shape (M, n_visible)."""
        h = self._x(h, self.n_hidden, "hidden states").astype(self.dtype, copy=False)
        return h @ self.W.T + self.a

    def energy(self, v, h):
        """E(v, h) per row, float64."""
        v = self._x(v, self.n_visible, "visible states").astype(np.float64)
        h = self._x(h, self.n_hidden, "hidden states").astype(np.float64)
        W, a, b = (np.asarray(p, np.float64) for p in (self.W, self.a, self.b))
        return (-(v @ a) - (h @ b) - np.einsum("mi,ij,mj->m", v, W, h)
                + self.visible.self_energy(v) + self.hidden.self_energy(h))

    def free_energy(self, v):
        """F(v) = -a.v + Q_v(v) - sum_j log_partition_h(b_j + (vW)_j), per row (float64);
        p(v) = exp(-F(v)) / Z."""
        v = self._x(v, self.n_visible, "visible states").astype(np.float64)
        W, a, b = (np.asarray(p, np.float64) for p in (self.W, self.a, self.b))
        return (-(v @ a) + self.visible.self_energy(v)
                - self.hidden.log_partition(v @ W + b).sum(axis=1))

    def hidden_free_energy(self, h):
        """F_h(h) = -b.h + Q_h(h) - sum_i log_partition_v(a_i + (W h)_i), per row (float64)."""
        h = self._x(h, self.n_hidden, "hidden states").astype(np.float64)
        W, a, b = (np.asarray(p, np.float64) for p in (self.W, self.a, self.b))
        return (-(h @ b) + self.hidden.self_energy(h)
                - self.visible.log_partition(h @ W.T + a).sum(axis=1))

    # --- exact partition function ---------------------------------------------------------
    def exact_layer(self, seconds=None):
        """Which layer ``log_partition`` enumerates: ``"visible"``, ``"hidden"``, ``"gaussian"``
        (both Gaussian: closed form) or ``None`` when no exact computation is affordable
        (:func:`boltzmann_lab.exact.enumeration.affordable`: 2^k states of the smaller discrete
        layer, each costing the other layer's size; ``seconds``: inside a live run, at most that
        many seconds by the cost model)."""
        cand = []
        if self.visible.discrete and affordable(self.n_visible, self.n_hidden, seconds):
            cand.append((self.n_visible, "visible"))
        if self.hidden.discrete and affordable(self.n_hidden, self.n_visible, seconds):
            cand.append((self.n_hidden, "hidden"))
        if cand:
            return min(cand)[1]
        if not self.visible.discrete and not self.hidden.discrete:
            return "gaussian"
        return None

    def _enumerate_neg_free(self, layer, chunk_bits=14):
        """Yield (states, -F(states)) over all states of the enumerated ``layer``."""
        units, k, fe = ((self.visible, self.n_visible, self.free_energy) if layer == "visible"
                        else (self.hidden, self.n_hidden, self.hidden_free_energy))
        total = 1 << k
        step = 1 << min(k, chunk_bits)
        for start in range(0, total, step):
            s = states(k, units.values, start, min(total, start + step))
            yield s, -fe(s)

    def log_partition(self, method="auto", ais_betas=10000, ais_runs=100, seed=0, data=None):
        """log Z (float): exact when a layer can be enumerated, else forward AIS; see
        :meth:`log_partition_with_method`."""
        return self.log_partition_with_method(method, ais_betas, ais_runs, seed, data)[0]

    def log_partition_with_method(self, method="auto", ais_betas=10000, ais_runs=100, seed=0,
                                  data=None):
        """``(log Z, method)``.  ``auto``: exact (enumeration or the Gaussian integral,
        :meth:`exact_layer`) when affordable, else forward AIS (:func:`boltzmann_lab.sampling.ais.ais`
        with ``ais_betas`` temperatures and ``ais_runs`` runs, base rates from ``data`` when given;
        random: ``seed``); ``exact`` raises ValueError when not affordable; ``ais`` forces AIS."""
        if method not in ("auto", "exact", "ais"):
            raise ValueError(f"method must be auto, exact or ais, got {method!r}")
        if method == "exact" or (method == "auto" and self.exact_layer() is not None):
            return self._exact_log_partition(), "exact"
        from boltzmann_lab.sampling.ais import ais
        res = ais(self, n_betas=ais_betas, n_runs=ais_runs, seed=seed, data=data, reverse=False)
        return float(res.log_z), "ais"

    def _exact_log_partition(self):
        """Exact log Z (float).  Raises ValueError when no layer can be enumerated affordably."""
        layer = self.exact_layer()
        if layer is None:
            raise ValueError(f"exact log Z needs a small discrete layer ({self!r}: enumeration is "
                             f"not affordable); use AIS")
        if layer == "gaussian":
            return self._gaussian_log_partition()
        parts = [logsumexp(nf) for _, nf in self._enumerate_neg_free(layer)]
        return logsumexp(np.array(parts))

    def _gaussian_log_partition(self):
        # both layers Gaussian: E = x^T P x / 2 - c^T x with P = [[1/s_v^2, -W], [-W^T, 1/s_h^2]]
        nv, nh = self.W.shape
        W = np.asarray(self.W, np.float64)
        P = np.zeros((nv + nh, nv + nh))
        P[:nv, :nv] = np.diag(1.0 / self.visible.sigma_array(nv) ** 2)
        P[nv:, nv:] = np.diag(1.0 / self.hidden.sigma_array(nh) ** 2)
        P[:nv, nv:] = -W
        P[nv:, :nv] = -W.T
        c = np.concatenate([self.a, self.b]).astype(np.float64)
        sign, logdet = np.linalg.slogdet(P)
        if sign <= 0 or np.linalg.eigvalsh(P).min() <= 0:
            return np.inf   # the energy is unbounded below: not normalisable
        return float(0.5 * (nv + nh) * np.log(2 * np.pi) - 0.5 * logdet
                     + 0.5 * c @ np.linalg.solve(P, c))

    def log_prob(self, v, log_z=None):
        """log p(v) = -F(v) - log Z per row (log Z: given, else :meth:`log_partition`)."""
        if log_z is None:
            log_z = self.log_partition()
        return -self.free_energy(v) - log_z

    @property
    def score_method(self) -> str:
        """``exact`` when a layer can be enumerated (:meth:`exact_layer`), else ``ais``."""
        return "exact" if self.exact_layer() is not None else "ais"

    def score_samples(self, v, log_z=None, seed=0):
        """(M,) log p(v) = -F(v) - log Z; log Z given, or exact, or forward AIS seeded by ``seed``
        with base rates from ``v`` (:meth:`log_partition_with_method`)."""
        v = self._x(v, self.n_visible, "visible states")
        if log_z is None:
            log_z = self.log_partition_with_method(seed=seed, data=v)[0]
        return -self.free_energy(v) - log_z

    def log_likelihood(self, v, log_z=None):
        """Mean log p(v) in nats per sample."""
        return float(np.mean(self.log_prob(v, log_z)))

    def sample_exact(self, n_samples, seed=0):
        """Independent exact samples (v, h) by enumerating the smaller discrete layer: draw it
        from its marginal, then the other layer from its conditional."""
        layer = self.exact_layer()
        if layer not in ("visible", "hidden"):
            raise ValueError("exact sampling needs a small discrete layer (enumeration is not "
                             "affordable for this RBM)")
        rng = np.random.default_rng(seed)
        states, nf = zip(*self._enumerate_neg_free(layer))
        states, nf = np.concatenate(states), np.concatenate(nf)
        p = np.exp(nf - nf.max())
        idx = rng.choice(len(p), size=n_samples, p=p / p.sum())
        x = states[idx]
        st = as_lanes(rng, n_samples)
        if layer == "hidden":
            h = x
            _, v = self.visible.sample(np.asarray(self.visible_field(h), np.float64), st)
        else:
            v = x
            _, h = self.hidden.sample(np.asarray(self.hidden_field(v), np.float64), st)
        return v, h

    # --- conditionals and Gibbs sampling --------------------------------------------------
    def sample_hidden(self, v, rng=0):
        """(mean, sample) of h | v; ``rng`` seed / Generator / lane states (one per row)."""
        phi = self.hidden_field(v)
        return self.hidden.sample(phi, as_lanes(rng, phi.shape[0]), mean_out=phi)

    def sample_visible(self, h, rng=0):
        """(mean, sample) of v | h."""
        phi = self.visible_field(h)
        return self.visible.sample(phi, as_lanes(rng, phi.shape[0]), mean_out=phi)

    def gibbs(self, v, k=1, rng=0, clamp=None, clamp_values=None):
        """``k`` block-Gibbs sweeps v -> h -> v starting from ``v`` (M, n_visible).

        ``clamp`` (boolean (n_visible,) or (M, n_visible)) marks visibles held at
        ``clamp_values`` (default: their values in ``v``) — sampling from p(v_free | v_known).
        Returns the final visible sample (model dtype).
        """
        v = self._x(v, self.n_visible, "visible states").astype(self.dtype, copy=True)
        st = as_lanes(rng, v.shape[0])
        if clamp is not None:
            clamp = np.broadcast_to(np.asarray(clamp, bool), v.shape)
            known = v.copy() if clamp_values is None else np.broadcast_to(
                np.asarray(clamp_values, self.dtype), v.shape)
        for _ in range(int(k)):
            _, h = self.sample_hidden(v, st)
            _, v = self.sample_visible(h, st)
            if clamp is not None:
                v[clamp] = known[clamp]
        return v

    def random_visible(self, n, rng=0):
        """Uniformly random visible states (Gaussian: N(0, sigma^2))."""
        rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
        return self.visible.random_state((n, self.n_visible), rng).astype(self.dtype)

    def sample(self, n_samples, seed=0, sweeps=1000, init=None):
        """``n_samples`` fantasy particles: independent chains from random starts (or ``init``),
        ``sweeps`` block-Gibbs sweeps each (MCMC: approximately from p(v) for long runs).
        Returns (n_samples, n_visible) float64 in the visible convention."""
        rng = np.random.default_rng(seed)
        v = self.random_visible(n_samples, rng) if init is None else np.array(init, self.dtype)
        return self.gibbs(v, sweeps, as_lanes(rng, len(v))).astype(np.float64)

    sample_fantasy = sample

    def fill_in(self, v, known, sweeps=200, seed=0, mean=True):
        """Denoise / fill in missing visibles by clamped sampling.

        ``known`` (bool, (n_visible,) or (M, n_visible)) marks observed visibles, which stay at
        their values in ``v``; the others are sampled from p(v_unknown | v_known) with ``sweeps``
        Gibbs sweeps.  Returns the final sample, or (``mean=True``) the conditional mean of the
        unknown visibles at the last sweep (known ones unchanged).
        """
        v = self._x(v, self.n_visible, "visible states")
        known = np.broadcast_to(np.asarray(known, bool), v.shape)
        rng = np.random.default_rng(seed)
        start = np.where(known, v, self.random_visible(len(v), rng))
        st = as_lanes(rng, len(v))
        x = self.gibbs(start, max(int(sweeps) - 1, 0), st, clamp=known, clamp_values=v)
        if not mean:
            x = self.gibbs(x, 1, st, clamp=known, clamp_values=v)
            return x.astype(np.float64)
        _, h = self.sample_hidden(x, st)
        m = self.visible.mean(np.asarray(self.visible_field(h), np.float64))
        return np.where(known, v, m)

    def denoise(self, v, sweeps=5, seed=0):
        """Denoise by a few unclamped Gibbs sweeps started at the noisy ``v``, returning the
        conditional mean E[v | h] of the last sweep (use :meth:`fill_in` when some visibles are
        known to be right)."""
        v = self._x(v, self.n_visible, "visible states")
        st = as_lanes(seed, len(v))
        x = self.gibbs(v, max(int(sweeps) - 1, 0), st)
        _, h = self.sample_hidden(x, st)
        return self.visible.mean(np.asarray(self.visible_field(h), np.float64))

    def reconstruct(self, v):
        """One deterministic up-down pass: E[v | h = E[h | v]] (float64)."""
        h = self.hidden.mean(np.asarray(self.hidden_field(v), np.float64))
        W, a = np.asarray(self.W, np.float64), np.asarray(self.a, np.float64)
        return self.visible.mean(h @ W.T + a)

    def recon_error(self, v):
        """Mean squared reconstruction error per visible unit, mean over rows."""
        v = self._x(v, self.n_visible, "visible states").astype(np.float64)
        return float(np.mean((v - self.reconstruct(v)) ** 2))

    def pll(self, v, chunk=64):
        """Pseudo-log-likelihood, mean over rows of sum_i log p(v_i | v_-i) (exact, all units;
        discrete visible units only).  Cost: n_visible free-energy evaluations per row; see
        :func:`stochastic_pll` for the cheap unbiased estimate."""
        if not self.visible.discrete:
            raise ValueError("pseudo-likelihood is defined here for discrete visible units")
        v = self._x(v, self.n_visible, "visible states").astype(np.float64)
        W, b = np.asarray(self.W, np.float64), np.asarray(self.b, np.float64)
        a = np.asarray(self.a, np.float64)
        lo, hi = self.visible.values
        phi = v @ W + b                                 # (M, nh)
        base = -self.hidden.log_partition(phi).sum(1)   # F(v) + a.v
        total = np.zeros(len(v))
        for i in range(self.n_visible):
            other = np.where(v[:, i] == hi, lo, hi)     # v_i flipped
            d = other - v[:, i]
            f_flip = -self.hidden.log_partition(phi + d[:, None] * W[i]).sum(1) - d * a[i]
            # log p(v_i | rest) = -F(v) - log(e^-F(v) + e^-F(flip))
            total += -np.logaddexp(0.0, base - f_flip)
        return float(total.mean())

    # --- model protocol -------------------------------------------------------------------
    def evaluate(self, x, seed=0, ais_betas=10000, ais_runs=100, method="auto"):
        """Metrics on data ``x`` (nats per sample).

        ``ll`` is the best available estimate: exact (``ll_method`` "exact") when a discrete layer
        can be enumerated (:meth:`exact_layer`; ``method = "ais"`` forces AIS), else forward AIS
        (``ll_method`` "ais", a stochastic lower bound; ``ll_se`` its standard error, ``log_z``,
        ``log_z_se``).  Reverse AIS is reported as ``ll_reverse`` with ``reverse_start`` (how its
        runs were started, :func:`boltzmann_lab.sampling.ais.ais`); only from exact model samples
        is it a stochastic upper bound, and only then is it also given as ``ll_upper`` — the
        bracket [ll, ll_upper].  From approximate starts it is a diagnostic: far below ``ll``
        means the chains mix slowly.  Plus ``pll`` (discrete visibles; exact up to 100 visibles,
        else the one-random-unit estimate), ``recon_error`` and ``free_energy`` (mean F)."""
        x = self._x(x, self.n_visible, "data")
        self.visible.check(x, "data")
        out = {}
        fe = self.free_energy(x)
        out["free_energy"] = float(fe.mean())
        layer = self.exact_layer() if method != "ais" else None
        if layer is not None:
            lz = self.log_partition()
            out.update(ll=float(-fe.mean() - lz), ll_method="exact", log_z=lz)
        else:
            from boltzmann_lab.sampling.ais import ais
            res = ais(self, n_betas=ais_betas, n_runs=ais_runs, seed=seed, data=x)
            out.update(ll=float(-fe.mean() - res.log_z), ll_method="ais", ll_se=res.log_z_se,
                       log_z=res.log_z, log_z_se=res.log_z_se, log_z_reverse=res.log_z_reverse,
                       ll_reverse=float(-fe.mean() - res.log_z_reverse),
                       reverse_start=res.reverse_start)
            if res.reverse_start == "exact":
                out["ll_upper"] = out["ll_reverse"]
        if self.visible.discrete:
            # exact PLL costs n_visible free energies per row: estimate it for wide models
            out["pll"] = (self.pll(x) if self.n_visible <= 100 else
                          stochastic_pll(self, x, np.random.default_rng(seed)))
        out["recon_error"] = self.recon_error(x)
        return out

    def to_arrays(self):
        meta = {"visible_units": self.visible.name, "hidden_units": self.hidden.name}
        arrays = {"W": np.asarray(self.W), "a": np.asarray(self.a), "b": np.asarray(self.b)}
        if self.visible.name == "gaussian":
            arrays["sigma_v"] = self.visible.sigma_array(self.n_visible)
        if self.hidden.name == "gaussian":
            arrays["sigma_h"] = self.hidden.sigma_array(self.n_hidden)
        return meta, arrays

    @classmethod
    def from_arrays(cls, meta, arrays):
        for k in ("W", "a", "b"):
            if k not in arrays:
                raise ValueError(f"RBM model file lacks the array {k!r}")
        return cls(arrays["W"], arrays["a"], arrays["b"],
                   visible=meta.get("visible_units", "binary"),
                   hidden=meta.get("hidden_units", "binary"),
                   sigma_v=arrays.get("sigma_v", 1.0), sigma_h=arrays.get("sigma_h", 1.0))


def stochastic_pll(rbm, x, rng):
    """Unbiased estimate of the pseudo-log-likelihood: n * log p(v_i | v_-i) for one random unit
    i per row (discrete visibles), mean over rows."""
    x = np.asarray(x, np.float64)
    M, n = x.shape
    i = rng.integers(0, n, size=M)
    lo, hi = rbm.visible.values
    W, a, b = (np.asarray(p, np.float64) for p in (rbm.W, rbm.a, rbm.b))
    phi = x @ W + b
    xi = x[np.arange(M), i]
    d = np.where(xi == hi, lo, hi) - xi
    lp = rbm.hidden.log_partition
    dF = -(lp(phi + d[:, None] * W[i]).sum(1) - lp(phi).sum(1)) - d * a[i]   # F(flip) - F(v)
    return float(np.mean(-n * np.logaddexp(0.0, -dF)))
