"""Boltzmann Lab numerical core: numpy + numba, no Qt.

Conventions used everywhere (see README, "Conventions"):

* Units are ``binary`` {0, 1}, ``spin`` {-1, +1} or ``real``.
* Pairwise energy E(x) = -sum_i h_i x_i - sum_{i<j} J_ij x_i x_j with J symmetric, zero diagonal,
  p(x) = exp(-E(x)) / Z.  Energies are sums, never means.
* Log-likelihoods are in nats per sample; gradients ascend the mean log-likelihood minus the penalty.
* Every stochastic call takes a seed or a ``numpy.random.Generator``.
"""

__version__ = "0.1.0"
