"""Mixture models: Bernoulli, binomial (coins) and Gaussian components with mixing weights.

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

Fitting by EM lives in :mod:`boltzmann_lab.learning.mixture_em` (M-steps, initialisation) and
:mod:`boltzmann_lab.learning.mixture` (the ``mixture`` learner and its Fig. 59 views).
"""

from __future__ import annotations

import math

import numpy as np

from boltzmann_lab.models.protocol import ModelProtocol
from boltzmann_lab.stats.numerics import logsumexp

FAMILIES = ("binomial", "bernoulli", "gaussian")
#: probabilities are kept in [PROB_EPS, 1 - PROB_EPS] by the M-step
PROB_EPS = 1e-6
#: smallest mixing weight on a slice line (w = 0 would make the bound -inf where q > 0)
_W_MIN = 1e-12
_LOG_2PI = math.log(2.0 * math.pi)


# ------------------------------------------------------------------------------------ helpers


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
class MixtureModel(ModelProtocol):
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
        return logsumexp(self.log_joint(x), axis=1)

    def log_partition_with_method(self):
        """``(0.0, "exact")``: a mixture of normalised components is normalised."""
        return 0.0, "exact"

    def responsibilities(self, x) -> np.ndarray:
        """(M, K) posterior p(z = k | x_i)."""
        L = self.log_joint(x)
        return np.exp(L - logsumexp(L, axis=1)[:, None])

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
        ll_i = logsumexp(self.log_joint_features(f), axis=1)
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


