"""GUI glue for sessions (``boltzmann_lab.io.session``): save the running model mid-run, open it again later
and continue exactly where it stopped.

Saving runs on the worker thread between two steps (``Worker.call``), so the state written is one
consistent step and the GUI never touches the trainer.  Opening a session starts a new run whose
builder restores the saved state right after building the model (only the first time: Reset
afterwards rebuilds from the config as usual), then puts the saved curve history back into the
learning-curve view.
"""

from __future__ import annotations

from concurrent.futures import Future

from PySide6.QtCore import QTimer

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
    extra = {"preset": combo.currentData() if combo is not None else None}
    return w.call(lambda worker: core_session.save_trainer(path, cfg, worker.trainer, extra))


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


def history_points(history) -> list:
    """Trainer history rows -> the worker's curve points ``(step, epoch, metrics)``."""
    out = []
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
    new = window.pending
    points = history_points(session.history)
    preset = (session.extra or {}).get("preset")
    if preset and getattr(window, "preset_combo", None) is not None:
        i = window.preset_combo.findData(preset)
        if i >= 0:
            window.preset_combo.setCurrentIndex(i)

    def refill(tries=[0]):
        # once the restored run is the active one, put its saved curves back
        if window.worker is new and window.pending is None:
            if points:
                window.views.add_points(points)
            return
        tries[0] += 1
        if window.pending is new and tries[0] < 6000:
            QTimer.singleShot(30, refill)

    QTimer.singleShot(30, refill)
    return session
