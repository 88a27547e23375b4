"""What every estimator shares: scikit-learn's parameter protocol, the config path to the one
:class:`~boltzmann_lab.learning.trainer.Trainer`, input checks, scoring and model files.

An estimator is a thin layer over a model kind (:mod:`boltzmann_lab.kinds`).  Its hyperparameters
are the ``__init__`` keyword arguments, stored unchanged (scikit-learn's rules: no checks and no
work in ``__init__``; :meth:`Estimator.get_params` reads the signature).  :meth:`Estimator.fit`
translates them into a run config through the class's table ``_config_keys`` (Python name ->
``(section, key)``), validates it with :func:`boltzmann_lab.config.resolve` — the same checks the
TOML files and the GUI get — and builds the learner with
:func:`boltzmann_lab.build.make_trainer`.  Errors name the Python parameter (``n_hidden = 0 is too
small ...``) where the config path names the key (``[model] hidden = 0 ...``).

Defaults are read from the config schema (:func:`config_default`), so one table holds them.
Adding an estimator for a new kind is a subclass with ``kind``, the table, ``__init__`` and
``_fitted_attributes``.
"""

from __future__ import annotations

import inspect
import os
import re
import warnings

import numpy as np

from boltzmann_lab import config as _config
from boltzmann_lab.estimators import inputs
from boltzmann_lab.kinds import KINDS
from boltzmann_lab.schema import ConfigError

__all__ = ["ConvergenceWarning", "Estimator", "NotFittedError", "config_default"]


class ConvergenceWarning(UserWarning):
    """A fit stopped before its learner's convergence criterion held (step limit, divergence)."""


class NotFittedError(ValueError, AttributeError):
    """An estimator was used before :meth:`Estimator.fit` (or :func:`boltzmann_lab.load`)."""


def config_default(kind: str, section: str, key: str):
    """The config schema's default of ``[section] key`` for model ``kind`` (lists as tuples, so
    that an estimator's default is immutable)."""
    if section == "data":
        table = _config.DATA_KEYS
    elif section == "model":
        table = KINDS[kind].model_keys
    else:
        table = {**_config.TRAINING_COMMON, **KINDS[kind].training_keys}
    value = table[key].default
    return tuple(value) if isinstance(value, list) else value


def training_keys(*names) -> dict:
    """``{name: ("training", name)}`` for common training keys that keep their config name."""
    return {name: ("training", name) for name in names}


#: the [training] keys of every gradient-trained estimator, under their config names
GRADIENT_KEYS = ("learning_rate", "optimizer", "momentum", "schedule", "decay", "l1", "l2",
                 "eval_every", "early_stopping", "monitor", "patience", "min_delta", "seed")

_WHERE = re.compile(r"\[(data|model|training)\] (\w+)")


