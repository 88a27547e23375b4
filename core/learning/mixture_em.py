"""EM for mixture models: the M-step of each family on its parameter domain, MAP priors,
initialisation (k-means++ seeding, random responsibilities, given parameters) and a plain EM loop.

:class:`MixtureEM` adapts a :class:`~boltzmann_lab.models.mixture.MixtureModel` to the EM protocol
of :mod:`boltzmann_lab.learning.em` (``log_joint``, ``m_step``, ``log_prior``, and the free-parameter
vector used by the Fig. 59 slices).

Initialisation (``init``): ``kmeans++`` — K data rows chosen by D² sampling (k-means++ seeding), every
row assigned to its nearest centre; bernoulli/binomial probabilities start halfway between the
cluster mean and the overall mean (so no coordinate starts at 0 or 1), Gaussian means at the cluster
means with the overall covariance; ``random`` — random responsibilities (Dirichlet(1) per row)
followed by one M-step; ``given`` — ``init_params``: K head probabilities (binomial), or K·n means
(bernoulli: probabilities of a 1; gaussian: means), optionally followed by K mixing weights.  Weights
otherwise start uniform and stay fixed when ``fit_weights`` is false.  ``restarts`` > 1 runs EM from
that many initialisations (seeds ``[seed, r]``) to convergence or the run length, and the learner
then replays the run with the best final objective step by step.
"""

from __future__ import annotations

import math

import numpy as np

from boltzmann_lab.config import ConfigError
from boltzmann_lab.learning import em as _em
from boltzmann_lab.models.mixture import (PROB_EPS, _W_MIN, MixtureModel, _floor_cov, _log_weights,
                                          _safe_logs)


def _log_beta(a: float, b: float) -> float:
    """ln B(a, b) = ln Γ(a) + ln Γ(b) − ln Γ(a + b), from the standard library (no scipy at run time)."""
    return math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)


