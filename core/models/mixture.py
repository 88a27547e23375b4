"""Mixture models fitted by EM, and the ``mixture`` learner (one EM iteration per step).

Families (all share p(x) = Σ_k w_k p(x | z = k), weights w (K,) on the simplex):

* ``binomial`` — the two-coin / K-coin example (Do & Batzoglou 2008; Mehta et al. 2019, sec. 14).
  A row is one experiment: its n tosses as 0/1 (``binary``) or −1/+1 (``spin``, +1 = head).  All
  tosses of a row come from one coin k with head probability p_k:
  p(x | k) = p_k^h (1 − p_k)^(n − h), h = heads in the row.  ``ll`` is the log-probability of the
  toss *sequences*; ``evaluate`` also reports ``ll_counts``, that of the head counts
  (+ log C(n, h)).  Stored ``means`` (K, n) has constant rows (the mean toss of coin k).
* ``bernoulli`` — binary vectors: p(x | k) = Π_j p_kj^x_j (1 − p_kj)^(1 − x_j) (x in {0,1}; spin data
  are mapped by x = (s + 1)/2).  ``means`` (K, n) holds E[x | k] in the model's convention.
* ``gaussian`` — real vectors: N(x | μ_k, Σ_k), ``covariance`` ``full`` (``covs`` (K, n, n)) or
  ``diag`` (``covs`` (K, n), the variances).

Domains (what the M-step maximises over, so EM stays exactly monotone):

* probabilities are kept in [ε, 1 − ε] with ε = ``PROB_EPS`` = 1e-6: the M-step is the clipped
  closed-form maximiser, which is the exact maximiser of the bound on that box because each
  coordinate's bound is concave in p;
* covariances are kept at Σ_k ⪰ floor·I: eigenvalues of the weighted scatter matrix below
  ``covariance_floor`` are raised to it (variances for ``diag``).  This is the exact maximiser of the
  bound over that set (so ℓ never decreases — merely adding the floor to the diagonal would not be
  monotone) and keeps the likelihood bounded: no component can collapse onto a point.  A floor of 0
  is replaced by 1e-12 × the mean data variance so that the Cholesky factor exists.

MAP (``prior = [a, b]``, a, b ≥ 1): independent Beta(a, b) priors on every head probability (binomial:
the K biases; bernoulli: the K·n probabilities); the M-step gives the posterior mode
p = (Σ_i q_ik h_i + a − 1) / (Σ_i q_ik n_i + a + b − 2).  The objective is then
J = ℓ + log p(θ)/M (normalised Beta densities) and the reported ``bound`` includes the same term.

Initialisation (``init``): ``kmeans++`` — K data rows chosen by D² sampling (k-means++ seeding), every
row assigned to its nearest centre; bernoulli/binomial probabilities start halfway between the
cluster mean and the overall mean (so no coordinate starts at 0 or 1), Gaussian means at the cluster
means with the overall covariance; ``random`` — random responsibilities (Dirichlet(1) per row)
followed by one M-step; ``given`` — ``init_params``: K head probabilities (binomial), or K·n means
(bernoulli: probabilities of a 1; gaussian: means), optionally followed by K mixing weights.  Weights
otherwise start uniform and stay fixed when ``fit_weights`` is false.  ``restarts`` > 1 runs EM from
that many initialisations (seeds ``[seed, r]``) to convergence or the run length, and the learner
then replays the run with the best final objective step by step.

Learner metrics (per step t, nats per sample): ``train_ll`` = ℓ(θᵗ); ``bound`` = −F_q(θᵗ⁺¹) with q
the E-step posterior at θᵗ (+ log p(θᵗ⁺¹)/M for MAP); ``kl_gap`` = KL(q ‖ p(z|x, θᵗ⁺¹)) =
J(θᵗ⁺¹) − bound ≥ 0; ``objective`` = J(θᵗ) (= ``train_ll`` without a prior); ``estep_gap`` =
J(θᵗ) − (−F_q(θᵗ)) (zero up to round-off: the bound touches at θᵗ); ``ll_gain`` = J(θᵗ⁺¹) − J(θᵗ).
So ``objective`` ≤ ``bound`` ≤ ``objective`` of the next step.  ``evaluate()`` adds ``val_ll`` at the
current parameters θᵗ⁺¹.  Converged when ``ll_gain`` < ``tolerance``.

Views (see ``MixtureLearner.views``): ``em_theta``/``em_ll``/``em_bound``/``em_marks`` (the 1-D
slice), ``em_axis0``/``em_axis1`` (= ``em_grid_x``/``em_grid_y``), ``em_ll_grid``/``em_bound_grid``,
``em_points``, ``em_path`` (2-D, two free probabilities), ``em_axis_label``, ``means``,
``weights``, ``biases`` (binomial), ``fantasy`` (exact samples of the current mixture, seeded by
(seed, iteration)), ``data``.
"""

