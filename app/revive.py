"""Reviving a run that stopped on its own convergence test.

A Hopfield recall at T = 0 ends when a sweep changes nothing (a fixed point), and a MaxEnt fit
ends when its moments match; the trainer is then ``done``.  In a lecture the next thing the
lecturer does is draw on the state, re-cue, or switch on L1 — and the model should go on from
there instead of demanding a Reset.  A run is revived only when it stopped by convergence:
not when it finished its planned steps, diverged, early-stopped or was stopped by the user.
"""

from __future__ import annotations

#: trainer messages of stops that must stay final
FINAL_PREFIXES = ("training diverged", "early stopping", "finished ", "stopped by user")


def revive_after_change(trainer) -> bool:
    """Clear ``trainer.done`` after a user change if the run had stopped by convergence; return
    whether it was revived.  The learner's own test runs again after the next step, so a change
    that leaves the model converged stops it again one step later."""
    if not getattr(trainer, "done", False):
        return False
    if getattr(trainer, "_stop_requested", False):
        return False
    message = getattr(trainer, "message", "") or ""
    if message.startswith(FINAL_PREFIXES):
        return False
    max_steps = getattr(trainer, "max_steps", None)
    if max_steps is not None and trainer.step_count >= max_steps:
        return False
    trainer.done = False
    trainer.message = ""
    return True