class MixtureEM:
    """A :class:`MixtureModel` plus its learning settings, implementing the ``boltzmann_lab.learning.em`` protocol.

    Data passed to ``log_joint``/``m_step`` are ``model.features(x)`` (computed once by the
    learner).  ``free_vector`` layout: probability families — head probabilities (binomial K;
    bernoulli K·n, row-major, always as P(1) whatever the convention), then the K weights when
    ``fit_weights``; gaussian — means (K·n), covariances (K·n·n or K·n), then the weights."""

    def __init__(self, model: MixtureModel, fit_weights=True, prior=None, floor=1e-6):
        self.model = model
        self.fit_weights = bool(fit_weights)
        self.prior = None if prior is None else (float(prior[0]), float(prior[1]))
        self.floor = float(floor)

    def _like(self, model):
        return MixtureEM(model, self.fit_weights, self.prior, self.floor)

    # --- boltzmann_lab.learning.em protocol -----------------------------------------------------------------
    def log_joint(self, f):
        return self.model.log_joint_features(f)

    def log_prior(self) -> float:
        return float(self.log_prior_many(self.free_vector()[None, :])[0])

    def m_step(self, f, log_q, counts=None) -> "MixtureEM":
        """The maximiser of the bound over the domain (module docstring) given responsibilities
        exp(log_q).  A component whose responsibilities all underflow to zero keeps its parameters
        (any value maximises the bound then)."""
        m = self.model
        r = np.exp(log_q)
        if counts is not None:
            r = r * np.asarray(counts, dtype=float)[:, None]
        Nk = r.sum(axis=0)
        w = Nk / Nk.sum() if self.fit_weights else m.weights.copy()
        new = m.copy()
        new.weights = w
        a, b = self.prior if self.prior is not None else (1.0, 1.0)
        if m.family == "binomial":
            num = r.T @ f[:, 0] + (a - 1.0)
            den = r.T @ (f[:, 0] + f[:, 1]) + (a + b - 2.0)
            p = m.probs[:, 0].copy()
            ok = den > 0
            p[ok] = np.clip(num[ok] / den[ok], PROB_EPS, 1.0 - PROB_EPS)
            probs = np.repeat(p[:, None], m.n, axis=1)
            new.means = probs if m.convention == "binary" else 2.0 * probs - 1.0
        elif m.family == "bernoulli":
            num = r.T @ f + (a - 1.0)
            den = Nk + (a + b - 2.0)
            probs = m.probs.copy()
            ok = den > 0
            probs[ok] = np.clip(num[ok] / den[ok, None], PROB_EPS, 1.0 - PROB_EPS)
            new.means = probs if m.convention == "binary" else 2.0 * probs - 1.0
        else:
            for k in np.flatnonzero(Nk > 0):
                wk = r[:, k] / Nk[k]
                mu = wk @ f
                d = f - mu
                new.means[k] = mu
                if m.covariance == "full":
                    new.covs[k] = _floor_cov((d * wk[:, None]).T @ d, self.floor)
                else:
                    new.covs[k] = np.maximum(wk @ (d * d), self.floor)
        return self._like(new)

    # --- parameter vectors for slices -----------------------------------------------------
    @property
    def prob_family(self) -> bool:
        return self.model.family != "gaussian"

    def _n_head(self):
        m = self.model
        if m.family == "binomial":
            return m.K
        if m.family == "bernoulli":
            return m.K * m.n
        return m.K * m.n + m.covs.size

    def free_count(self) -> int:
        """Number of free scalar parameters (weights count K − 1 when fitted)."""
        return self._n_head() + (self.model.K - 1 if self.fit_weights else 0)

    def free_vector(self) -> np.ndarray:
        m = self.model
        if m.family == "binomial":
            parts = [m.probs[:, 0]]
        elif m.family == "bernoulli":
            parts = [m.probs.ravel()]
        else:
            parts = [m.means.ravel(), m.covs.ravel()]
        if self.fit_weights:
            parts.append(m.weights)
        return np.concatenate(parts).astype(float)

    def _split(self, V):
        """(G, P) -> probabilities or (means, covs), and weights (G, K)."""
        m = self.model
        h = self._n_head()
        head = V[:, :h]
        w = V[:, h:h + m.K] if self.fit_weights else np.repeat(m.weights[None], len(V), axis=0)
        return head, w

    def with_free_vector(self, v) -> "MixtureEM":
        m = self.model
        v = np.asarray(v, dtype=float)
        head, w = self._split(v[None, :])
        head, w = head[0], w[0]
        new = m.copy()
        new.weights = w.copy()
        if m.family == "gaussian":
            kn = m.K * m.n
            new.means = head[:kn].reshape(m.K, m.n).copy()
            new.covs = head[kn:].reshape(m.covs.shape).copy()
        else:
            probs = np.repeat(head[:, None], m.n, axis=1) if m.family == "binomial" \
                else head.reshape(m.K, m.n)
            new.means = probs.copy() if m.convention == "binary" else 2.0 * probs - 1.0
        return self._like(new)

    def log_joint_many(self, V, f):
        """(G, M, K) log joint for G free vectors at once (probability families: one product)."""
        if not self.prob_family:
            return np.stack([self.with_free_vector(v).log_joint(f) for v in V])
        m = self.model
        head, w = self._split(np.asarray(V, dtype=float))
        lw = _log_weights(w)                                    # (G, K)
        if m.family == "binomial":
            lp, lq = _safe_logs(head)                           # (G, K)
            L = f[:, 0][None, :, None] * lp[:, None, :] + f[:, 1][None, :, None] * lq[:, None, :]
        else:
            G = len(V)
            lp, lq = _safe_logs(head.reshape(G, m.K, m.n))
            A = (lp - lq).reshape(G * m.K, m.n)
            L = (f @ A.T).reshape(len(f), G, m.K).transpose(1, 0, 2) + lq.sum(axis=2)[:, None, :]
        return L + lw[:, None, :]

    def log_prior_many(self, V) -> np.ndarray:
        """(G,) log p(θ) of the Beta(a, b) priors on the head probabilities (0 without a prior)."""
        V = np.atleast_2d(V)
        if self.prior is None or not self.prob_family:
            return np.zeros(len(V))
        a, b = self.prior
        head, _ = self._split(V)
        lp, lq = _safe_logs(head)
        return ((a - 1.0) * lp + (b - 1.0) * lq).sum(axis=1) - head.shape[1] * _log_beta(a, b)

    def feasible_interval(self, v0, d, lo=-1.0, hi=2.0, inside=(0.0,)):
        """The interval of s in [lo, hi] with v0 + s·d in the domain (probabilities in
        [ε, 1 − ε], weights ≥ 1e-12, covariance eigenvalues ≥ floor).  The points s in ``inside``
        are known to be in the domain (θᵗ at s = 0 always; the M-step result too) and stay in the
        interval even where a boundary passes through them."""
        m = self.model
        v0, d = np.asarray(v0, float), np.asarray(d, float)
        lower = np.full(len(v0), -np.inf)
        upper = np.full(len(v0), np.inf)
        h = self._n_head()
        if self.prob_family:
            lower[:h], upper[:h] = PROB_EPS, 1.0 - PROB_EPS
        elif m.covariance == "diag":
            lower[m.K * m.n:h] = self.floor
        if self.fit_weights:
            lower[h:] = _W_MIN
        s_lo, s_hi = float(lo), float(hi)
        for j in np.flatnonzero(d != 0):
            a, b = (lower[j] - v0[j]) / d[j], (upper[j] - v0[j]) / d[j]
            if d[j] < 0:
                a, b = b, a
            s_lo, s_hi = max(s_lo, min(a, 0.0)), min(s_hi, max(b, 0.0))
        if m.family == "gaussian" and m.covariance == "full":
            kn = m.K * m.n
            C0 = v0[kn:h].reshape(m.K, m.n, m.n)
            dC = d[kn:h].reshape(m.K, m.n, m.n)

            # slack for round-off at the scale of the matrices (clipped eigenvalues sit at the floor)
            scale = float(np.abs(np.diagonal(C0, axis1=1, axis2=2)).max())
            shift = (self.floor - 1e-9 * (self.floor + scale)) * np.eye(m.n)

            def ok(s):                    # all eigenvalues ≥ floor  <=>  C − floor·I ⪰ 0
                try:
                    np.linalg.cholesky(C0 + s * dC - shift)
                    return True
                except np.linalg.LinAlgError:
                    return False

            def shrink(good, bad):        # the feasible set is an interval containing 0
                for _ in range(16):       # the end found to 3 / 2^16 of the s range
                    mid = 0.5 * (good + bad)
                    good, bad = (mid, bad) if ok(mid) else (good, mid)
                return good

            if not ok(s_lo):
                s_lo = shrink(min(min(inside), 0.0), s_lo)
            if not ok(s_hi):
                s_hi = shrink(max(max(inside), 0.0), s_hi)
        return min(s_lo, *inside), max(s_hi, *inside)