from __future__ import annotations

import math

import numpy as np

from boltzmann_lab.learning import em as _em
from boltzmann_lab.config import ConfigError
from boltzmann_lab.learning.trainer import Learner

FAMILIES = ("binomial", "bernoulli", "gaussian")
#: probabilities are kept in [PROB_EPS, 1 - PROB_EPS] by the M-step
PROB_EPS = 1e-6
#: smallest mixing weight on a slice line (w = 0 would make the bound -inf where q > 0)
_W_MIN = 1e-12
_LOG_2PI = math.log(2.0 * math.pi)


# ------------------------------------------------------------------------------------ helpers

def _log_beta(a: float, b: float) -> float:
    """ln B(a, b) = ln Γ(a) + ln Γ(b) − ln Γ(a + b), from the standard library (no scipy at run time)."""
    return math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)


def _safe_logs(p):
    """log p and log(1 − p) with p clipped 1e-300 away from 0 and 1, so that products with 0/1 data
    stay finite (a zero-probability event then costs ≈ 690.8 nats instead of −inf·0 = NaN)."""
    p = np.asarray(p, dtype=float)
    return np.log(np.maximum(p, 1e-300)), np.log(np.maximum(1.0 - p, 1e-300))


def _log_weights(w):
    with np.errstate(divide="ignore"):
        return np.log(w)


def _floor_cov(S, floor):
    """The nearest (in the M-step sense) matrix with all eigenvalues ≥ floor: eigenvalues of the
    symmetric S below ``floor`` are raised to it; S itself is returned when none is."""
    S = 0.5 * (S + S.T)
    vals, vecs = np.linalg.eigh(S)
    if vals[0] >= floor:
        return S
    out = (vecs * np.maximum(vals, floor)) @ vecs.T
    return 0.5 * (out + out.T)


def _check_binary(x, convention, what):
    lo = 0.0 if convention == "binary" else -1.0
    if not np.all((x == lo) | (x == 1.0)):
        raise ValueError(f"the {what} family needs {convention} data with values "
                         f"{{{lo:g}, 1}}; binarize the data or choose family = 'gaussian'")


