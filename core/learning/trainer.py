"""The one training loop: a step-wise :class:`Trainer` that yields :class:`Snapshot` objects.

The GUI worker, the command line and the tests all drive training through this class.  The
model-specific work lives in a *learner* (one per model kind, see :class:`Learner`); the trainer adds
what every run needs: step/epoch bookkeeping, periodic evaluation, early stopping on a validation
metric, convergence, divergence detection with roll-back to the last good parameters, and a
latest-snapshot view that the GUI can copy.

Evaluation within a budget, on a deterministic schedule: ``learner.evaluate()`` (exact
likelihoods by enumeration, AIS, pseudo-likelihoods over the data) can cost far more than a
training step (a 64 x 20 RBM: 2^20 hidden states x 64 visible units per exact log Z, thousands of
steps' worth).  A learner whose evaluation is expensive says how expensive *a priori*, from array
sizes only (:meth:`Learner.evaluation_cost`, in units of one training step, by the cost model of
:mod:`boltzmann_lab.learning.cost`); the trainer then evaluates every k steps, k the smallest
multiple of ``eval_every`` with cost / (k + cost) <= ``eval_budget`` (default 15 %,
:func:`boltzmann_lab.learning.cost.eval_interval`).  A cheap evaluation (cost ``None``) keeps the
``eval_every`` cadence exactly.  The first step, the last step, a converged step and a requested
stop are always evaluated.  No clock enters the schedule, so the same config evaluates at the same
steps — and early stopping, best-checkpoint restore and divergence roll-back act at the same
steps — on any machine under any load.  ``train_time``/``eval_time`` are measured for reporting
only.

Typical use::

    trainer = Trainer(learner, max_steps=500, eval_every=10)
    for snap in trainer:          # one Snapshot per step, until done
        print(snap.step, snap.metrics)
"""

from __future__ import annotations

import collections
import math
import time
from dataclasses import dataclass, field
from typing import Any, Iterator

import numpy as np

from boltzmann_lab.learning.cost import eval_interval


#: evaluated rows with one of these metrics also carry ``baseline_ll``
BASELINE_WITH = ("val_ll", "train_ll", "ll")


@dataclass
class Snapshot:
    """What one training step looked like; safe to hand to another thread (arrays are copies).

    Attributes
    ----------
    step : number of completed steps.
    epoch : completed passes over the training data (fractional).
    kind : model kind (``maxent``, ``rbm``, ...).
    metrics : scalar metrics *computed at this step* (cheap ones every step, evaluated ones such as
        ``train_ll``/``val_ll`` every ``eval_every`` steps).  Names are documented in the README.
    views : named arrays for display; standard keys (all optional):
        ``fantasy`` (k, n) fantasy particles; ``data`` (k, n) data samples; ``reconstruction`` (k, n);
        ``couplings`` (n, n); ``filters`` (n_visible, n_hidden); ``state`` (n,) one chain to draw as
        a lattice; ``means_data``/``means_model`` (n,); ``corr_data``/``corr_model`` (m,) connected
        correlations of constrained pairs; ``overlaps`` (P,); ``em_theta``/``em_ll``/``em_bound``
        curves over a parameter slice.
    image_shape : shape to draw one sample as an image (``None``: a 1-D strip).
    convention : ``binary``, ``spin`` or ``real`` (of ``fantasy``/``data``/``state``).
    done : no more steps will follow.
    message : why the run stopped (converged, early stopping, diverged, ...), or "".
    total_steps : the run's planned length, or ``None`` when open-ended.
    """

    step: int
    epoch: float
    kind: str
    metrics: dict[str, float] = field(default_factory=dict)
    views: dict[str, np.ndarray] = field(default_factory=dict)
    image_shape: tuple | None = None
    convention: str = "binary"
    done: bool = False
    message: str = ""
    total_steps: int | None = None


