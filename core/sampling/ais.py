"""Annealed importance sampling (AIS) for the log partition function of an RBM, with reverse AIS.

Salakhutdinov & Murray (ICML 2008), "On the quantitative analysis of deep belief networks".  The
path of distributions (beta from 0 to 1) interpolates the linear and coupling terms of the energy
(the Gaussian self-energies Q stay fixed so every p_beta is normalisable)::

    -E_beta(v, h) = (1 - beta) a_A.v + beta (a.v + b.h + v.W.h) - Q_v(v) - Q_h(h)

``beta = 0`` is the *base-rate model*: independent visibles with biases ``a_A`` (by default the
data's base rates, ``a_A = logit(mean)`` for binary units, ``atanh(mean)`` for spins, ``mean /
sigma^2`` for Gaussian units; the model's own ``a`` without data) and independent hidden units with
zero field, so ``log Z_A = sum_i log_partition_v(a_A_i) + sum_j log_partition_h(0)``.  Summing out h:

    -F_beta(v) = ((1 - beta) a_A + beta a).v - Q_v(v) + sum_j log_partition_h(beta (b + v W)_j).

Forward AIS: v_0 ~ p_0; for k = 1..K: log w += F_{k-1}(v) - F_k(v), then one block-Gibbs sweep
that leaves p_k invariant.  E[w] = Z_B / Z_A, so ``log Z = log Z_A + log mean w`` is unbiased in
``Z`` and, by Jensen, a stochastic *lower* bound on log Z.

Reverse AIS (the bracket): start from (approximate) samples of the model p_B, walk beta from 1 to 0
with the same kernels, log w_rev += F_k(v) - F_{k-1}(v).  E[w_rev] = Z_A / Z_B, so ``log Z_A - log
mean w_rev`` is a stochastic *upper* bound on log Z when the start is an exact sample of the model.
Start states: the given ``reverse_init`` (e.g. persistent fantasy particles), else exact samples
when a layer is small enough to enumerate, else the forward runs' final states after
``reverse_sweeps`` more Gibbs sweeps at beta = 1.  Only exact starts certify the upper bound: from
approximate starts that have not reached the model's equilibrium the reverse estimate can fall
*below* the forward one (``reverse_start`` says which start was used) — a sign that the model
mixes slowly and both numbers deserve caution.

The spread ``log_z_se`` is the delta-method standard error of log mean w: sd(w) / (mean(w) sqrt(R)).
All runs are vectorised: one (runs x n_visible) @ (n_visible x n_hidden) GEMM per beta and
direction.  Randomness: ``seed`` (int or Generator); per-run RNG lanes in the sampling kernels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from boltzmann_lab.kernels import rbm as _k
from boltzmann_lab.kernels.rng import as_lanes
from boltzmann_lab.stats.numerics import logsumexp


@dataclass
class AISResult:
    """log Z estimates of an AIS run (nats).

    log_z : forward AIS estimate (stochastic lower bound).  log_z_se : its standard error.
    log_z_reverse : reverse AIS estimate (stochastic upper bound when started from exact model
        samples), log_z_reverse_se its standard error.  log_z_base : log Z of the base model.
    log_w, log_w_reverse : (runs,) log importance weights.  betas : the schedule used.
    reverse_start : how the reverse runs were started (``exact``, ``given``, ``forward``).
    """

    log_z: float
    log_z_se: float
    log_z_reverse: float
    log_z_reverse_se: float
    log_z_base: float
    log_w: np.ndarray
    log_w_reverse: np.ndarray
    betas: np.ndarray
    reverse_start: str


def default_betas(n_betas):
    """Salakhutdinov & Murray's schedule shape: 7 % of the steps on [0, 0.5], 27 % on [0.5, 0.9],
    66 % on [0.9, 1] (they used 1000 / 4000 / 10000), ``n_betas`` points from 0 to 1 inclusive."""
    n = max(int(n_betas), 3)
    n1, n2 = max(1, round(0.07 * n)), max(1, round(0.27 * n))
    n3 = max(1, n - n1 - n2 - 1)
    return np.concatenate([np.linspace(0.0, 0.5, n1, endpoint=False),
                           np.linspace(0.5, 0.9, n2, endpoint=False),
                           np.linspace(0.9, 1.0, n3 + 1)])


def base_rate_bias(rbm, data=None, clip=1e-3):
    """Visible biases of the base-rate model (module docstring)."""
    if data is None:
        return np.asarray(rbm.a, np.float64).copy()
    m = np.asarray(data, np.float64).mean(axis=0)
    name = rbm.visible.name
    if name == "binary":
        m = np.clip(m, clip, 1 - clip)
        return np.log(m / (1 - m))
    if name == "spin":
        return np.arctanh(np.clip(m, -1 + 2 * clip, 1 - 2 * clip))
    return m / rbm.visible.sigma_array(rbm.n_visible) ** 2


def _log_mean_exp_and_se(logw):
    lm = logsumexp(logw) - np.log(len(logw))
    w = np.exp(logw - logw.max())
    se = float(w.std() / (w.mean() * np.sqrt(len(w)))) if len(w) > 1 else np.inf
    return float(lm), se


class _Path:
    """The annealing path of one RBM (fields in the model dtype, weights in float64)."""

    def __init__(self, rbm, a_base):
        self.rbm = rbm
        self.W = rbm.W
        self.WT = np.ascontiguousarray(rbm.W.T)
        self.a = np.asarray(rbm.a, np.float64)
        self.b = np.asarray(rbm.b, rbm.dtype)
        self.a_base = np.asarray(a_base, np.float64)
        self.da = self.a - self.a_base

    def hidden_input(self, v):
        return v @ self.W + self.b                 # (R, nh), model dtype

    def delta_neg_free(self, v, x, beta0, beta1):
        """-F_{beta1}(v) + F_{beta0}(v) per row (float64), with x = b + v W."""
        lp = self.rbm.hidden.log_partition
        x64 = x.astype(np.float64)
        return ((beta1 - beta0) * (v.astype(np.float64) @ self.da)
                + (lp(beta1 * x64) - lp(beta0 * x64)).sum(axis=1))

    def hidden_step(self, v, x, beta0, beta1, st, logw, sign):
        """logw += sign * (-F_{beta1}(v) + F_{beta0}(v)); returns h ~ p_{beta1}(h | v).  Binary
        hidden units use one fused kernel (softplus differences in float64 + the draw)."""
        rbm = self.rbm
        if rbm.hidden.name == "binary":
            h = np.empty_like(x)
            d = np.zeros(len(x))
            _k.ais_binary_hidden(x, np.zeros(x.shape[1], x.dtype), float(beta0), float(beta1),
                                 st, h, d)
            d += (beta1 - beta0) * (v.astype(np.float64) @ self.da)
        else:
            d = self.delta_neg_free(v, x, beta0, beta1)
            _, h = rbm.hidden.sample((beta1 * x).astype(rbm.dtype, copy=False), st)
        logw += sign * d
        return h

    def visible_step(self, h, beta, st):
        """v ~ p_beta(v | h)."""
        rbm = self.rbm
        phi = (beta * (h @ self.WT) + ((1 - beta) * self.a_base + beta * self.a)).astype(rbm.dtype)
        return rbm.visible.sample(phi, st)[1]

    def gibbs(self, v, x, beta, st):
        """One sweep at beta starting from v with x = b + v W already computed: h then v."""
        rbm = self.rbm
        _, h = rbm.hidden.sample((beta * x).astype(rbm.dtype, copy=False), st)
        phi = (beta * (h @ self.WT) + ((1 - beta) * self.a_base + beta * self.a)).astype(rbm.dtype)
        _, v = rbm.visible.sample(phi, st)
        return v


def ais(rbm, n_betas=10000, n_runs=100, seed=0, data=None, betas=None, reverse=True,
        reverse_init=None, reverse_sweeps=1000, base_bias=None):
    """Forward (and reverse) AIS estimates of log Z for ``rbm`` (see the module docstring).

    Parameters
    ----------
    n_betas, n_runs : intermediate distributions (including both ends) and independent runs.
    data : optional (M, n_visible) data for the base-rate model.
    base_bias : explicit (n_visible,) visible biases of the base model (overrides ``data``).
    betas : explicit increasing schedule from 0 to 1 (overrides ``n_betas``).
    reverse : also run reverse AIS; ``reverse_init`` optional (R', n_visible) start states.
    reverse_sweeps : Gibbs sweeps at beta = 1 before the reverse runs when they start from the
        forward runs' final states.
    """
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    betas = default_betas(n_betas) if betas is None else np.asarray(betas, np.float64)
    if betas[0] != 0.0 or betas[-1] != 1.0 or np.any(np.diff(betas) <= 0):
        raise ValueError("AIS betas must increase strictly from 0 to 1")
    R = int(n_runs)
    if R < 2:
        raise ValueError("AIS needs at least 2 runs to estimate its spread")
    path = _Path(rbm, base_rate_bias(rbm, data) if base_bias is None else base_bias)
    log_z_base = float(rbm.visible.log_partition(path.a_base).sum()
                       + rbm.hidden.log_partition(np.zeros(rbm.n_hidden)).sum())
    st = as_lanes(rng, R)

    # forward: v ~ base model (independent visibles with field a_base)
    phi0 = np.broadcast_to(path.a_base.astype(rbm.dtype), (R, rbm.n_visible)).copy()
    _, v = rbm.visible.sample(phi0, st)
    logw = np.zeros(R)
    for k in range(1, len(betas)):
        x = path.hidden_input(v)
        # weight update and the h half of the sweep at beta_k share x = b + v W
        h = path.hidden_step(v, x, betas[k - 1], betas[k], st, logw, 1.0)
        if k < len(betas) - 1:
            v = path.visible_step(h, betas[k], st)
    log_z, se = _log_mean_exp_and_se(logw)
    log_z += log_z_base

    lzr, ser, logw_r, how = np.nan, np.nan, np.full(R, np.nan), ""
    if reverse:
        if reverse_init is not None:
            init = np.asarray(reverse_init, rbm.dtype)
            v = init[np.arange(R) % len(init)].copy()
            how = "given"
        elif rbm.exact_layer() in ("visible", "hidden"):
            v = rbm.sample_exact(R, rng)[0].astype(rbm.dtype)
            how = "exact"
        else:
            v = rbm.gibbs(v, reverse_sweeps, st)
            how = "forward"
        logw_r = np.zeros(R)
        for k in range(len(betas) - 1, 0, -1):
            x = path.hidden_input(v)
            # -F_{k-1}(v) + F_k(v); h drawn at beta_{k-1} for the sweep that keeps p_{k-1}
            h = path.hidden_step(v, x, betas[k], betas[k - 1], st, logw_r, 1.0)
            if k > 1:
                v = path.visible_step(h, betas[k - 1], st)
        lm, ser = _log_mean_exp_and_se(logw_r)
        lzr = log_z_base - lm
    return AISResult(log_z=log_z, log_z_se=se, log_z_reverse=float(lzr), log_z_reverse_se=ser,
                     log_z_base=log_z_base, log_w=logw, log_w_reverse=logw_r, betas=betas,
                     reverse_start=how)