# ------------------------------------------------------------------------------------- model
class MixtureModel:
    """A fitted mixture (kind ``mixture``): weights (K,), means (K, n), covs for Gaussians.

    ``means`` are E[x | z = k] in the model's ``convention`` (binomial/bernoulli: ``binary`` or
    ``spin``; gaussian: ``real``).  Model protocol: ``to_arrays``/``from_arrays``, ``sample``,
    ``evaluate``.  ``log_prob(x)`` (M,) is exact (log-sum-exp over components)."""

    kind = "mixture"

    def __init__(self, family, weights, means, covs=None, convention=None, covariance="full"):
        if family not in FAMILIES:
            raise ValueError(f"unknown mixture family {family!r}; choose one of {FAMILIES}")
        self.family = family
        self.convention = convention or ("real" if family == "gaussian" else "binary")
        allowed = ("real",) if family == "gaussian" else ("binary", "spin")
        if self.convention not in allowed:
            raise ValueError(f"a {family} mixture has convention {' or '.join(allowed)}, "
                             f"not {self.convention!r}")
        self.weights = np.array(weights, dtype=float).reshape(-1)
        self.means = np.array(means, dtype=float)
        K = len(self.weights)
        if self.means.ndim != 2 or self.means.shape[0] != K:
            raise ValueError(f"means must have shape (K, n) with K = {K} (the number of weights), "
                             f"got {self.means.shape}")
        if np.any(self.weights < 0) or not np.isfinite(self.weights).all() \
                or abs(self.weights.sum() - 1.0) > 1e-6:
            raise ValueError("mixture weights must be non-negative and sum to 1")
        if not np.isfinite(self.means).all():
            raise ValueError("mixture means must be finite")
        self.covariance = covariance
        if family == "gaussian":
            if covariance not in ("full", "diag"):
                raise ValueError("covariance must be 'full' or 'diag'")
            n = self.means.shape[1]
            shape = (K, n, n) if covariance == "full" else (K, n)
            if covs is None:
                raise ValueError("a gaussian mixture needs covs")
            self.covs = np.array(covs, dtype=float)
            if self.covs.shape != shape:
                raise ValueError(f"covs must have shape {shape} for covariance = "
                                 f"{covariance!r}, got {self.covs.shape}")
        else:
            self.covs = None
            lo = 0.0 if self.convention == "binary" else -1.0
            if np.any(self.means < lo) or np.any(self.means > 1.0):
                raise ValueError(f"{family} means must lie in [{lo:g}, 1] ({self.convention})")
            if family == "binomial" and np.any(self.means != self.means[:, :1]):
                raise ValueError("binomial means must be constant along each row (one bias per coin)")

    # --- shapes and internal parameters -----------------------------------------------------
    @property
    def K(self) -> int:
        return len(self.weights)

    @property
    def n(self) -> int:
        return self.means.shape[1]

    @property
    def probs(self) -> np.ndarray:
        """(K, n) probability of a 1 (head) per unit, whatever the convention."""
        return self.means if self.convention == "binary" else 0.5 * (self.means + 1.0)

    @property
    def biases(self) -> np.ndarray:
        """(K,) head probabilities (binomial)."""
        return self.probs[:, 0].copy()

    def copy(self) -> "MixtureModel":
        return MixtureModel(self.family, self.weights.copy(), self.means.copy(),
                            None if self.covs is None else self.covs.copy(),
                            self.convention, self.covariance)

    def features(self, x) -> np.ndarray:
        """Data in the form the family works on: binomial (M, 2) [heads, tails]; bernoulli (M, n)
        in {0,1}; gaussian (M, n).  Checks shape and values."""
        x = np.asarray(x, dtype=float)
        if x.ndim != 2 or x.shape[1] != self.n:
            raise ValueError(f"data must have shape (M, {self.n}), got {x.shape}")
        if self.family == "gaussian":
            if not np.isfinite(x).all():
                raise ValueError("data contain NaN or infinite values")
            return x
        _check_binary(x, self.convention, self.family)
        x01 = x if self.convention == "binary" else 0.5 * (x + 1.0)
        if self.family == "binomial":
            h = x01.sum(axis=1)
            return np.stack([h, self.n - h], axis=1)
        return x01

    # --- densities ------------------------------------------------------------------------
    def component_log_prob(self, f) -> np.ndarray:
        """(M, K) log p(x_i | z = k) from ``features(x)``."""
        if self.family == "binomial":
            lp, lq = _safe_logs(self.probs[:, 0])
            return f @ np.stack([lp, lq])
        if self.family == "bernoulli":
            lp, lq = _safe_logs(self.probs)
            return f @ (lp - lq).T + lq.sum(axis=1)[None, :]
        return _gaussian_log_prob(f, self.means, self.covs, self.covariance)

    def log_joint_features(self, f) -> np.ndarray:
        """(M, K) log w_k + log p(x_i | z = k)."""
        return self.component_log_prob(f) + _log_weights(self.weights)[None, :]

    def log_joint(self, x) -> np.ndarray:
        return self.log_joint_features(self.features(x))

    def log_prob(self, x) -> np.ndarray:
        """(M,) exact log p(x_i) = logsumexp_k [log w_k + log p(x_i | k)]."""
        return _em.logsumexp(self.log_joint(x), axis=1)

    def responsibilities(self, x) -> np.ndarray:
        """(M, K) posterior p(z = k | x_i)."""
        log_q, _ = _em.e_step(self.log_joint(x))
        return np.exp(log_q)

    # --- model protocol -------------------------------------------------------------------
    def to_arrays(self):
        meta = {"family": self.family, "components": self.K}
        arrays = {"weights": self.weights.copy(), "means": self.means.copy()}
        if self.family == "gaussian":
            meta["covariance"] = self.covariance
            arrays["covs"] = self.covs.copy()
        return meta, arrays

    @classmethod
    def from_arrays(cls, meta, arrays):
        family = meta.get("family")
        if family not in FAMILIES:
            raise ValueError(f"mixture model file: unknown family {family!r}")
        for name in ("weights", "means") + (("covs",) if family == "gaussian" else ()):
            if name not in arrays:
                raise ValueError(f"mixture model file: missing array {name!r}")
        return cls(family, arrays["weights"], arrays["means"], arrays.get("covs"),
                   meta.get("convention"), meta.get("covariance", "full"))

    def sample(self, n_samples, seed=0) -> np.ndarray:
        """(n_samples, n) samples in the model's convention: z ~ Categorical(w), then x ~ p(x | z).
        Random: the component labels and the draws, from ``numpy.random.default_rng(seed)``."""
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        n_samples = int(n_samples)
        z = rng.choice(self.K, size=n_samples, p=self.weights / self.weights.sum())
        if self.family == "gaussian":
            out = np.empty((n_samples, self.n))
            for k in range(self.K):
                idx = np.flatnonzero(z == k)
                eps = rng.standard_normal((len(idx), self.n))
                if self.covariance == "full":
                    out[idx] = self.means[k] + eps @ np.linalg.cholesky(self.covs[k]).T
                else:
                    out[idx] = self.means[k] + eps * np.sqrt(self.covs[k])
            return out
        x = (rng.random((n_samples, self.n)) < self.probs[z]).astype(float)
        return x if self.convention == "binary" else 2.0 * x - 1.0

    def evaluate(self, x, seed=0) -> dict:
        """``ll``: exact mean log-likelihood (nats/sample); binomial adds ``ll_counts`` (of the head
        counts, + log C(n, h)); ``ll_method`` = "exact".  ``seed`` is unused (nothing is random)."""
        f = self.features(x)
        ll_i = _em.logsumexp(self.log_joint_features(f), axis=1)
        out = {"ll": float(ll_i.mean()), "ll_method": "exact", "samples": int(len(ll_i))}
        if self.family == "binomial":
            h, n = f[:, 0], self.n
            logc = (math.lgamma(n + 1) - np.array([math.lgamma(v + 1) for v in h])
                    - np.array([math.lgamma(n - v + 1) for v in h]))
            out["ll_counts"] = float((ll_i + logc).mean())
        return out


