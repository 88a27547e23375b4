"""Data sets as arrays, for notebooks: ``bl.datasets.digits(binarize=True)``, ``bl.datasets.ising(L,
T, n, seed)``, ...

Each function runs the built-in generator of the same name (:mod:`boltzmann_lab.data.generators`,
the one the ``[data] generator`` config key uses; seeded, offline, the slow ones cached on disk)
and returns the samples as a (n, n_units) float64 array.  ``n`` is always the number of rows.
With ``return_params=True`` it returns ``(X, params)``, ``params`` a dict with what the generator
knows: the true parameters where there are some (``h``/``J`` of ``sk``, ``weights``/``means`` of
``mixture``, ``biases`` of ``coin_tosses``...), ``labels`` (one per row: digit class,
temperature, component, pattern index) and ``image_shape``.

``binarize`` (``digits``) and ``convention`` (all) go through the same preparation as a config's
``[data]`` section (:func:`boltzmann_lab.data.prepare.prepare`): ``binarize=True`` or
``"threshold"`` is x > 0.5 after scaling to [0, 1], ``"stochastic"`` draws Bernoulli(x) with
``seed``; ``convention="binary"``/``"spin"`` converts exactly (s = 2x - 1).
"""

from __future__ import annotations

import numpy as np

__all__ = ["bars_and_stripes", "coin_tosses", "digits", "gaussian_graph", "gaussian_mixture",
           "ising", "mixture", "patterns", "sk", "T_C"]

#: critical temperature of the 2D Ising model, 2 / ln(1 + sqrt 2) ≈ 2.269
T_C = 2.0 / np.log(1.0 + np.sqrt(2.0))


def _out(raw, return_params, binarize="none", convention="auto", seed=0):
    from boltzmann_lab.data.prepare import prepare

    if binarize is True:
        binarize = "threshold"
    elif binarize is False or binarize is None:
        binarize = "none"
    if binarize not in ("none", "threshold", "stochastic"):
        raise ValueError(f"binarize must be True, False, 'threshold' or 'stochastic', got "
                         f"{binarize!r}")
    if convention not in ("auto", "binary", "spin", "real"):
        raise ValueError(f"convention must be 'auto', 'binary', 'spin' or 'real', got "
                         f"{convention!r}")
    ds = prepare(raw, {"binarize": binarize, "convention": convention, "seed": seed,
                       "validation_fraction": 0.0})
    x = ds.train
    if not return_params:
        return x
    params = {k: v for k, v in raw.meta.items() if k != "generator"}
    params["labels"] = raw.labels
    params["image_shape"] = raw.image_shape
    return x, params


def digits(binarize=False, *, convention="auto", seed=0, return_params=False):
    """The 1797 8x8 handwritten digits bundled with the package (the UCI optical digits that
    scikit-learn ships), (1797, 64), pixel / 16 in [0, 1].

    Parameters
    ----------
    binarize : bool or {"threshold", "stochastic"}
        ``True``/``"threshold"``: 1 where the pixel > 0.5; ``"stochastic"``: 1 with probability
        pixel (random: ``seed``).
    convention : {"auto", "binary", "spin", "real"}
        Units of the result (``spin`` needs ``binarize``).
    seed : int
        Seed of stochastic binarisation.
    return_params : bool
        Also return ``{"labels": digit classes, "image_shape": (8, 8)}``.

    Examples
    --------
    >>> import boltzmann_lab as bl
    >>> X = bl.datasets.digits(binarize=True)
    >>> X.shape, sorted(set(X.ravel().tolist()))
    ((1797, 64), [0.0, 1.0])
    """
    from boltzmann_lab.data.generators import digits as gen
    return _out(gen(), return_params, binarize, convention, seed)


def ising(L=16, T=T_C, n=1000, seed=0, *, temperatures=None, algorithm="auto",
          return_params=False):
    """Equilibrium configurations of the periodic 2D Ising model (J = 1, H = 0), (n, L*L) spins.

    Parameters
    ----------
    L : int
        Lattice side.
    T : float
        Temperature (default T_c); ``temperatures`` (a list) gives ``n`` samples at each.
    n : int
        Samples (per temperature); decorrelated by the measured autocorrelation time.
    seed : int
        Seed (an independent stream per temperature).  Results are cached on disk.
    algorithm : {"auto", "metropolis", "heatbath", "wolff"}
        ``auto`` uses Wolff cluster updates near T_c.
    return_params : bool
        Also return ``temperatures``, ``T_c``, ``phases``, ``labels`` (each row's T).
    """
    from boltzmann_lab.data.generators import ising as gen
    raw = gen(L=L, temperature=T, temperatures=temperatures, samples=n, algorithm=algorithm,
              seed=seed)
    return _out(raw, return_params)


