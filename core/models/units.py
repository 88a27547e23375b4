"""Unit types for the layers of RBMs and DBMs: binary {0,1}, spin {-1,+1}, Gaussian (std sigma).

Energy convention (one for every unit type)::

    E(v, h) = -a.v - b.h - v.W.h + Q_v(v) + Q_h(h)

with the *raw* unit values in the coupling and ``Q`` the self-energy of a layer:
``Q(x) = 0`` for binary and spin units and ``Q(x) = sum_i x_i^2 / (2 sigma_i^2)`` for Gaussian units.
(Equivalently a Gaussian unit has the energy ``(x - mu)^2 / (2 sigma^2)`` with mean
``mu = sigma^2 * bias`` up to an additive constant.)  Energies are sums over units, never means.

A unit sees the *total field* ``phi = bias + input`` (e.g. ``phi_j = b_j + (v W)_j`` for a hidden
unit).  Its conditional law is ``p(x | phi) ∝ exp(phi x - q(x))`` and everything a model needs
follows from four functions of ``phi``, implemented once per unit type:

================  =========================  ====================  ================================
type              mean(phi)                  sample                log_partition(phi)
================  =========================  ====================  ================================
binary            sigmoid(phi)               Bernoulli(mean)       log(1 + e^phi)
spin              tanh(phi)                  +1 w.p. sigm(2 phi)   log(2 cosh phi)
gaussian(sigma)   sigma^2 phi                N(sigma^2 phi, s^2)   log sqrt(2 pi s^2) + s^2 phi^2/2
================  =========================  ====================  ================================

``log_partition`` is ``log sum_x exp(phi x - q(x))`` (an integral for Gaussian units); it gives the
free energy after summing out a layer, e.g. ``F(v) = -a.v + Q_v(v) - sum_j log_partition_j(b_j +
(vW)_j)`` with ``p(v) = exp(-F(v)) / Z``.

Hidden-layer marginal with Gaussian hidden units (the Hopfield equivalence): integrating out
``h_j ~ N(sigma_j^2 phi_j, sigma_j^2)`` gives

    -F(v) = a.v - Q_v(v) + sum_j [ sigma_j^2 (b_j + (vW)_j)^2 / 2 + log sqrt(2 pi sigma_j^2) ]
          = const + (a + W diag(sigma^2) b).v + 1/2 v^T W diag(sigma^2) W^T v - Q_v(v),

i.e. a pairwise model on the visibles with couplings ``J = W diag(sigma^2) W^T`` (off-diagonal,
``J_ii`` folds into the fields: ``+J_ii/2`` for binary visibles where ``v_i^2 = v_i``, a constant for
spins), fields ``h = a + W diag(sigma^2) b (+ diag(J)/2 for binary)``, patterns ``xi^mu = sigma_mu
W[:, mu]``.

Gradient terms: since the coupling uses the raw values, d(-E)/dW = v h^T and d(-E)/d(bias) = x
for every type (``sufficient statistic`` = the unit value).  Sigma is a fixed hyperparameter here.

Sampling uses the explicit per-row RNG lanes of :mod:`boltzmann_lab.kernels.rng` (one uint64 state per row
of ``phi``) through the fused kernels of :mod:`boltzmann_lab.kernels.rbm`; results are reproducible.
"""

from __future__ import annotations

import numpy as np

from boltzmann_lab.kernels import rbm as _k

UNIT_NAMES = ("binary", "spin", "gaussian")


class Units:
    """Base class of a unit type (stateless apart from Gaussian sigma)."""

    name = "abstract"
    convention = "binary"      # data convention of the unit values
    values: tuple | None = None  # the finite set of states (None: continuous)

    @property
    def discrete(self) -> bool:
        return self.values is not None

    # --- per-unit functions of the total field phi (elementwise, any shape) -----------------
    def mean(self, phi):
        """E[x | phi]."""
        raise NotImplementedError

    def log_partition(self, phi):
        """log sum_x exp(phi x - q(x)) elementwise (float64)."""
        raise NotImplementedError

    def sample(self, phi, states, mean_out=None):
        """Draw x ~ p(x | phi) for a 2-D ``phi`` (rows, units), row r using RNG lane ``states[r]``.

        Returns ``(mean, x)`` arrays with the dtype of ``phi``.  ``states`` is advanced in place.
        If ``mean_out`` is given (may be ``phi`` itself) the mean is written there.
        """
        raise NotImplementedError

    def self_energy(self, x):
        """Q(x) summed over the last axis -> (rows,) float64 (zero for discrete units)."""
        return np.zeros(np.asarray(x).shape[:-1])

    def random_state(self, shape, rng):
        """Uniformly random discrete states (Gaussian: N(0, sigma^2)); ``rng`` a Generator."""
        raise NotImplementedError

    def check(self, x, what="data"):
        """Raise ValueError when ``x`` holds values this unit type cannot take."""
        x = np.asarray(x)
        if not np.all(np.isfinite(x)):
            raise ValueError(f"{what} contains NaN or infinite values")
        if self.values is not None:
            ok = np.zeros(x.shape, dtype=bool)
            for val in self.values:
                ok |= x == val
            if not ok.all():
                raise ValueError(f"{what} must contain only {self.values} for {self.name} units; "
                                 f"found e.g. {x[~ok].flat[0]!r}")

    def to_meta(self) -> dict:
        return {"type": self.name}

    def sigma_array(self, n):
        """sigma per unit as an (n,) float64 array (ones for discrete units)."""
        return np.ones(n)

    def __repr__(self):
        return f"{type(self).__name__}()"