def _gaussian_log_prob(x, means, covs, covariance):
    """(M, K) log N(x_i | μ_k, Σ_k) via Cholesky factors (full) or variances (diag)."""
    M, n = x.shape
    K = means.shape[0]
    out = np.empty((M, K))
    if covariance == "full":
        try:
            Lc = np.linalg.cholesky(covs)                      # (K, n, n), one batched call
        except np.linalg.LinAlgError:
            bad = [k for k in range(K) if np.any(np.linalg.eigvalsh(covs[k]) <= 0)]
            raise ValueError(f"covariance of component {bad[0] if bad else '?'} is not "
                             f"positive definite") from None
        # L⁻¹ once per component, then one matrix product for all samples: z_i = L⁻¹ (x_i − μ)
        Linv = np.linalg.inv(Lc)
        logdet = 2.0 * np.log(np.diagonal(Lc, axis1=1, axis2=2)).sum(axis=1)
        for k in range(K):
            z = (x - means[k]) @ Linv[k].T
            out[:, k] = -0.5 * (n * _LOG_2PI + logdet[k] + np.einsum("ij,ij->i", z, z))
        return out
    if np.any(covs <= 0):
        raise ValueError("variances must be positive")
    inv = 1.0 / covs                                           # (K, n)
    logdet = np.log(covs).sum(axis=1)
    for k in range(K):          # (x − μ)² directly: expanding the square would cancel digits
        d = x - means[k]
        out[:, k] = -0.5 * (n * _LOG_2PI + logdet[k] + (d * d) @ inv[k])
    return out