def bars_and_stripes(size=4, n=None, seed=0, *, convention="auto", return_params=False):
    """size x size bars-and-stripes images in {0, 1}: each of the 2 * 2**size - 2 distinct
    patterns once (``n=None``; a perfect model then has log-likelihood -ln(count), in
    ``params["ideal_ll"]``), or ``n`` drawn uniformly with ``seed``."""
    from boltzmann_lab.data.generators import bars_and_stripes as gen
    return _out(gen(size=size, samples=n, seed=seed), return_params, convention=convention)


def patterns(n=10, n_units=100, seed=0, *, style="random", bias=0.5, convention="auto",
             return_params=False):
    """``n`` Hopfield memories of ``n_units`` spins: random (each unit +1 with probability
    ``bias``) or ``style="letters"`` (A, B, C... drawn on a square grid; n_units a square >= 25)."""
    from boltzmann_lab.data.generators import patterns as gen
    raw = gen(n=n_units, count=n, style=style, bias=bias, seed=seed)
    return _out(raw, return_params, convention=convention)


def sk(n_units=20, n=10000, seed=0, *, beta=1.0, field=0.0, convention="auto",
       return_params=False):
    """Exact samples (enumeration, n_units <= 24) of a Sherrington-Kirkpatrick spin glass
    p(s) ∝ exp(sum_i h_i s_i + sum_{i<j} J_ij s_i s_j), J_ij ~ N(0, beta²/n_units),
    h_i ~ N(0, field²).  ``params``: the true ``h`` and ``J`` (spin convention) — the
    inverse-Ising target."""
    from boltzmann_lab.data.generators import sk as gen
    raw = gen(n=n_units, beta=beta, field=field, samples=n, seed=seed)
    return _out(raw, return_params, convention=convention)


def mixture(n=1000, n_units=20, n_components=3, seed=0, *, convention="auto",
            return_params=False):
    """Samples of a Bernoulli mixture with random (seeded) weights and means; ``params``:
    ``weights`` (K,), ``means`` (K, n_units), ``labels`` the component of each row."""
    from boltzmann_lab.data.generators import mixture as gen
    raw = gen(n=n_units, components=n_components, samples=n, seed=seed)
    return _out(raw, return_params, convention=convention)


def gaussian_mixture(n=1000, n_units=2, n_components=3, seed=0, *, return_params=False):
    """Samples of a Gaussian mixture with random (seeded) parameters; ``params``: ``weights``,
    ``means`` (K, n_units), ``covs`` (K, n_units, n_units), ``labels``."""
    from boltzmann_lab.data.generators import gaussian_mixture as gen
    raw = gen(n=n_units, components=n_components, samples=n, seed=seed)
    return _out(raw, return_params)


def gaussian_graph(n=200, L=4, coupling=0.2, seed=0, *, return_params=False):
    """Zero-mean samples (n, L*L) of a Gaussian whose precision is an L x L lattice (diagonal 1,
    -coupling between neighbours): the graphical-lasso test case.  ``params``: ``precision``,
    ``edges``."""
    from boltzmann_lab.data.generators import gaussian_graph as gen
    raw = gen(L=L, coupling=coupling, samples=n, seed=seed)
    return _out(raw, return_params)


def coin_tosses(biases=(0.8, 0.4), n=5, tosses=10, seed=0, *, weights=None,
                return_params=False):
    """The two-coin EM example (Mehta et al. Fig. 59): ``n`` experiments (rows) of ``tosses``
    0/1 tosses of one coin each, picked with probabilities ``weights`` (default equal); coin k
    lands heads with probability ``biases[k]``.  ``params``: ``biases``, ``weights``, ``coins``
    (the hidden coin of each row), ``heads``."""
    from boltzmann_lab.data.generators import coin_tosses as gen
    raw = gen(biases=biases, weights=weights, experiments=n, tosses=tosses, seed=seed)
    return _out(raw, return_params)