def _compress(f, family):
    """Distinct feature rows and their counts, when that saves work (binomial always: a row is
    summarised by its head count; bernoulli when n ≤ 64 and at most half the rows are distinct).
    Returns (rows, counts) or (f, None)."""
    if family == "gaussian" or (family == "bernoulli" and f.shape[1] > 64):
        return f, None
    rows, counts = np.unique(f, axis=0, return_counts=True)
    if family == "binomial" or len(rows) <= len(f) // 2:
        return np.ascontiguousarray(rows), counts.astype(float)
    return f, None


def kmeans_pp_centres(x, k, rng, counts=None) -> np.ndarray:
    """Indices of ``k`` rows of ``x`` chosen by k-means++ seeding: the first uniformly (by
    ``counts`` when rows are weighted), each next with probability ∝ counts · D², D the distance
    to the nearest chosen centre.  When every remaining D is 0 the pick is uniform again."""
    c = np.ones(len(x)) if counts is None else np.asarray(counts, dtype=float)
    idx = [int(rng.choice(len(x), p=c / c.sum()))]
    d2 = np.sum((x - x[idx[0]]) ** 2, axis=1)
    for _ in range(1, k):
        p = c * d2
        p = p / p.sum() if p.sum() > 0 else c / c.sum()
        j = int(rng.choice(len(x), p=p))
        idx.append(j)
        d2 = np.minimum(d2, np.sum((x - x[j]) ** 2, axis=1))
    return np.array(idx)


def _nearest(x, centres):
    d2 = (x * x).sum(1)[:, None] - 2.0 * x @ centres.T + (centres * centres).sum(1)[None, :]
    return np.argmin(d2, axis=1)