# ------------------------------------------------------------------------------ EM adapter
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


# --------------------------------------------------------------------------- initialisation
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


# ----------------------------------------------------------------------------------- learner
class MixtureLearner(Learner):
    """EM for a mixture, one iteration per :meth:`step` (``steps_per_epoch`` = 1).

    Parameters: ``train``/``val`` (M, n) data in ``convention``; ``family`` (binomial, bernoulli,
    gaussian); ``components`` K; ``covariance``/``covariance_floor`` (gaussian); ``init``,
    ``init_params``, ``fit_weights``, ``prior`` ([a, b] Beta prior, MAP), ``restarts``,
    ``tolerance`` (per-sample nats), ``seed`` (initialisation only: EM itself is deterministic),
    ``max_iter`` (length of each restart's run).  Metrics and views: module docstring."""

    kind = "mixture"
    steps_per_epoch = 1.0

    def __init__(self, train, val=None, *, family, components, convention="binary",
                 image_shape=None, covariance="full", covariance_floor=1e-6, init="kmeans++",
                 init_params=None, fit_weights=True, prior=None, restarts=1, tolerance=1e-8,
                 seed=0, max_iter=1000):
        train = np.ascontiguousarray(train, dtype=float)
        if train.ndim != 2 or len(train) == 0:
            raise ValueError("the mixture learner needs a non-empty (M, n) training array")
        if family not in FAMILIES:
            raise ConfigError(f"[model] family = {family!r}: choose one of {FAMILIES}")
        if prior is not None:
            if family == "gaussian":
                raise ConfigError("[model] prior (a Beta prior on head probabilities) applies to "
                                  "the binomial and bernoulli families only")
            if len(prior) != 2 or min(prior) < 1:
                raise ConfigError("[model] prior must be [a, b] with a, b ≥ 1 (Beta(a, b); the "
                                  "MAP estimate is then the posterior mode inside [0, 1])")
        K = int(components)
        self.family, self.convention = family, convention
        self.image_shape = None if image_shape is None else tuple(image_shape)
        self.train = train
        self.val = None if val is None or len(val) == 0 else np.asarray(val, dtype=float)
        self.tolerance = float(tolerance)
        n = train.shape[1]
        floor = float(covariance_floor)
        if family == "gaussian" and floor <= 0:
            floor = 1e-12 * max(float(np.mean(np.var(train, axis=0))), 1e-300)
        probe = _placeholder(family, K, n, convention, covariance,
                             None if family != "gaussian" else
                             (np.repeat(np.eye(n)[None], K, 0) if covariance == "full"
                              else np.ones((K, n))))
        f_full = probe.features(train)
        self._f, self._counts = _compress(f_full, family)
        self._fval = None if self.val is None else probe.features(self.val)
        self._n_terms = (1 if family == "binomial" else n) + K

        # restarts: run each to the end, keep the best, replay it live from its start
        if init == "given":
            restarts = 1
        starts, finals = [], []
        for r in range(int(restarts)):
            rng = np.random.default_rng([int(seed), r])
            em0 = initial_model(family, self._f, self._counts, K, convention, covariance, floor,
                                init, init_params, fit_weights, prior, rng, n)
            starts.append(em0)
            if restarts > 1:
                finals.append(run_em(em0, self._f, self._counts, max_iter, self.tolerance)[1])
        self.restart_results = finals                 # final objective of each restart
        self.restart = int(np.nanargmax(finals)) if finals else 0
        self.em = starts[self.restart]
        self.model = self.em.model
        self._bind_params()
        self._L = None              # log joint at the current parameters (cache)
        self._prev = None           # (MixtureEM at θᵗ, log_q) of the last iteration, for views
        self._preview = None
        self._gain = None
        self._direction = None      # last non-negligible step direction (unit vector)
        self._path = []             # first two free parameters of θ⁰, θ¹, … (2-D view)
        self.iterations = 0
        self._view_seed = int(seed)   # display samples: seeded by (seed, iteration), no state
        if family == "gaussian":
            self._rmin = 0.05 * math.sqrt(max(float(np.mean(np.var(train, axis=0))), 1e-300))
        else:
            self._rmin = 0.05

    def _bind_params(self):
        m = self.model
        self.params = {"weights": m.weights, "means": m.means}
        if m.covs is not None:
            self.params["covs"] = m.covs

    def _commit(self, new: MixtureEM) -> MixtureEM:
        """Copy the M-step result into the live arrays (the trainer and the GUI hold them)."""
        m = self.model
        m.weights[...] = new.model.weights
        m.means[...] = new.model.means
        if m.covs is not None:
            m.covs[...] = new.model.covs
        return self.em

    # --- Learner interface ----------------------------------------------------------------
    def step(self):
        prev = MixtureEM(self.model.copy(), self.em.fit_weights, self.em.prior, self.em.floor)
        _, info, log_q, L1 = _em.em_step(self.em, self._f, self._counts, self._L,
                                         commit=self._commit)
        self._L = L1
        if not self._path:
            self._path.append(prev.free_vector()[:2].copy())
        self._path.append(self.em.free_vector()[:2].copy())
        del self._path[:-1000]
        self._prev = (prev, log_q)
        self._preview = None
        self._gain = info.objective_new - info.objective_old
        self.iterations += 1
        return {"train_ll": info.ll_old, "bound": info.bound_new, "kl_gap": info.kl_gap,
                "objective": info.objective_old, "estep_gap": info.objective_old - info.bound_old,
                "ll_gain": self._gain}

    def evaluate(self):
        if self._fval is None:
            return {}
        return {"val_ll": float(_em.logsumexp(self.model.log_joint_features(self._fval),
                                              axis=1).mean())}

    def converged(self):
        if self._gain is not None and self._gain < self.tolerance:
            return (f"converged: the objective rose by {self._gain:.3g} nats/sample "
                    f"(< tolerance {self.tolerance:g})")
        return None

    def params_changed(self):
        self._path = []             # a roll-back or load starts a new path
        self._L = None
        self._prev = None
        self._preview = None
        self._gain = None

    def set_hyper(self, name, value):
        if name == "tolerance":
            self.tolerance = float(value)
            return
        raise KeyError(f"mixture has no adjustable parameter {name!r} (only 'tolerance')")

    def state_dict(self):
        out = {f"param/{k}": v.copy() for k, v in self.params.items()}
        out["em/iterations"] = self.iterations
        out["em/gain"] = np.nan if self._gain is None else self._gain
        if self._direction is not None:
            out["em/direction"] = self._direction.copy()
        if self._path:
            out["em/path"] = np.array(self._path)
        if self._prev is not None:
            pm = self._prev[0].model
            out["em/prev_weights"] = pm.weights.copy()
            out["em/prev_means"] = pm.means.copy()
            if pm.covs is not None:
                out["em/prev_covs"] = pm.covs.copy()
        return out

    def load_state_dict(self, state):
        for k in self.params:
            self.params[k][...] = state[f"param/{k}"]
        self.params_changed()
        self.iterations = int(state.get("em/iterations", 0))
        g = float(state.get("em/gain", np.nan))
        self._gain = None if math.isnan(g) else g
        self._path = [p.copy() for p in np.asarray(state.get("em/path", np.zeros((0, 2))))]
        self._direction = (None if "em/direction" not in state
                           else np.array(state["em/direction"], dtype=float))
        if "em/prev_weights" in state:
            pm = self.model.copy()
            pm.weights[...] = state["em/prev_weights"]
            pm.means[...] = state["em/prev_means"]
            if pm.covs is not None:
                pm.covs[...] = state["em/prev_covs"]
            prev = MixtureEM(pm, self.em.fit_weights, self.em.prior, self.em.floor)
            log_q, _ = _em.e_step(prev.log_joint(self._f))
            self._prev = (prev, log_q)

    # --- views ----------------------------------------------------------------------------
    def _iteration(self):
        """(em at θᵗ, log_q, em at θᵗ⁺¹) of the last step, or a preview of the next one."""
        if self._prev is not None:
            return self._prev[0], self._prev[1], self.em
        if self._preview is None:
            log_q, _ = _em.e_step(self.em.log_joint(self._f))
            self._preview = (self.em, log_q, self.em.m_step(self._f, log_q, self._counts))
        return self._preview

    def _grid_points(self):
        """1-D grid size: 41 points for small problems, fewer (down to 11) so that one views()
        call costs at most about 1e8 multiply-adds."""
        m = self.model
        per = len(self._f) * m.K * (1 if self.family == "binomial" else
                                    m.n if self.family == "bernoulli" else
                                    m.n * m.n if m.covariance == "full" else m.n)
        return int(np.clip(1e8 / max(per, 1), 11, 41))

    def em_slice(self):
        """The curves of Fig. 59 for the last iteration θᵗ → θᵗ⁺¹ (q = E-step posterior at θᵗ).

        1-D, general case: the line θ(s) = θᵗ + s·D through the free-parameter vectors, with
        D = θᵗ⁺¹ − θᵗ stretched to a length of at least ``r`` (0.05 for probabilities, 0.05 × the
        data's rms std for Gaussians; the last step's direction when θᵗ⁺¹ = θᵗ), so ``em_marks`` =
        [0, |θᵗ⁺¹ − θᵗ| / |D|] — [0, 1] except near convergence; s runs over [−1, 2] cut to the
        parameter domain, with 0 and the second mark included exactly.  With exactly one free
        parameter (probability families) ``em_theta`` is that parameter itself over [0.001, 0.999]
        and the marks are its values.  ``em_axis_label`` (a 0-d string array) says which.  ``em_ll`` is J(θ) (ℓ for maximum likelihood), ``em_bound``
        −F_q(θ) (+ the prior term for MAP).

        2-D, when there are exactly two free parameters and both are probabilities (two coins with
        known weights, …): ``em_axis0`` (θ₁, drawn along x) and ``em_axis1`` (θ₂, along y), 61
        cell centres of [0, 1] each, also named ``em_grid_x``/``em_grid_y``;
        ``em_ll_grid``/``em_bound_grid`` (61, 61) row-major images: entry [b, a] is at
        (θ₁, θ₂) = (axis0[a], axis1[b]); ``em_points`` (2, 2) = [θᵗ, θᵗ⁺¹] as (θ₁, θ₂) rows;
        ``em_path`` (t + 1, 2) the iterates θ⁰ … θᵗ⁺¹ so far (at most the last 1000)."""
        em0, log_q, em1 = self._iteration()
        v0, v1 = em0.free_vector(), em1.free_vector()
        f, c = self._f, self._counts
        out = {}
        G = self._grid_points()
        n_free = em0.free_count()
        if em0.prob_family and n_free == 1:
            j = 0
            theta = np.union1d(np.linspace(0.001, 0.999, G), [v0[j], v1[j]])
            V = np.repeat(v0[None], len(theta), axis=0)
            V[:, j] = theta
            ll, bd = _em.objective_and_bound_many(em0, V, f, log_q, c)
            out.update(em_theta=theta, em_ll=ll, em_bound=bd,
                       em_marks=np.array([v0[j], v1[j]]),
                       em_axis_label=np.array("θ (the one free parameter); ● θᵗ and θᵗ⁺¹"))
        else:
            delta = v1 - v0
            norm = float(np.linalg.norm(delta))
            if norm > 1e-12 * (1.0 + float(np.linalg.norm(v0))):
                self._direction = delta / norm
            direction = self._direction
            if direction is None:
                direction = np.zeros_like(v0)
                direction[0] = 1.0
            D = delta if norm >= self._rmin else direction * self._rmin
            mark = norm / float(np.linalg.norm(D))
            lo, hi = em0.feasible_interval(v0, D, -1.0, 2.0, inside=(0.0, mark))
            s = np.union1d(np.linspace(lo, hi, G), [0.0, mark])
            s = s[(s >= lo) & (s <= hi)]
            ll, bd = _em.line_slice(em0, D, f, log_q, s, c)
            out.update(em_theta=s, em_ll=ll, em_bound=bd, em_marks=np.array([0.0, mark]),
                       em_axis_label=np.array(
                           "s on the line θᵗ + s·(θᵗ⁺¹ − θᵗ)" if mark == 1.0 else
                           f"s on a line through θᵗ (s = 0) and θᵗ⁺¹ (s = {mark:.2g})"))
        if em0.prob_family and n_free == 2:
            axis = (np.arange(61) + 0.5) / 61
            llg, bdg = _em.plane_slice(em0, (0, 1), axis, axis, f, log_q, c)
            path = self._path if self._prev is not None else [v0[:2], v1[:2]]
            out.update(em_axis0=axis, em_axis1=axis.copy(), em_grid_x=axis.copy(),
                       em_grid_y=axis.copy(), em_ll_grid=llg.T.copy(), em_bound_grid=bdg.T.copy(),
                       em_points=np.array([v0[:2], v1[:2]]), em_path=np.array(path))
        return out

    def views(self, n_show=16):
        m = self.model
        out = self.em_slice()
        out["means"] = m.means.copy()
        out["weights"] = m.weights.copy()
        if self.family == "binomial":
            out["biases"] = m.biases
        elif self.family == "bernoulli" or self.image_shape is not None:
            # fantasy particles of a mixture are exact samples from it (the component means are
            # shown beside them); seeded by (seed, iteration) so views never touch training RNG
            out["fantasy"] = m.sample(n_show, np.random.default_rng(
                [self._view_seed, 9, self.iterations]))
            out["data"] = self.train[:n_show].copy()
        if m.covs is not None:
            out["covs"] = m.covs.copy()
        return out