class Binary(Units):
    """x in {0, 1}: p(x=1 | phi) = sigmoid(phi)."""

    name = "binary"
    convention = "binary"
    values = (0.0, 1.0)

    def mean(self, phi):
        phi = np.asarray(phi)
        return 0.5 * (1.0 + np.tanh(0.5 * phi))   # = sigmoid(phi), without overflow

    def log_partition(self, phi):
        # softplus = max(phi, 0) + log(1 + exp(-|phi|)), in place: 4-5x faster than
        # np.logaddexp(0, phi) (whose scalar loop dominated exact RBM evaluations), within 2e-15
        phi = np.asarray(phi, dtype=np.float64)
        out = np.abs(phi)
        np.negative(out, out=out)
        np.exp(out, out=out)
        out += 1.0
        np.log(out, out=out)
        out += np.maximum(phi, 0.0)
        return out

    def sample(self, phi, states, mean_out=None):
        phi = np.ascontiguousarray(phi)
        mean = np.empty_like(phi) if mean_out is None else mean_out
        x = np.empty_like(phi)
        if phi.dtype == np.float32 and phi.ndim == 2:
            # vectorised float32 kernel (sigmoid within 2e-7, 24-bit uniforms)
            _k.fast_sigmoid_bernoulli(phi, np.zeros(phi.shape[1], np.float32), states, mean,
                                      np.float32(1.0), x, True)
        else:
            _k.sigmoid_bernoulli(phi, states, mean, x)
        return mean, x

    def random_state(self, shape, rng):
        return rng.integers(0, 2, size=shape).astype(np.float64)


class Spin(Units):
    """x in {-1, +1}: p(x=+1 | phi) = sigmoid(2 phi), mean tanh(phi)."""

    name = "spin"
    convention = "spin"
    values = (-1.0, 1.0)

    def mean(self, phi):
        return np.tanh(np.asarray(phi))

    def log_partition(self, phi):
        a = np.abs(np.asarray(phi, dtype=np.float64))
        return a + np.log1p(np.exp(-2.0 * a))   # log(2 cosh phi)

    def sample(self, phi, states, mean_out=None):
        phi = np.ascontiguousarray(phi)
        mean = np.empty_like(phi) if mean_out is None else mean_out
        x = np.empty_like(phi)
        _k.tanh_spin(phi, states, mean, x)
        return mean, x

    def random_state(self, shape, rng):
        return 2.0 * rng.integers(0, 2, size=shape) - 1.0


class Gaussian(Units):
    """Real x with self-energy x^2/(2 sigma^2): x | phi ~ N(sigma^2 phi, sigma^2).

    ``sigma`` is a scalar or an (n,) array (one per unit); it is fixed, not learned.
    """

    name = "gaussian"
    convention = "real"
    values = None

    def __init__(self, sigma=1.0):
        sigma = np.asarray(sigma, dtype=np.float64)
        if np.any(~np.isfinite(sigma)) or np.any(sigma <= 0):
            raise ValueError("Gaussian units need sigma > 0")
        self.sigma = sigma
        self.var = sigma ** 2

    def sigma_array(self, n):
        return np.broadcast_to(self.sigma, (n,)).astype(np.float64).copy()

    def mean(self, phi):
        return self.var * np.asarray(phi)

    def log_partition(self, phi):
        phi = np.asarray(phi, dtype=np.float64)
        return 0.5 * np.log(2.0 * np.pi * self.var) + 0.5 * self.var * phi * phi

    def sample(self, phi, states, mean_out=None):
        phi = np.ascontiguousarray(phi)
        n = phi.shape[-1]
        sig = np.ascontiguousarray(np.broadcast_to(self.sigma, (n,)), dtype=phi.dtype)
        mean = np.empty_like(phi) if mean_out is None else mean_out
        x = np.empty_like(phi)
        _k.gaussian_sample(phi, sig, states, mean, x)
        return mean, x

    def self_energy(self, x):
        x = np.asarray(x, dtype=np.float64)
        return np.sum(x * x / (2.0 * self.var), axis=-1)

    def random_state(self, shape, rng):
        return rng.standard_normal(shape) * self.sigma

    def to_meta(self):
        return {"type": self.name}

    def __repr__(self):
        s = self.sigma
        return f"Gaussian(sigma={float(s) if s.ndim == 0 else s!r})"


def make_units(spec, sigma=1.0) -> Units:
    """A unit object from a name (``binary``, ``spin``, ``gaussian``) or an existing object."""
    if isinstance(spec, Units):
        return spec
    if spec == "binary":
        return Binary()
    if spec == "spin":
        return Spin()
    if spec == "gaussian":
        return Gaussian(sigma)
    raise ValueError(f"unknown unit type {spec!r}; choose one of {', '.join(UNIT_NAMES)}")
