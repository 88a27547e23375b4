"""Exact enumeration of pairwise models with up to 24 units.

Model (both conventions, ``binary`` {0,1} or ``spin`` {-1,+1}):

    E(x) = -sum_i h_i x_i - sum_{i<j} J_ij x_i x_j + V[K(x)],      p(x) = exp(-E(x)) / Z,

J symmetric with zero diagonal, V an optional population potential of shape (n+1,) evaluated at
K(x) = number of "on" units (x_i = 1 or s_i = +1).

All 2^n configurations are summed with a stable log-sum-exp, so log Z stays finite for couplings
of any size (e.g. J = 1e3).  The work is done by GEMMs over a split of the units into two halves
(see :mod:`boltzmann_lab.kernels.enumerate`); memory stays bounded (a few MiB) for n = 24.  Nothing here is
random except :func:`sample_exact`.

Public functions: :func:`enumerate_stats`, :func:`log_z`, :func:`log_prob`, :func:`log_likelihood`,
:func:`sample_exact`, and :func:`states` (configurations in order, for brute-force checks and RBM
layers).  ``MAX_UNITS`` is the one enumeration limit of the project.
"""

from dataclasses import dataclass

import numpy as np

from boltzmann_lab.data.conventions import CONVENTIONS, check_convention
from boltzmann_lab.kernels import enumerate as _kern
from boltzmann_lab.kernels.enumerate import states  # noqa: F401  (public here)
from boltzmann_lab.models.pairwise import check_data, check_params, energy

#: the most units any exact enumeration in the project handles (2^24 ≈ 1.7e7 configurations)
MAX_UNITS = 24
#: the most work an exact computation may cost: 2^n configurations × ``width`` multiply-adds each.
#: 2^30 admits a pairwise model of 24 units, an RBM layer of 20 units beside 784 others, or one of
#: 24 units beside 64 — a second or so of float64 arithmetic on one core.
WORK_LIMIT = 1 << 30


def affordable(n, width=None, seconds=None, kernel="free") -> bool:
    """THE answer to "is exact enumeration affordable?" everywhere in the project: enumerating the
    2^n configurations of ``n`` two-state units, each costing ``width`` multiply-adds (default n,
    a pairwise model), is done when n <= ``MAX_UNITS`` and 2^n · width <= ``WORK_LIMIT``.

    ``seconds``: the same enumeration inside a *live* run (a learner's ``evaluate()``, repeated
    during training) must also cost at most this many seconds by the a-priori cost model
    (:func:`boltzmann_lab.learning.cost.enumeration_seconds`: a free-energy enumeration of an
    RBM/DBM layer, or with ``kernel="pairwise"`` the blocked pairwise kernel), e.g.
    ``cost.LIVE_EVAL_SECONDS``; ``None`` (one-shot, e.g. ``boltzmann-lab evaluate``) applies the
    work limit only."""
    n = int(n)
    width = n if width is None else int(width)
    if not (n <= MAX_UNITS and (1 << n) * max(width, 1) <= WORK_LIMIT):
        return False
    if seconds is None:
        return True
    from boltzmann_lab.learning.cost import enumeration_seconds
    return enumeration_seconds(n, width, kernel) <= seconds


@dataclass(frozen=True)
class ExactStats:
    """Exact statistics of a pairwise model.

    log_z : float, log of the partition function Z = sum_x exp(-E(x)).
    mean : (n,) E[x_i].
    second : (n, n) E[x_i x_j], symmetric; diagonal E[x_i^2] (1 for spins, E[x_i] for binary).
    p_k : (n+1,) P(K = k), K the number of "on" units.
    """

    log_z: float
    mean: np.ndarray
    second: np.ndarray
    p_k: np.ndarray


def _split(h, J, convention, V):
    check_convention(convention, CONVENTIONS)
    h, J, V = check_params(h, J, V)
    n = h.shape[0]
    if n > MAX_UNITS:
        raise ValueError(f"exact enumeration handles at most {MAX_UNITS} units, this model has {n}")
    return _kern.Split(h, J, convention == "spin", V), (h, J, V)


def enumerate_stats(h, J, convention, V=None):
    """Exact log Z, first moments, second moments and population distribution P(K).

    h (n,), J (n, n) symmetric zero-diagonal, ``convention`` "binary" or "spin", V (n+1,) or None;
    n <= 24.  Cost ~ 2^n (n/2) flops, e.g. a few ms for n = 20.  Returns :class:`ExactStats`.
    """
    split, _ = _split(h, J, convention, V)
    with _kern.single_thread_blas():
        lz, mean, second, p_k = _kern.moments(split)
    return ExactStats(log_z=lz, mean=mean, second=second, p_k=p_k)


def log_z(h, J, convention, V=None):
    """log Z = log sum_x exp(-E(x)) (float), by the same blocked enumeration."""
    split, _ = _split(h, J, convention, V)
    with _kern.single_thread_blas():
        return _kern.logsumexp(_kern.block_logsumexp(split))


def log_prob(x, h, J, convention, V=None, logz=None):
    """log p(x) = -E(x) - log Z for each row of x (M, n) in ``convention``; returns (M,).

    Pass ``logz`` to reuse an already computed log Z (it is not checked).
    """
    h, J, V = check_params(h, J, V)
    x = check_data(x, h.shape[0], convention)
    if logz is None:
        logz = log_z(h, J, convention, V)
    return -energy(x, h, J, V) - logz


def log_likelihood(x, h, J, convention, V=None, logz=None):
    """Mean log-likelihood of the rows of x (nats per sample), exact."""
    return float(np.mean(log_prob(x, h, J, convention, V, logz)))


def sample_exact(h, J, convention, n_samples, seed, V=None):
    """``n_samples`` independent exact samples of p(x), (n_samples, n) float64 in ``convention``.

    ``seed`` is an int, None or a ``numpy.random.Generator`` (its stream is advanced).  Sampling is
    by inverse CDF over the enumerated probabilities, one block of configurations at a time, so
    memory stays bounded for n = 24.
    """
    n_samples = int(n_samples)
    if n_samples < 0:
        raise ValueError(f"n_samples must be >= 0, got {n_samples}")
    split, _ = _split(h, J, convention, V)
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    with _kern.single_thread_blas():
        lse = _kern.block_logsumexp(split)
        return _kern.sample(split, lse, _kern.logsumexp(lse), n_samples, rng)
