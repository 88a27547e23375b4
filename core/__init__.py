"""Boltzmann Lab: energy-based models (MaxEnt/Ising, RBM, DBM, Hopfield, EM mixtures) for
notebooks, scripts, the command line and the desktop app.

Python API (README, "Python API")::

    import boltzmann_lab as bl
    X = bl.datasets.digits(binarize=True)
    rbm = bl.RBM(n_hidden=64, epochs=20).fit(X)
    rbm.score(X), rbm.score_method_, rbm.sample(16, seed=0)

Estimators (``RBM``, ``DBM``, ``MaxEnt``, ``GaussianMaxEnt``, ``Hopfield``, ``Mixture``,
``Potts``), ``datasets``,
``load`` and ``sweep`` are imported on first use (PEP 562), so ``import boltzmann_lab`` stays
cheap and the command line starts without compiling anything.

Conventions used everywhere (see README, "Conventions"):

* Units are ``binary`` {0, 1}, ``spin`` {-1, +1} or ``real``.
* Pairwise energy E(x) = -sum_i h_i x_i - sum_{i<j} J_ij x_i x_j with J symmetric, zero diagonal,
  p(x) = exp(-E(x)) / Z.  Energies are sums, never means.
* Log-likelihoods are in nats per sample; gradients ascend the mean log-likelihood minus the penalty.
* Every stochastic call takes a seed or a ``numpy.random.Generator``.
"""

__version__ = "0.1.0"

#: public name -> "module:attribute" (or "module" for a module), imported on first access
_LAZY = {
    "RBM": "boltzmann_lab.estimators:RBM",
    "DBM": "boltzmann_lab.estimators:DBM",
    "MaxEnt": "boltzmann_lab.estimators:MaxEnt",
    "GaussianMaxEnt": "boltzmann_lab.estimators:GaussianMaxEnt",
    "Hopfield": "boltzmann_lab.estimators:Hopfield",
    "Mixture": "boltzmann_lab.estimators:Mixture",
    "Potts": "boltzmann_lab.estimators:Potts",
    "ConvergenceWarning": "boltzmann_lab.estimators:ConvergenceWarning",
    "NotFittedError": "boltzmann_lab.estimators:NotFittedError",
    "datasets": "boltzmann_lab.datasets",
    "load": "boltzmann_lab.estimators.loading:load",
    "sweep": "boltzmann_lab.sweeps:sweep",
}

__all__ = sorted(_LAZY) + ["__version__"]


def __getattr__(name):
    target = _LAZY.get(name)
    if target is None:
        raise AttributeError(f"module 'boltzmann_lab' has no attribute {name!r}")
    import importlib
    module_name, _, attr = target.partition(":")
    module = importlib.import_module(module_name)
    if not attr:
        value = module
    else:
        try:
            value = getattr(module, attr)
        except AttributeError:
            raise AttributeError(f"boltzmann_lab.{name} is not available in this installation "
                                 f"({module_name} has no {attr!r})") from None
    globals()[name] = value          # later look-ups skip __getattr__
    return value


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
