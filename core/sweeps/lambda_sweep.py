"""The Λ sweep of section 15.3.2: fit a MaxEnt model along a grid of penalty strengths and compare
training and validation likelihoods and the number of non-zero couplings."""

from __future__ import annotations

import math

import numpy as np

from boltzmann_lab.learning.maxent import make_learner
from boltzmann_lab.learning.optim import make_optimizer
from boltzmann_lab.learning.trainer import Trainer


def lambda_sweep(cfg, dataset, lambdas=None, penalty=None, max_steps=None):
    """Fit the model of ``cfg`` for each penalty strength Λ in ``lambdas`` (section 15.3.2).

    ``lambdas`` defaults to ``[training] lambdas``; ``penalty`` (``l1`` or ``l2``) defaults to
    ``[training] lambda_penalty``.  The fits run in the given order, each warm-started from the
    previous one's parameters (so an increasing grid follows a regularisation path), each until
    the learner converges or ``max_steps`` (default ``[training] steps`` or 2000) steps; the other
    penalty keeps its configured value.  The optimizer state is reset for each Λ.

    Returns a list with one dict per Λ: ``lambda``, ``penalty``, ``train`` and ``val`` (exact
    ``train_ll``/``val_ll`` when n <= 20, else pseudo-log-likelihoods; ``val`` is None without
    validation data), ``metric`` (which one), ``n_nonzero`` (couplings J_ij != 0 with i<j),
    ``steps``, ``converged``, ``params`` (copies of h, J, V) and ``best`` (True for the Λ with
    the largest validation metric, or the largest training metric without validation data).
    """
    t = cfg["training"]
    lambdas = list(t.get("lambdas") or []) if lambdas is None else list(lambdas)
    if not lambdas:
        raise ValueError("lambda_sweep needs a grid of Λ values ([training] lambdas)")
    penalty = penalty or t.get("lambda_penalty", "l1")
    if penalty not in ("l1", "l2"):
        raise ValueError(f"penalty must be 'l1' or 'l2', got {penalty!r}")
    if max_steps is None:
        max_steps = t.get("steps") or 2000
    learner = make_learner(cfg, dataset)
    results = []
    for lam in lambdas:
        if float(lam) < 0:
            raise ValueError(f"Λ must be >= 0, got {lam}")
        learner.optimizer = make_optimizer(t["optimizer"], t["learning_rate"], t["momentum"],
                                           t["schedule"], t["decay"])
        learner.set_hyper(penalty, float(lam))
        learner.params_changed()
        trainer = Trainer(learner, max_steps=max_steps, eval_every=max_steps)
        snap = trainer.run()
        ev = learner.evaluate()
        exact = "train_ll" in ev
        key = "ll" if exact else "pll"
        J = learner.params["J"]
        results.append({
            "lambda": float(lam), "penalty": penalty,
            "train": ev.get(f"train_{key}"), "val": ev.get(f"val_{key}"),
            "metric": f"{key}", "n_nonzero": int(np.count_nonzero(np.triu(J, 1))),
            "steps": trainer.step_count, "converged": snap.message.startswith("converged"),
            "message": snap.message,
            "params": {k: v.copy() for k, v in learner.params.items()}, "best": False})
    best = best_lambda(results)
    if best is not None:
        best["best"] = True
    return results


def best_lambda(results):
    """The entry of :func:`lambda_sweep` results with the best validation metric (training metric
    when there is no validation data); ``None`` if no finite metric."""
    use = "val" if all(r["val"] is not None for r in results) else "train"
    finite = [r for r in results if r[use] is not None and math.isfinite(r[use])]
    return max(finite, key=lambda r: r[use]) if finite else None
