"""GUI glue for sessions (``boltzmann_lab.io.session``): save the running model mid-run, open it again later
and continue exactly where it stopped.

Saving runs on the worker thread between two steps (``Worker.call``), so the state written is one
consistent step and the GUI never touches the trainer.  Opening a session starts a new run whose
builder restores the saved state right after building the model (only the first time: Reset
afterwards rebuilds from the config as usual), then puts the saved curve history back into the
learning-curve view (with the step-0 points that only the window had drawn).
"""

from __future__ import annotations

import math
from concurrent.futures import Future

from boltzmann_lab.io import session as core_session
from boltzmann_lab.config import resolve


def save_session(window, path) -> Future:
    """Save the window's active run to ``path``; returns a Future with the written path."""
    w = window.worker
    if w is None or w.trainer is None:
        fut = Future()
        fut.set_exception(core_session.SessionError("there is no model to save yet"))
        return fut
    cfg = window.active_cfg
    combo = getattr(window, "preset_combo", None)
    extra = {"preset": combo.currentData() if combo is not None else None,
             "step0_points": step0_points(window)}
    return w.call(lambda worker: core_session.save_trainer(path, cfg, worker.trainer, extra))


def step0_points(window) -> list:
    """The curve points the window drew at step 0, before the first training step: the trainer's
    history starts at step 1, so these (the Hopfield cue's energy and overlap,
    boltzmann_lab.app.recall_trace) exist only in the window and are saved with the session."""
    curves = getattr(getattr(window, "views", None), "curves", None)
    metrics = {}
    for name, s in (getattr(curves, "series", None) or {}).items():
        if s.n and s.x[0] == 0 and math.isfinite(float(s.y[0])):
            metrics[name] = float(s.y[0])
    return [[0, 0.0, metrics]] if metrics else []


def restoring_builder(session: core_session.Session, base=None):
    """A worker builder that builds like ``base`` and, the first time only, loads ``session``."""
    used = {"done": False}

    def build(cfg, dataset=None):
        from .worker import default_builder
        trainer, dataset = (base or default_builder)(cfg, dataset)
        if not used["done"]:
            core_session.restore(trainer, session)
            used["done"] = True
        return trainer, dataset

    return build


def history_points(history, extra=None) -> list:
    """Trainer history rows (and the step-0 points saved in ``extra``) -> the worker's curve
    points ``(step, epoch, metrics)``, in step order."""
    out = []
    for row in (extra or {}).get("step0_points") or []:
        try:
            step, epoch, metrics = row
            out.append((int(step), float(epoch), {str(k): float(v) for k, v in metrics.items()}))
        except (TypeError, ValueError, AttributeError):
            continue          # a hand-edited or foreign session: its curves still load
    for row in history:
        metrics = {k: v for k, v in row.items() if k not in ("step", "epoch")}
        if metrics:
            out.append((int(row.get("step", 0)), float(row.get("epoch", 0.0)), metrics))
    return out


def open_session(window, path, autoplay: bool = False) -> core_session.Session:
    """Read ``path`` and start it as the window's new run (raises SessionError on a bad file).

    The previous run keeps going until the restored one is ready, as for any new run."""
    session = core_session.load_session(path)
    cfg = resolve(session.config, source=str(path))
    window.panel.load(cfg)
    window.start_run(cfg, autoplay=autoplay,
                     builder=restoring_builder(session, window.builder))
    # the saved curves go in when the restored run replaces the current one, before its
    # first snapshot (MainWindow._swap_in_pending): step 0 first, in step order
    window.pending.restored_points = history_points(session.history, session.extra)
    # a session is its own run (a preset's settings, trained on): the preset box says "custom"
    if hasattr(window, "show_custom"):
        window.show_custom()
    return session