def initial_model(family, f, counts, K, convention, covariance, floor, init, init_params,
                  fit_weights, prior, rng, n) -> MixtureEM:
    """Starting parameters (module docstring, "Initialisation") as a :class:`MixtureEM`.

    ``f``/``counts`` are the (possibly compressed) features; ``n`` the data dimension."""
    c = np.ones(len(f)) if counts is None else np.asarray(counts, dtype=float)
    w = np.full(K, 1.0 / K)
    covs = None
    if family == "binomial":
        pts = (f[:, :1] / n)                               # head fraction per experiment
    else:
        pts = f
    gmean = (c @ pts) / c.sum()
    if family == "gaussian":
        d = f - gmean
        gcov = (d * c[:, None]).T @ d / c.sum()
        covs = (np.repeat(_floor_cov(gcov, floor)[None], K, axis=0) if covariance == "full"
                else np.repeat(np.maximum(np.diag(gcov), floor)[None], K, axis=0))

    if init == "given":
        if init_params is None:
            raise ConfigError("[model] init = 'given' needs init_params")
        vals = np.asarray(init_params, dtype=float)
        d = 1 if family == "binomial" else n
        if vals.size not in (K * d, K * d + K):
            raise ConfigError(f"[model] init_params has {vals.size} numbers; a {family} mixture "
                              f"with K = {K} components needs {K * d} ("
                              + ("head probabilities" if family == "binomial" else "K·n means")
                              + f"), optionally followed by {K} mixing weights")
        centres = vals[:K * d].reshape(K, d)
        if vals.size == K * d + K:
            w = vals[K * d:]
            if np.any(w < 0) or w.sum() <= 0:
                raise ConfigError("[model] init_params: mixing weights must be non-negative")
            w = w / w.sum()
        if family != "gaussian" and (np.any(centres < 0) or np.any(centres > 1)):
            raise ConfigError("[model] init_params: head probabilities must lie in [0, 1]")
        if family == "gaussian":
            means = centres
        else:
            probs = np.clip(centres, PROB_EPS, 1 - PROB_EPS)
            means = np.repeat(probs, n, axis=1) if family == "binomial" else probs
            means = means if convention == "binary" else 2.0 * means - 1.0
        return MixtureEM(MixtureModel(family, w, means, covs, convention, covariance),
                         fit_weights, prior, floor)

    if init == "random":
        # random responsibilities, then the M-step (weights stay uniform unless fitted)
        q = rng.dirichlet(np.ones(K), size=len(f))
        start = _placeholder(family, K, n, convention, covariance, covs)
        em = MixtureEM(start, fit_weights, prior, floor)
        with np.errstate(divide="ignore"):
            return em.m_step(f, np.log(q), counts)

    if init != "kmeans++":
        raise ConfigError(f"[model] init = {init!r} is not known")
    idx = kmeans_pp_centres(pts, K, rng, counts)
    centres = pts[idx]
    assign = _nearest(pts, centres)
    cmeans = np.empty_like(centres)
    for k in range(K):
        sel = assign == k
        cmeans[k] = (c[sel] @ pts[sel]) / c[sel].sum() if c[sel].sum() > 0 else centres[k]
    if family == "gaussian":
        means = cmeans
    else:
        probs = np.clip(0.5 * (cmeans + gmean), PROB_EPS, 1 - PROB_EPS)
        means = np.repeat(probs, n, axis=1) if family == "binomial" else probs
        means = means if convention == "binary" else 2.0 * means - 1.0
    return MixtureEM(MixtureModel(family, w, means, covs, convention, covariance),
                     fit_weights, prior, floor)


def _placeholder(family, K, n, convention, covariance, covs):
    mid = 0.5 if convention == "binary" else 0.0
    means = np.zeros((K, n)) if family == "gaussian" else np.full((K, n), mid)
    return MixtureModel(family, np.full(K, 1.0 / K), means, covs, convention, covariance)


def run_em(em, f, counts=None, max_iter=1000, tolerance=1e-8):
    """Iterate EM from ``em`` until the objective gain < ``tolerance`` or ``max_iter`` iterations.
    Returns (final MixtureEM, final objective, iterations)."""
    L = None
    info = None
    for it in range(1, int(max_iter) + 1):
        em, info, _, L = _em.em_step(em, f, counts, L)
        if info.objective_new - info.objective_old < tolerance:
            break
    if info is None:
        return em, float("nan"), 0
    return em, info.objective_new, it