class Learner:
    """Interface implemented by each model kind (``boltzmann_lab.learning.maxent``, ``boltzmann_lab.models.rbm``, ``boltzmann_lab.models.mixture``...).

    Required attributes: ``kind``, ``model`` (saveable, see ``boltzmann_lab.io.modelio``), ``convention``,
    ``image_shape``, ``steps_per_epoch`` (steps for one pass over the training data), ``params``
    (dict name -> numpy array, the *live* learned parameters; the trainer checks and checkpoints
    them).
    """

    kind = "abstract"
    model: Any = None
    convention = "binary"
    image_shape = None
    steps_per_epoch = 1.0
    params: dict[str, np.ndarray] = {}
    #: a parameter larger than this in magnitude counts as divergence (a learner whose parameters
    #: legitimately scale with the data, e.g. Gaussian covariances, raises it)
    param_limit = 1e6
    #: the metric early stopping watches when the config says ``monitor = "auto"``
    monitor = "val_ll"

    def step(self) -> dict[str, float]:
        """One parameter update (or EM iteration, or chunk of sweeps); return cheap metrics."""
        raise NotImplementedError

    def evaluate(self) -> dict[str, float]:
        """Expensive metrics (``train_ll``, ``val_ll``, ...); called every ``eval_every`` steps
        (further apart when :meth:`evaluation_cost` says they are expensive)."""
        return {}

    def evaluation_cost(self) -> float | None:
        """The expected cost of one :meth:`evaluate` in units of one :meth:`step`, estimated from
        array sizes and settings only (never a clock: :mod:`boltzmann_lab.learning.cost`), or
        ``None`` when evaluating is cheap (then the trainer evaluates every ``eval_every``
        steps)."""
        return None

    def views(self, n_show: int = 16) -> dict[str, np.ndarray]:
        """Arrays to display (copies; see :class:`Snapshot`)."""
        return {}

    def converged(self) -> str | None:
        """A message when the learner's own convergence criterion holds, else ``None``."""
        return None

    def set_hyper(self, name: str, value) -> None:
        """Change a hyperparameter while running (``learning_rate``, ``l1``, ``temperature``...)."""
        raise KeyError(f"{self.kind} has no adjustable parameter {name!r}")

    def params_changed(self) -> None:
        """Called after the trainer wrote into ``params`` (roll-back); refresh derived state."""

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to resume bit for bit (params, optimizer, chains, RNG states)."""
        return {f"param/{k}": v.copy() for k, v in self.params.items()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        for k in self.params:
            self.params[k][...] = state[f"param/{k}"]
        self.params_changed()


#: default share of the run's work that evaluations may take (module docstring)
EVAL_BUDGET = 0.15


class Trainer:
    """Drive a :class:`Learner` step by step.

    Parameters
    ----------
    learner : the model-specific learner.
    max_steps : stop after this many steps (``None``: run until stopped or converged).
    eval_every : call ``learner.evaluate()`` at most every this many steps (and at the first and
        last step); every multiple of it that keeps within ``eval_budget`` (see ``interval``).
    eval_budget : the largest share of the run's work evaluations may take, by the learner's
        a-priori :meth:`Learner.evaluation_cost` (module docstring); ``None`` evaluates exactly
        every ``eval_every`` steps.
    clock : a function returning seconds, used only to report ``train_time``/``eval_time``
        (never for scheduling).
    observers : callables ``f(trainer, step, metrics)`` run after every step that add cheap
        metrics in place (:mod:`boltzmann_lab.learning.observers`: chain mixing, Ising match).
    monitor : metric name for early stopping (e.g. ``val_ll``); ``None`` disables early stopping.
    mode : ``max`` or ``min`` — whether a larger monitored value is better.
    patience : evaluations without improvement (by more than ``min_delta``) before stopping; the best
        parameters are restored.
    stop_on_convergence : stop when ``learner.converged()`` says so.
    baseline_ll : the independent-unit model's log-likelihood on the rows of the main
        likelihood metric (:mod:`boltzmann_lab.learning.advice`); written as ``baseline_ll``
        into every evaluated row that has a likelihood (``val_ll``, ``train_ll`` or ``ll``).
    history_limit : rows of scalar metrics kept in ``history`` (oldest dropped first) so memory
        stays flat in an open-ended live run; consumers that need every row stream them.
    param_limit : a parameter larger than this in magnitude counts as divergence (default: the
        learner's ``param_limit``).
    """

    def __init__(self, learner: Learner, max_steps: int | None = None, eval_every: int = 10,
                 monitor: str | None = None, mode: str = "max", patience: int = 5,
                 min_delta: float = 0.0, stop_on_convergence: bool = True,
                 param_limit: float | None = None, history_limit: int = 200_000,
                 eval_budget: float | None = EVAL_BUDGET, clock=time.perf_counter,
                 baseline_ll: float | None = None, observers=()):
        if mode not in ("max", "min"):
            raise ValueError("mode must be 'max' or 'min'")
        self.learner = learner
        self.max_steps = None if max_steps is None else int(max_steps)
        self.eval_every = max(1, int(eval_every))
        self.eval_budget = None if eval_budget is None else float(eval_budget)
        self.clock = clock
        self.observers = list(observers)
        #: seconds spent in training steps / in evaluations (this run; reporting only)
        self.train_time = self.eval_time = 0.0
        self.monitor, self.mode = monitor, mode
        self.patience, self.min_delta = int(patience), float(min_delta)
        self.stop_on_convergence = stop_on_convergence
        self.param_limit = float(learner.param_limit if param_limit is None else param_limit)
        self.baseline_ll = None if baseline_ll is None else float(baseline_ll)
        self.step_count = 0
        self.done = False
        self.message = ""
        # one dict per step that had metrics, bounded (see history_limit)
        self.history: collections.deque[dict[str, float]] = collections.deque(maxlen=history_limit)
        self._good = self._copy_params()
        self._best = None
        self._best_value = -math.inf if mode == "max" else math.inf
        self._bad_evals = 0
        self._stop_requested = False
        self.last: Snapshot | None = None

    # --- control -------------------------------------------------------------------------
    def request_stop(self, message: str = "stopped by user") -> None:
        """Finish after the current step (e.g. Ctrl-C in the CLI)."""
        self._stop_requested = True
        self._stop_message = message

    def set_hyper(self, name, value) -> None:
        self.learner.set_hyper(name, value)

    @property
    def interval(self) -> int:
        """Steps between scheduled evaluations now: the smallest multiple of ``eval_every`` that
        keeps the learner's estimated evaluation cost within ``eval_budget`` (module docstring).
        Recomputed on each use (cheap arithmetic), so a hyperparameter that changes the costs
        (sweeps, iterations) moves it deterministically."""
        return eval_interval(self.eval_every, self.learner.evaluation_cost(), self.eval_budget)

    def roll_back(self) -> None:
        """Put back the parameters of the last good checkpoint (the last evaluation, or the start):
        what a consumer does when a step raised instead of returning."""
        self._restore(self._good)

    @property
    def epoch(self) -> float:
        return self.step_count / max(self.learner.steps_per_epoch, 1e-12)

    # --- the loop ------------------------------------------------------------------------
    def __iter__(self) -> Iterator[Snapshot]:
        while not self.done:
            yield self.step()

    def run(self) -> Snapshot:
        """Run to the end; return the last snapshot."""
        snap = self.last
        for snap in self:
            pass
        return snap

    def step(self, with_views: bool = True) -> Snapshot:
        """Perform one step and return its snapshot.

        ``with_views=False`` skips ``learner.views()`` (display arrays can cost more than the step
        itself on large models); a consumer that draws asks :meth:`views` only for the snapshot it
        shows, e.g. the GUI worker once per frame, and the CLI never.
        """
        if self.done:
            raise RuntimeError("the run has finished; reset to train again")
        L = self.learner
        metrics: dict[str, float] = {}
        t0 = self.clock()
        try:
            with np.errstate(over="ignore", invalid="ignore"):
                metrics.update(L.step())
        except FloatingPointError as exc:  # pragma: no cover - learners normally return NaN instead
            return self._diverged(f"numerical error: {exc}", with_views, metrics)
        self.step_count += 1
        for observe in self.observers:
            observe(self, self.step_count, metrics)
        bad = self._bad_params(metrics)
        if bad:
            return self._diverged(bad, with_views, metrics)

        last = self.max_steps is not None and self.step_count >= self.max_steps
        conv = L.converged() if self.stop_on_convergence else None
        t1 = self.clock()
        self.train_time += t1 - t0
        # k is a multiple of eval_every: ask the learner for its cost only at those steps
        due = self.step_count % self.eval_every == 0 and self.step_count % self.interval == 0
        if self.step_count == 1 or due or last or conv or self._stop_requested:
            metrics.update(L.evaluate())
            self.eval_time += self.clock() - t1
            if self.baseline_ll is not None and any(k in metrics for k in BASELINE_WITH):
                metrics["baseline_ll"] = self.baseline_ll
            self._checkpoint(metrics)
        message = ""
        if conv:
            message = conv
        elif self._early_stop_triggered():
            message = (f"early stopping: {self.monitor} did not improve for {self.patience} "
                       f"evaluations; best parameters restored")
            self._restore(self._best)
        elif last:
            message = f"finished {self.max_steps} steps"
        elif self._stop_requested:
            message = self._stop_message
        if message:
            self.done, self.message = True, message
        return self._snapshot(metrics, with_views)

    def advice(self) -> list[str]:
        """Remedies offered by the observers (e.g. chains that do not mix), one sentence each."""
        return [a for a in (getattr(o, "advice", None) for o in self.observers) if a]

    def views(self) -> dict[str, np.ndarray]:
        """The learner's display arrays now (copies)."""
        return self.learner.views()

    # --- helpers -------------------------------------------------------------------------
    def _snapshot(self, metrics, with_views=True) -> Snapshot:
        L = self.learner
        clean = {k: float(v) for k, v in metrics.items()}
        if clean:
            self.history.append({"step": self.step_count, "epoch": self.epoch, **clean})
        snap = Snapshot(step=self.step_count, epoch=self.epoch, kind=L.kind, metrics=clean,
                        views=L.views() if with_views else {}, image_shape=L.image_shape,
                        convention=L.convention,
                        done=self.done, message=self.message, total_steps=self.max_steps)
        self.last = snap
        return snap

    def _copy_params(self):
        return {k: np.array(v, copy=True) for k, v in self.learner.params.items()}

    def _bad_params(self, metrics) -> str:
        for k, v in metrics.items():
            if isinstance(v, float) and not math.isfinite(v) and k not in ("val_ll", "train_ll"):
                return f"metric {k} became {v}"
        for k, v in self.learner.params.items():
            if not v.size:
                continue
            # max/min propagate NaN and inf: two passes, no temporary (this runs every step)
            hi, lo = float(v.max()), float(v.min())
            if not (math.isfinite(hi) and math.isfinite(lo)):
                return f"parameter {k} became NaN or infinite"
            if max(hi, -lo) > self.param_limit:
                return f"parameter {k} exceeded {self.param_limit:g} in magnitude"
        return ""

    #: after a divergence: ``{"step", "reason", "last_good_step", "metrics"}`` — the diverged
    #: step's own metrics, which its (empty) snapshot does not carry; ``None`` otherwise
    divergence = None

    def _diverged(self, why, with_views=True, metrics=None) -> Snapshot:
        self.divergence = {"step": self.step_count, "reason": why, "last_good_step": self._good_step,
                           "metrics": {k: float(v) for k, v in (metrics or {}).items()}}
        self._restore(self._good)
        self.done = True
        self.message = (f"training diverged ({why}); the last good parameters (step "
                        f"{self._good_step}) were kept — try a smaller learning rate")
        return self._snapshot({}, with_views)

    def _restore(self, params):
        if params is None:
            return
        for k, v in params.items():
            self.learner.params[k][...] = v
        self.learner.params_changed()

    _good_step = 0

    def _checkpoint(self, metrics):
        self._good = self._copy_params()
        self._good_step = self.step_count
        if self.monitor is None or self.monitor not in metrics:
            return
        value = metrics[self.monitor]
        if not math.isfinite(value):
            return
        better = (value > self._best_value + self.min_delta if self.mode == "max"
                  else value < self._best_value - self.min_delta)
        if better:
            self._best_value = value
            self._best = self._good
            self._bad_evals = 0
        else:
            self._bad_evals += 1

    def _early_stop_triggered(self) -> bool:
        return self.monitor is not None and self._best is not None and self._bad_evals >= self.patience

    # --- sessions ------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """Trainer bookkeeping plus the learner's state, for saving a session."""
        return {"trainer/step": self.step_count, "trainer/best_value": self._best_value,
                "trainer/bad_evals": self._bad_evals, "trainer/done": self.done,
                **self.learner.state_dict()}

    def load_state_dict(self, state) -> None:
        self.step_count = int(state["trainer/step"])
        self._best_value = float(state["trainer/best_value"])
        self._bad_evals = int(state["trainer/bad_evals"])
        self.done = bool(state["trainer/done"])
        self.learner.load_state_dict(state)
        self._good = self._copy_params()
        self._good_step = self.step_count
