"""Fused elementwise kernels for RBM/DBM layers: conditional mean + sample in one pass.

Every kernel takes ``phi`` (rows, units) — the total field of each unit, bias included — and an
array ``states`` of uint64 xorshift64* states, one lane per row (``core.kernels.rng``): row ``r``
draws its random numbers from ``states[r]`` in unit order, so results do not depend on how rows are
batched elsewhere.  Outputs are written into ``mean`` and ``x`` (same shape and dtype as ``phi``;
``mean`` may alias ``phi``).  float32 and float64 inputs are both supported (compiled per dtype).
"""

import math

import numpy as np
from numba import njit

from .rng import uniform


@njit(nogil=True, cache=True)
def sigmoid_bernoulli(phi, states, mean, x):
    """Binary units: mean = sigmoid(phi), x = 1 with probability mean, else 0."""
    R, n = phi.shape
    for r in range(R):
        for j in range(n):
            f = phi[r, j]
            # two branches keep exp() from overflowing
            if f >= 0:
                p = 1.0 / (1.0 + math.exp(-f))
            else:
                e = math.exp(f)
                p = e / (1.0 + e)
            mean[r, j] = p
            x[r, j] = 1.0 if uniform(states, r) < p else 0.0


@njit(nogil=True, cache=True)
def tanh_spin(phi, states, mean, x):
    """Spin units: mean = tanh(phi), x = +1 with probability sigmoid(2 phi), else -1."""
    R, n = phi.shape
    for r in range(R):
        for j in range(n):
            f = phi[r, j]
            t = math.tanh(f)
            mean[r, j] = t
            x[r, j] = 1.0 if uniform(states, r) < 0.5 * (1.0 + t) else -1.0


@njit(nogil=True, cache=True)
def gaussian_sample(phi, sigma, states, mean, x):
    """Gaussian units: mean = sigma^2 phi, x = mean + sigma * N(0,1) (Box-Muller, one normal
    per pair of uniforms; the second normal is discarded to keep the lane order simple)."""
    R, n = phi.shape
    for r in range(R):
        for j in range(n):
            s = sigma[j]
            m = s * s * phi[r, j]
            mean[r, j] = m
            u1 = uniform(states, r)
            u2 = uniform(states, r)
            z = math.sqrt(-2.0 * math.log(1.0 - u1)) * math.cos(2.0 * math.pi * u2)
            x[r, j] = m + s * z


@njit(nogil=True, cache=True)
def bernoulli_from_mean(p, states, x):
    """x = 1 with probability p (already a probability), row r using lane r."""
    R, n = p.shape
    for r in range(R):
        for j in range(n):
            x[r, j] = 1.0 if uniform(states, r) < p[r, j] else 0.0


@njit(nogil=True, cache=True)
def add_bias_sigmoid_bernoulli(pre, bias, states, mean, x):
    """Binary units from the pre-activation ``pre`` (GEMM output) plus ``bias`` (units,):
    mean = sigmoid(pre + bias) (written into ``mean``, which may alias ``pre``), x ~ Bernoulli."""
    R, n = pre.shape
    for r in range(R):
        for j in range(n):
            f = pre[r, j] + bias[j]
            if f >= 0:
                p = 1.0 / (1.0 + math.exp(-f))
            else:
                e = math.exp(f)
                p = e / (1.0 + e)
            mean[r, j] = p
            x[r, j] = 1.0 if uniform(states, r) < p else 0.0


@njit(nogil=True, cache=True)
def add_bias_sigmoid(pre, bias, mean):
    """mean = sigmoid(pre + bias) without sampling (``mean`` may alias ``pre``)."""
    R, n = pre.shape
    for r in range(R):
        for j in range(n):
            f = pre[r, j] + bias[j]
            if f >= 0:
                mean[r, j] = 1.0 / (1.0 + math.exp(-f))
            else:
                e = math.exp(f)
                mean[r, j] = e / (1.0 + e)
