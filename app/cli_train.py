"""``boltzmann-lab train CONFIG.toml --out DIR``: headless training.

The run directory is locked for the whole run (:class:`boltzmann_lab.io.rundir.RunDirLock`: a second
run on it is refused with exit code 2; a lock or temporaries left by ``kill -9`` never block the
next run).  Metrics are streamed to a temporary file row by row and renamed into place with the
model and the resolved config at the end.  Ctrl-C and SIGTERM stop after the current step, write
everything so far and exit 130 (:class:`_Stopper`); a divergence writes the last good model, marks
the diverged step's row (``"diverged": true``) and exits 1.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from pathlib import Path

from boltzmann_lab.app.cli import PROG, RunError, UsageError


class Progress:
    """A one-line progress bar on a terminal (stderr); does nothing when disabled."""

    def __init__(self, stream, total: int | None, enabled: bool):
        self.stream, self.total, self.enabled = stream, total, enabled
        self.shown = {}
        self.last = 0.0
        self.drawn = False

    def update(self, snap, force=False):
        for k in ("train_ll", "val_ll", "bound", "loss", "energy", "magnetization"):
            if k in snap.metrics:
                self.shown[k] = snap.metrics[k]
        if not self.enabled:
            return
        now = time.monotonic()
        if not force and now - self.last < 0.1:
            return
        self.last = now
        if self.total:
            frac = min(1.0, snap.step / self.total)
            bar = "[" + "#" * int(30 * frac) + "." * (30 - int(30 * frac)) + "]"
            head = f"{bar} {snap.step}/{self.total}"
        else:
            head = f"step {snap.step}"
        parts = [head, f"epoch {snap.epoch:.2f}"]
        parts += [f"{k} {v:.4g}" for k, v in self.shown.items()]
        try:
            cols = os.get_terminal_size(self.stream.fileno()).columns
        except (OSError, ValueError, AttributeError):
            cols = 100
        self.stream.write("\r" + "  ".join(parts)[: max(10, cols - 1)].ljust(max(10, cols - 1)))
        self.stream.flush()
        self.drawn = True

    def close(self):
        if self.enabled and self.drawn:
            self.stream.write("\n")
            self.stream.flush()


def _make_trainer(cfg, source="config"):
    from boltzmann_lab.build import make_trainer

    try:
        return make_trainer(cfg, source=source)
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.startswith("boltzmann_lab."):
            raise RunError(f"model kind {cfg['model']['kind']!r} is not available in this "
                           f"installation ({exc}).") from exc
        raise


class _Stopper:
    """SIGINT (Ctrl-C) and SIGTERM during ``train``: the first asks the trainer to stop after the
    current step (the model and metrics so far are then written, exit 130); a second, or one that
    arrives before training started, interrupts at once.  While the files are being written,
    signals are only counted, so a save is never cut in half."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self):
        self.trainer = None
        self.count = 0
        self.name = ""
        self.saving = False
        self.old = {}

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            for sig in self.SIGNALS:
                self.old[sig] = signal.signal(sig, self.handle)
        return self

    def __exit__(self, *exc):
        for sig, old in self.old.items():
            signal.signal(sig, old)

    def handle(self, signum, frame):
        self.count += 1
        self.name = self.name or ("Ctrl-C" if signum == signal.SIGINT else "SIGTERM")
        if self.saving:
            return
        if self.trainer is None or self.count > 1:
            raise KeyboardInterrupt
        self.trainer.request_stop(f"stopped by {self.name} after step "
                                  f"{self.trainer.step_count + 1}")


