"""Gaussian maximum-entropy model for real-valued data (kind ``gaussian``).

Constraining the means <x_i> and the covariances <x_i x_j> gives the Gaussian (Mehta et al. 2019,
section 15).  Energy convention (the pairwise one, with the full matrix including its diagonal):

    E(x) = -sum_i a_i x_i - (1/2) sum_{i,j} J_ij x_i x_j,      p(x) = exp(-E(x)) / Z,

so that J = -Σ^{-1} (negative definite; J is the *negative* precision matrix) and a = -J μ = Σ^{-1} μ,
with μ the mean and Σ the covariance.  log Z = (n/2) log 2π + (1/2) log det Σ + (1/2) μ^T Σ^{-1} μ.

Fitting (closed form, covariance selection) lives in :mod:`boltzmann_lab.learning.gaussian`.

Nothing here is random except :meth:`GaussianModel.sample`.
"""

from __future__ import annotations

import math

import numpy as np

from boltzmann_lab.models.protocol import ModelProtocol

LOG_2PI = math.log(2 * math.pi)


class GaussianModel(ModelProtocol):
    """A multivariate Gaussian in MaxEnt form (kind ``gaussian``, convention ``real``).

    Built from ``mean`` (n,) and either ``cov`` (n, n) or ``J`` (n, n) = -Σ^{-1} (both may be
    given; ``J`` then defines the model exactly, e.g. with exact zeros, and ``cov`` is recomputed
    from it).  Attributes: ``mean``, ``cov``, ``J``, ``a`` = -J mean.
    """

    kind = "gaussian"
    convention = "real"

    def __init__(self, mean, cov=None, J=None):
        mean = np.asarray(mean, dtype=np.float64)
        if mean.ndim != 1:
            raise ValueError(f"mean must be 1-D, got shape {mean.shape}")
        n = mean.shape[0]
        if J is None and cov is None:
            raise ValueError("a Gaussian model needs cov or J")
        if J is not None:
            J = np.asarray(J, dtype=np.float64)
            _check_square(J, n, "J")
            J = 0.5 * (J + J.T)
            prec = -J
        else:
            cov = np.asarray(cov, dtype=np.float64)
            _check_square(cov, n, "cov")
            cov = 0.5 * (cov + cov.T)
            prec = _inv_pd(cov, "covariance")
            prec = 0.5 * (prec + prec.T)
            J = -prec
        self._chol_prec = _cholesky(prec, "precision -J")
        cov = _inv_pd(prec, "precision -J")
        self.mean, self.J, self.cov = mean, J, 0.5 * (cov + cov.T)
        self.a = -J @ mean
        self.n = n

    # --- the MaxEnt quantities ----------------------------------------------------------
    def energy(self, x):
        """E(x) = -a.x - (1/2) x^T J x for each row of x (M, n); returns (M,)."""
        x = np.atleast_2d(np.asarray(x, dtype=np.float64))
        return -(x @ self.a) - 0.5 * np.einsum("mi,mi->m", x @ self.J, x)

    def log_z(self):
        """log Z = (n/2) log 2π + (1/2) log det Σ + (1/2) μ^T Σ^{-1} μ for Z = ∫ exp(-E)."""
        logdet_prec = 2.0 * np.log(np.diag(self._chol_prec)).sum()
        return 0.5 * self.n * LOG_2PI - 0.5 * logdet_prec + 0.5 * float(self.mean @ self.a)

    def log_prob(self, x):
        """log density of each row of x (M, n), exact; returns (M,)."""
        x = np.atleast_2d(np.asarray(x, dtype=np.float64))
        if x.shape[1] != self.n:
            raise ValueError(f"data must have {self.n} columns, got {x.shape[1]}")
        return -self.energy(x) - self.log_z()

    def log_likelihood(self, x):
        """Mean log density (nats per sample)."""
        return float(np.mean(self.log_prob(x)))

    def sample(self, n_samples, seed=0):
        """``n_samples`` independent draws (n_samples, n); ``seed`` int/None/Generator."""
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        z = rng.standard_normal((int(n_samples), self.n))
        # x = μ + L^{-T} z with Θ = L L^T has covariance Θ^{-1} = Σ
        return self.mean + np.linalg.solve(self._chol_prec.T, z.T).T

    def evaluate(self, x, seed=0):
        """``ll``: exact mean log density (nats per sample), ``ll_method`` "exact"."""
        return {"ll": self.log_likelihood(x), "ll_method": "exact"}

    def log_partition_with_method(self):
        """``(log Z, "exact")``, the closed form of :meth:`log_z`."""
        return float(self.log_z()), "exact"

    # --- model protocol -----------------------------------------------------------------
    def to_arrays(self):
        return ({"energy": "E(x) = -a.x - x.J.x/2, J = -inverse(cov), a = -J mean"},
                {"mean": self.mean.copy(), "cov": self.cov.copy(), "J": self.J.copy(),
                 "a": self.a.copy()})

    @classmethod
    def from_arrays(cls, meta, arrays):
        for k in ("mean", "J"):
            if k not in arrays:
                raise ValueError(f"a gaussian model file needs the array {k!r}")
        return cls(arrays["mean"], J=arrays["J"])


def _check_square(A, n, name):
    if A.shape != (n, n):
        raise ValueError(f"{name} must have shape ({n}, {n}), got {A.shape}")
    if not np.all(np.isfinite(A)):
        raise ValueError(f"{name} must be finite")


def _cholesky(A, what):
    try:
        return np.linalg.cholesky(A)
    except np.linalg.LinAlgError:
        raise ValueError(f"the {what} is not positive definite (singular data: a constant feature "
                         f"or fewer samples than features?); set [training] ridge > 0, "
                         f"standardize, or drop such features") from None


def _inv_pd(A, what):
    L = _cholesky(A, what)
    Linv = np.linalg.inv(L)
    return Linv.T @ Linv