# ------------------------------------------------------------------------------- from config
def choose_family(family, dataset) -> str:
    """``auto``: binomial for coin-toss data (``meta["kind"] == "coin_tosses"``), bernoulli for
    binary/spin data, gaussian for real data."""
    if family != "auto":
        return family
    meta = getattr(dataset, "meta", None) or {}
    if meta.get("kind") == "coin_tosses" or meta.get("generator") == "coin_tosses":
        return "binomial"
    return "gaussian" if dataset.convention == "real" else "bernoulli"


def make_learner(cfg, dataset) -> MixtureLearner:
    """The ``mixture`` learner for a resolved config and a :class:`~boltzmann_lab.data.dataset.Dataset`."""
    if dataset is None:
        raise ValueError("the mixture model needs data ([data] path or generator)")
    m, t = cfg["model"], cfg["training"]
    family = choose_family(m["family"], dataset)
    if family != "gaussian" and dataset.convention == "real":
        raise ConfigError(f"[model] family = {family!r} needs binary or spin data; the data are "
                          f"real-valued (set [data] binarize, or family = 'gaussian')")
    convention = dataset.convention
    if family == "gaussian" and convention != "real":
        convention = "real"              # 0/1 or ±1 values are fitted as real numbers
    if t.get("steps") is not None:
        max_iter = int(t["steps"])
    elif t.get("epochs") is not None:
        max_iter = max(1, math.ceil(t["epochs"]))
    else:
        max_iter = 1000
    return MixtureLearner(dataset.train, dataset.val, family=family, components=m["components"],
                          convention=convention, image_shape=dataset.image_shape,
                          covariance=m["covariance"], covariance_floor=m["covariance_floor"],
                          init=m["init"], init_params=m["init_params"],
                          fit_weights=m["fit_weights"], prior=m["prior"],
                          restarts=m["restarts"], tolerance=t["tolerance"], seed=t["seed"],
                          max_iter=max_iter)