def _prepare_out(out: Path, force: bool):
    """Create/lock the run directory; returns (lock, created)."""
    from boltzmann_lab.io.rundir import RunDirBusy, RunDirLock, stale_temp_files, user_files

    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out}: exists and is not a directory.")
    created = not out.exists()
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"--out {out}: cannot create the run directory "
                         f"({exc.strerror or exc}).") from None
    lock = RunDirLock(out)
    try:
        lock.acquire()
    except RunDirBusy as exc:
        raise UsageError(str(exc)) from None
    except OSError as exc:
        _remove_if_empty(out, created)
        raise UsageError(f"--out {out}: cannot lock the run directory "
                         f"({exc.strerror or exc}).") from None
    try:
        for tmp in stale_temp_files(out):      # left by a run killed with kill -9; we hold the lock
            tmp.unlink(missing_ok=True)
        if user_files(out) and not force:
            raise UsageError(f"--out {out}: the run directory already exists and is not empty; "
                             f"choose another directory or pass --force to overwrite it.")
    except BaseException:
        lock.release()
        raise
    return lock, created


def _remove_if_empty(out: Path, created: bool):
    if created:
        try:
            out.rmdir()
        except OSError:
            pass


def cmd_train(args) -> int:
    from boltzmann_lab import config

    with _Stopper() as stopper:
        cfg = config.load(args.config)
        out = Path(args.out)
        lock, created = _prepare_out(out, args.force)
        wrote = False
        try:
            code = _train(args, cfg, out, stopper)
            wrote = True
            return code
        finally:
            lock.release()
            if not wrote:
                _remove_if_empty(out, created)


def _train(args, cfg, out: Path, stopper: _Stopper) -> int:
    from boltzmann_lab.io.rundir import RunWriter

    trainer = _make_trainer(cfg, source=str(args.config))
    stopper.trainer = trainer
    tty = sys.stderr.isatty()
    if trainer.max_steps is None and tty:
        print(f"{PROG}: no [training] steps or epochs set: training until the model converges "
              f"(Ctrl-C stops and saves).", file=sys.stderr)
    progress = Progress(sys.stderr, trainer.max_steps, enabled=tty)
    hard_stop = False
    # The run directory is written by the same code as every sweep point's
    # (boltzmann_lab.io.rundir.RunWriter): metrics streamed row by row, each file atomic.
    from boltzmann_lab.learning.advice import AdviceMonitor
    advice = AdviceMonitor(cfg["training"].get("learning_rate"))
    advised = False
    with RunWriter(out) as writer:
        try:
            while not trainer.done:
                snap = trainer.step(with_views=False)   # the CLI draws nothing
                writer.log(snap)
                progress.update(snap, force=snap.done)
                tip = advice.update(snap.step, snap.epoch, snap.metrics) if snap.metrics else None
                if tip is not None and not advised:     # the same advice as the app's banner, once
                    advised = True
                    progress.close()
                    progress.drawn = False
                    print(f"{PROG}: {tip.cli_text()}", file=sys.stderr)
        except KeyboardInterrupt:
            hard_stop = True
        finally:
            stopper.saving = True
            progress.close()
        div = trainer.divergence
        if div is not None:
            # the diverged step's own row, marked: its parameters were discarded
            writer.write_row({"step": div["step"], "epoch": trainer.epoch, **div["metrics"],
                              "diverged": True, "last_good_step": div["last_good_step"]})
        try:
            writer.finish(trainer.learner.model, cfg)
        except OSError as exc:
            raise RunError(f"{out}: cannot write the run's files ({exc.strerror or exc}).") \
                from None
    last = writer.last
    interrupted = hard_stop or trainer.message.startswith("stopped by")
    message = trainer.message or "stopped"
    if hard_stop:
        message = f"interrupted at step {trainer.step_count}"
    summary = ", ".join(f"{k} = {v:.6g}" for k, v in last.items()
                        if k in ("train_ll", "val_ll", "bound") and isinstance(v, float))
    if message.startswith("training diverged"):
        raise RunError(f"{message}. The model at the last good step and the metrics up to the "
                       f"divergence (its row marked \"diverged\": true) were written to {out}.")
    steps = "" if message.startswith("finished") else f"{trainer.step_count} steps"
    detail = ", ".join(p for p in (steps, summary) if p)
    print(f"{message}{' (' + detail + ')' if detail else ''}; wrote "
          f"{out / 'model.npz'}, {out / 'metrics.jsonl'}, {out / 'config.toml'}")
    return 130 if interrupted else 0
