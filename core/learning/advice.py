"""The independent-unit baseline and advice when training goes wrong (no Qt: the app and the CLI
only display what this module says).

Baseline (``baseline_ll`` in every likelihood metric stream): the log-likelihood, in nats per
sample, of the *independent-unit model* — every unit on its own, fitted to the training data —
on the rows the learner's main likelihood metric is computed on (the validation rows when there
are some, else the training rows).  Closed form (:func:`independent_ll`):

* binary {0,1} / spin {-1,+1} units: p_i = (k_i + 1/2) / (M + 1), k_i the number of ones (up
  spins) of unit i among the M training rows (the add-1/2 estimate: finite for a unit that is
  always off), ll = mean over rows of sum_i [x_i log p_i + (1 - x_i) log(1 - p_i)];
* real values: independent Gaussians with the training means and variances (variances floored
  at 1e-12 times the largest), ll = mean of sum_i log N(x_i; m_i, s_i^2).

Any model of the kinds here contains the independent-unit model (zero couplings), so a trained
model that sits below it has learned less than nothing.

Advice (:class:`AdviceMonitor`), fed every metrics row of a run; it speaks at most once per
cause, only once the run is past its first epoch:

* ``below_baseline`` — the main likelihood (``val_ll``, else ``train_ll``, else ``ll``) is below
  ``baseline_ll`` by more than ``BELOW_MARGIN`` nats at two evaluations in a row;
* ``swings`` — it fell by more than ``SWING_NATS`` nats from one evaluation to the next.

Both have the same likely cause, a learning rate too large for the model (updates overshoot;
PCD's persistent chains then stop following the model), and the same one-click remedy when the learner
has a learning rate (the run's base rate, else its ``learning_rate`` metric): the rate 10x
lower.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

#: nats below the baseline that count (at two evaluations in a row)
BELOW_MARGIN = 0.5
#: a drop of the main likelihood between two evaluations larger than this is a swing
SWING_NATS = 3.0
#: likelihood metrics in order of preference (the first present is the main one)
LL_METRICS = ("val_ll", "train_ll", "ll")


def independent_ll(train, test=None, convention: str | None = None) -> float:
    """Mean log-likelihood (nats/row) of ``test`` (default ``train``) under the independent-unit
    model fitted to ``train`` (module docstring).  ``convention``: ``binary``, ``spin`` or
    ``real``; detected from ``train`` when ``None``."""
    train = np.asarray(train, np.float64)
    test = train if test is None else np.asarray(test, np.float64)
    if len(test) == 0 or len(train) == 0:
        return math.nan
    if convention is None:
        if np.all((train == 0) | (train == 1)):
            convention = "binary"
        elif np.all(np.abs(train) == 1):
            convention = "spin"
        else:
            convention = "real"
    if convention in ("binary", "spin"):
        to01 = (lambda x: (x + 1) / 2) if convention == "spin" else (lambda x: x)
        p = (to01(train).sum(0) + 0.5) / (len(train) + 1.0)
        y = to01(test)
        return float(np.mean(y @ np.log(p) + (1 - y) @ np.log1p(-p)))
    m = train.mean(0)
    v = train.var(0)
    v = np.maximum(v, 1e-12 * max(float(v.max(initial=0.0)), 1e-300))
    z = (test - m) ** 2 / v
    return float(np.mean(-0.5 * (z + np.log(2 * np.pi * v)).sum(1)))


def main_ll(metrics: dict) -> tuple[str, float] | None:
    """(name, value) of the main likelihood metric in a metrics row, or None."""
    for name in LL_METRICS:
        v = metrics.get(name)
        if v is not None and math.isfinite(v):
            return name, float(v)
    return None


@dataclass(frozen=True)
class Advice:
    """What went wrong, why, and what to do.

    code : ``below_baseline`` or ``swings``.
    message : one paragraph for a banner or a terminal.
    remedy : the button label (e.g. "Learning rate 10× lower (0.005)"), or "" when none.
    hyper, value : the setting the remedy changes and its new value (``None`` when none).
    """

    code: str
    message: str
    remedy: str = ""
    hyper: str | None = None
    value: float | None = None

    def cli_text(self) -> str:
        fix = (f" Remedy: set [training] {self.hyper} = {self.value:g}."
               if self.hyper is not None else "")
        return f"advice: {self.message}{fix}"


class AdviceMonitor:
    """Watches a run's metrics rows (``step``, ``epoch`` and metrics) and returns an
    :class:`Advice` the first time a rule of the module docstring fires (else ``None``)."""

    def __init__(self, learning_rate: float | None = None, below_margin: float = BELOW_MARGIN,
                 swing_nats: float = SWING_NATS):
        self.below_margin = float(below_margin)
        self.swing_nats = float(swing_nats)
        self.reset(learning_rate)

    def reset(self, learning_rate: float | None = None) -> None:
        """Start over; ``learning_rate``: the run's base rate (``[training] learning_rate``),
        which the remedy divides by 10 (else the ``learning_rate`` metric, the scheduled rate)."""
        self.given: set[str] = set()
        self.base_lr = None if learning_rate is None else float(learning_rate)
        self.lr: float | None = None
        self.prev: tuple[int, float] | None = None
        self.below_count = 0
        self.baseline: float | None = None

    def update(self, step: int, epoch: float, metrics: dict) -> Advice | None:
        lr = metrics.get("learning_rate")
        if lr is not None and math.isfinite(lr) and lr > 0:
            self.lr = float(lr)
        b = metrics.get("baseline_ll")
        if b is not None and math.isfinite(b):
            self.baseline = float(b)
        found = main_ll(metrics)
        if found is None:
            return None
        name, ll = found
        prev, self.prev = self.prev, (step, ll)
        if epoch < 1.0:
            self.below_count = 0
            return None
        if self.baseline is not None and ll < self.baseline - self.below_margin:
            self.below_count += 1
        else:
            self.below_count = 0
        if self.below_count >= 2 and "below_baseline" not in self.given:
            self.given.add("below_baseline")
            return self._advice(
                "below_baseline",
                f"After {epoch:.1f} epochs the model's {name} = {ll:.2f} nats is below the "
                f"independent-unit baseline ({self.baseline:.2f} nats: every unit on its own, "
                f"fitted to the data means), so it has learned less than nothing.")
        if prev is not None and prev[1] - ll > self.swing_nats and "swings" not in self.given:
            self.given.add("swings")
            return self._advice(
                "swings",
                f"{name} fell by {prev[1] - ll:.1f} nats between steps {prev[0]} and {step} "
                f"(from {prev[1]:.2f} to {ll:.2f}) after the first epoch: training is unstable "
                f"and the run ends wherever the swing happens to be.")
        return None

    def _advice(self, code, seen) -> Advice:
        lr = self.base_lr if self.base_lr is not None else self.lr
        if lr is None:
            return Advice(code, seen + " Likely cause: the model or its settings; compare with "
                                       "a preset of this kind.")
        new = lr / 10.0
        return Advice(code, seen + f" Likely cause: the learning rate ({lr:g}) is too large "
                                   f"for this model: updates overshoot (and PCD's persistent "
                                   f"chains stop following the model). Try a 10× lower rate.",
                      remedy=f"Learning rate 10× lower ({new:g})", hyper="learning_rate",
                      value=new)
