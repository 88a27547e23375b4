"""From a resolved run config to a ready :class:`~boltzmann_lab.learning.trainer.Trainer` — used
by the GUI, the CLI, the Python API and the tests alike.

Each model kind's record (:mod:`boltzmann_lab.kinds`) names the function that builds its
:class:`~boltzmann_lab.learning.trainer.Learner` from a config and a dataset.
"""

from __future__ import annotations

from boltzmann_lab import config as _config
from boltzmann_lab import kinds
from boltzmann_lab.learning.trainer import Trainer


def make_learner(cfg, dataset):
    """The learner of ``cfg``'s model kind (:mod:`boltzmann_lab.kinds`) for ``dataset``."""
    return kinds.get(cfg["model"]["kind"]).make_learner(cfg, dataset)


def make_trainer(cfg, dataset=None, source: str = "config"):
    """Build the learner for ``cfg`` and wrap it in a Trainer with the config's run length,
    evaluation cadence and early stopping.  ``dataset`` defaults to
    :func:`boltzmann_lab.data.prepare.load_dataset` of ``cfg``.

    Before anything large is allocated, the run's memory is estimated from the config and the data
    shape (``boltzmann_lab.memory.check_run``: from the file header or generator keys before
    loading, again from the loaded data); a run that cannot fit raises ``MemoryBudgetError``.
    A value the schema cannot judge alone (e.g. a Hopfield cue beyond the stored patterns) is
    refused by the learner with ``ValueError``, re-raised here as :class:`ConfigError` naming
    ``source`` (the config file)."""
    from boltzmann_lab import memory
    from boltzmann_lab.data.loaders import LoadError

    if dataset is None and kinds.get(cfg["model"]["kind"]).needs_data:
        from boltzmann_lab.data.prepare import load_dataset
        memory.check_run(cfg, source=source)
        dataset = load_dataset(cfg)
    shape = None if dataset is None else (len(dataset.train) + len(dataset.val), dataset.n)
    memory.check_run(cfg, shape=shape, source=source)
    try:
        learner = make_learner(cfg, dataset)
    except LoadError:
        raise
    except ValueError as exc:   # ConfigError included: name the file when the learner did not
        if isinstance(exc, _config.ConfigError) and str(exc).startswith(source):
            raise
        raise _config.ConfigError(f"{source}: {exc}") from None
    t = cfg["training"]
    monitor = t["monitor"]
    if monitor == "auto":
        monitor = getattr(learner, "monitor", "val_ll")
    from boltzmann_lab.learning.observers import standard_observers
    return Trainer(learner, baseline_ll=_baseline(dataset),
                   observers=standard_observers(learner, dataset, cfg),
                   max_steps=_config.training_length(cfg, learner.steps_per_epoch),
                   eval_every=t["eval_every"], eval_budget=t["eval_budget"],
                   monitor=monitor if t["early_stopping"] else None,
                   mode="min" if monitor.endswith(("error", "loss", "gap")) else "max",
                   patience=t["patience"], min_delta=t["min_delta"])


def _baseline(dataset):
    """The independent-unit model's log-likelihood on the rows the main likelihood metric uses
    (validation rows when there are some, else training rows;
    :mod:`boltzmann_lab.learning.advice`); ``None`` for categorical data or no data."""
    if dataset is None or dataset.convention not in ("binary", "spin", "real"):
        return None
    from boltzmann_lab.learning.advice import independent_ll
    held = dataset.val if len(dataset.val) else dataset.train
    return independent_ll(dataset.train, held, dataset.convention)