def _plain(value):
    """Config-ready value: tuples/arrays as lists, numpy scalars as Python numbers."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (tuple, list, np.ndarray)):
        return [_plain(v) for v in value]
    return value


def _table(rows) -> dict:
    """Rows of metrics (dicts) as columns: ``{name: (len(rows),) float array}``, NaN where a row
    lacks the metric (evaluated metrics appear every ``eval_every`` steps only)."""
    names: dict = {}
    for row in rows:
        names.update(dict.fromkeys(row))
    return {k: np.array([row.get(k, np.nan) for row in rows], dtype=np.float64) for k in names}


class Estimator:
    """Base class of the estimators (module docstring).  Not used directly."""

    #: model kind (:mod:`boltzmann_lab.kinds`)
    kind = "abstract"
    #: Python parameter -> (config section, key)
    _config_keys: dict = {}
    #: config keys of the kind that are deliberately not parameters -> why (a test checks that
    #: every key of the kind is either a parameter or listed here)
    _unmapped: dict = {}
    #: the learner cannot stop on its own: fit needs ``epochs`` or ``steps``
    _needs_length = False

    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        # keys every estimator leaves to the config default, merged into each class's table
        cls._unmapped = {"eval_budget": "the config default spaces costly evaluations "
                                        "(deterministically, by their estimated cost)",
                         **cls.__dict__.get("_unmapped", {})}
    #: appended to the message refusing real-valued data for a discrete model
    _real_data_hint = ""
    #: parameters that may be arrays where the config holds a file name (e.g. a pair ``mask``):
    #: validated as the placeholder "<array>", handed to the learner as the array itself
    _array_keys: tuple = ()
    #: parameters whose ``None`` means "the config's default" (a default that depends on other
    #: parameters, :attr:`boltzmann_lab.kinds.ModelKind.derived_defaults`)
    _derived: tuple = ()

    def _init_params(self, params: dict) -> None:
        """Store the ``__init__`` arguments unchanged (scikit-learn's rule)."""
        for name, value in params.items():
            if name not in ("self", "__class__"):
                setattr(self, name, value)

    # --- scikit-learn's parameter protocol ---------------------------------------------------
    @classmethod
    def _get_param_names(cls) -> list[str]:
        sig = inspect.signature(cls.__init__)
        return sorted(p.name for p in sig.parameters.values()
                      if p.name != "self" and p.kind != p.VAR_KEYWORD)

    def get_params(self, deep: bool = True) -> dict:
        """The hyperparameters, ``{name: value}`` (``deep`` is accepted for scikit-learn)."""
        return {name: getattr(self, name) for name in self._get_param_names()}

    def set_params(self, **params):
        """Set hyperparameters by name; returns the estimator.  Takes effect at the next fit."""
        valid = self._get_param_names()
        for name, value in params.items():
            if name not in valid:
                raise ValueError(f"{type(self).__name__} has no parameter {name!r}; parameters: "
                                 f"{', '.join(valid)}")
            setattr(self, name, value)
        return self

    def __repr__(self) -> str:
        sig = inspect.signature(type(self).__init__).parameters
        changed = []
        for name in self._get_param_names():
            value, default = getattr(self, name), sig[name].default
            try:
                same = bool(value == default) if not isinstance(value, np.ndarray) else False
            except (TypeError, ValueError):
                same = False
            if not same:
                changed.append(f"{name}={value!r}")
        return f"{type(self).__name__}({', '.join(changed)})"

    def __sklearn_tags__(self):
        # only scikit-learn calls this, so scikit-learn is installed when it does
        from sklearn.utils import Tags, TargetTags
        return Tags(estimator_type=None, target_tags=TargetTags(required=False),
                    transformer_tags=None, regressor_tags=None, classifier_tags=None)

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "model_")

    # --- from parameters to a validated run config -------------------------------------------
    def _reword(self, message: str) -> str:
        """A config-path message in Python words: ``[model] hidden`` -> ``n_hidden``."""
        names = {where: name for name, where in self._config_keys.items()}
        message = re.sub(r"^config: ", "", str(message))
        message = _WHERE.sub(lambda m: names.get((m.group(1), m.group(2)), m.group(0)), message)
        return f"{type(self).__name__}: " + message.replace("must be true/false",
                                                            "must be True or False")

    def _config(self) -> dict:
        """The resolved run config of the current parameters; ValueError in Python words."""
        cfg = {"data": {"path": "X", "validation_fraction": 0.0}, "model": {"kind": self.kind},
               "training": {}}
        for name, (section, key) in self._config_keys.items():
            value = getattr(self, name)
            if value is None and name in self._derived:
                continue          # the config's default, which may depend on other choices
            if name in self._array_keys and value is not None and not isinstance(value, str):
                value = os.fspath(value) if hasattr(value, "__fspath__") else "<array>"
            cfg[section][key] = _plain(value)
        try:
            cfg = _config.resolve(cfg)
        except ConfigError as exc:
            raise ValueError(self._reword(exc)) from None
        t = cfg["training"]
        if self._needs_length and t["epochs"] is None and t["steps"] is None:
            raise ValueError(f"{type(self).__name__}: training never stops on its own; set "
                             f"epochs or steps (e.g. epochs=20)")
        return cfg

    # --- data (boltzmann_lab.estimators.inputs) ------------------------------------------------
    def _check_array(self, X, name="X", n=None) -> np.ndarray:
        return inputs.check_array(type(self).__name__, X, name, n)

    def _dataset(self, X, X_val, cfg):
        return inputs.dataset(self, X, X_val, cfg)

    def _input(self, X) -> np.ndarray:
        """``X`` checked against the fitted model and in its convention."""
        self._check_fitted()
        return inputs.model_input(self, X)

    # --- fitting -------------------------------------------------------------------------------
    def fit(self, X, y=None, *, X_val=None, callback=None):
        """Fit the model to the rows of ``X``.

        Parameters
        ----------
        X : array (n_samples, n_units); binary {0, 1} or spin {-1, +1} for discrete models (the
            convention is detected, or set with ``convention``), real numbers for Gaussian ones.
        y : ignored (scikit-learn compatibility).
        X_val : optional validation rows: their likelihood is tracked in ``history_`` (``val_*``)
            and watched by ``early_stopping``.
        callback : optional ``callback(snapshot)`` called after every step with a
            :class:`~boltzmann_lab.learning.trainer.Snapshot` (step, epoch, metrics, views such as
            ``fantasy`` particles) — for live plots; returning ``True`` stops training there.

        Returns
        -------
        self
        """
        from boltzmann_lab.build import make_trainer
        from boltzmann_lab.estimators.progress import progress_bar

        cfg = self._config()
        ds = self._dataset(X, X_val, cfg)
        for name in self._array_keys:           # the arrays themselves, after the data checks
            section, key = self._config_keys[name]
            if cfg[section][key] == "<array>":
                cfg[section][key] = np.asarray(getattr(self, name))
        try:
            trainer = make_trainer(cfg, ds)
        except ValueError as exc:
            raise ValueError(self._reword(exc)) from None
        # a convergent learner's max_steps is a cap, not a plan: no misleading percentage
        bar = progress_bar(getattr(self, "progress", False),
                           trainer.max_steps if self._needs_length else None, type(self).__name__)
        message = ""
        try:
            while not trainer.done:
                snap = trainer.step(with_views=callback is not None)
                bar.update(snap)
                if callback is not None and callback(snap) is True and not trainer.done:
                    message = f"stopped by the callback after step {snap.step}"
                    break
        except KeyboardInterrupt:
            trainer.roll_back()
            self._finish(trainer, ds, "interrupted; the last good parameters were kept")
            raise
        finally:
            bar.close()
        self._finish(trainer, ds, message or trainer.message)
        return self

    def _finish(self, trainer, ds, message) -> None:
        self._set_fitted(trainer.learner.model)
        self.history_ = _table(list(trainer.history))
        self.n_steps_ = trainer.step_count
        self.fit_message_ = message
        self.converged_ = message.startswith("converged")
        if message.startswith("training diverged"):
            warnings.warn(f"{type(self).__name__}: {message}", ConvergenceWarning, stacklevel=3)
        elif not self._needs_length and message.startswith("finished"):
            warnings.warn(f"{type(self).__name__}: no convergence within {trainer.step_count} "
                          f"steps; raise max_steps (or tolerance)", ConvergenceWarning,
                          stacklevel=3)

    def _set_fitted(self, model) -> None:
        self.model_ = model
        self.n_features_in_ = int(self._n_units(model))
        self.convention_ = model.convention
        self.score_method_ = model.score_method
        self._log_z = None
        for name, value in self._fitted_attributes(model).items():
            setattr(self, name, value)

    @staticmethod
    def _n_units(model) -> int:
        for name in ("n_visible", "n"):
            if hasattr(model, name):
                return getattr(model, name)
        raise AttributeError(f"{type(model).__name__} does not say how many units it has")

    def _fitted_attributes(self, model) -> dict:
        """``{name_: value}`` of the kind's fitted parameters; overridden by each estimator."""
        return {}

    def _check_fitted(self) -> None:
        if not hasattr(self, "model_"):
            raise NotFittedError(f"this {type(self).__name__} is not fitted yet; call fit(X) "
                                 f"first (or boltzmann_lab.load a model file)")

    @classmethod
    def from_model(cls, model):
        """A fitted estimator around an existing model object of this kind (e.g. one read by
        :func:`boltzmann_lab.io.modelio.load_model`); hyperparameters describing the model's
        shape are taken from it, the others keep their defaults."""
        if getattr(model, "kind", None) != cls.kind:
            raise ValueError(f"{cls.__name__} wraps {cls.kind!r} models, got "
                             f"{getattr(model, 'kind', type(model).__name__)!r}")
        est = cls(**cls._params_from_model(model))
        est._set_fitted(model)
        est.history_, est.n_steps_, est.converged_, est.fit_message_ = {}, 0, False, "loaded"
        return est

    @classmethod
    def _params_from_model(cls, model) -> dict:
        return {}

    # --- using the fitted model ----------------------------------------------------------------
    def _score_kwargs(self, x) -> dict:
        """Hook: extra arguments for the model's ``score_samples`` (e.g. a cached log Z)."""
        return {}

    def score_samples(self, X) -> np.ndarray:
        """(n_samples,) log-likelihood of each row of ``X`` in nats, computed as
        ``score_method_`` says (``exact``, ``ais``, ``bound`` or ``pseudo``)."""
        x = self._input(X)
        return np.asarray(self.model_.score_samples(x, **self._score_kwargs(x)), np.float64)

    def score(self, X, y=None) -> float:
        """Mean log-likelihood of the rows of ``X`` in nats per sample (``score_method_`` says
        how it is computed); larger is better, as scikit-learn's model selection expects."""
        return float(np.mean(self.score_samples(X)))

    def evaluate(self, X) -> dict:
        """All metrics of the model on ``X`` (``ll``, ``ll_method``, ``pll``...), as the
        command ``boltzmann-lab evaluate`` prints them.  Where log Z needs AIS, evaluate runs its
        own (forward and reverse) estimate, so its ``ll`` differs from :meth:`score` by about the
        reported ``ll_se``."""
        return self.model_.evaluate(self._input(X))

    def sample(self, n, seed=0) -> np.ndarray:
        """(n, n_units) samples of the fitted model in its convention; random (``seed``)."""
        self._check_fitted()
        return np.asarray(self.model_.sample(int(n), seed=seed), dtype=np.float64)

    def save(self, path):
        """Write the fitted model to ``path`` (``.npz``, atomically); returns the path.  Read it
        back with :func:`boltzmann_lab.load`."""
        from boltzmann_lab.io.modelio import save_model
        self._check_fitted()
        return save_model(path, self.model_)
