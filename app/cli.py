"""The ``boltzmann-lab`` command: open the window, or train / sample / evaluate headless.

::

    boltzmann-lab                                   # the app on the default preset
    boltzmann-lab --preset rbm-bars --autoplay      # the app on a preset, training at once
    boltzmann-lab presets                           # list the presets
    boltzmann-lab train run.toml --out runs/a       # headless training
    boltzmann-lab sample runs/a/model.npz -n 100 --out fantasies.npy
    boltzmann-lab evaluate runs/a/model.npz data.npy
    boltzmann-lab sweep run.toml --grid training.l1=0,0.01 --seeds 3 --out sweeps/l1

Exit codes: 0 success; 1 a failed run (diverged, a model kind that is not available, a disk that
cannot be written); 2 bad usage or input (config errors, unreadable data, bad model files, a run
that would not fit in memory, a run directory in use); 130 interrupted (Ctrl-C or SIGTERM; ``train``
still writes the model and metrics so far).  Errors are one paragraph on stderr; ``--debug``
adds the traceback.  This module imports no Qt: the window (``boltzmann_lab.app.gui``) is imported only when it opens.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
import textwrap
import traceback
from pathlib import Path

PROG = "boltzmann-lab"


class UsageError(Exception):
    """Bad command-line usage (exit code 2)."""


class RunError(Exception):
    """The run itself failed (exit code 1)."""


# ------------------------------------------------------------------------------ parser
_MAIN_EPILOG = """\
examples:
  boltzmann-lab                                   open the app on the default preset
  boltzmann-lab --preset rbm-bars --autoplay      open a preset and start training
  boltzmann-lab --preset ising-phases --screenshot shot.png --quit-after 20
  boltzmann-lab presets                           list the presets
  boltzmann-lab train run.toml --out runs/first   train without the window
  boltzmann-lab sample runs/first/model.npz -n 100 --out samples.npy
  boltzmann-lab evaluate runs/first/model.npz data.npy
  boltzmann-lab sweep run.toml --grid training.l1=0,0.01,0.03 --seeds 3 --out sweeps/l1

exit codes: 0 ok, 1 the run failed (e.g. diverged), 2 bad usage or input (also: the run
would not fit in memory, or another run is writing to the same --out), 130 interrupted.
"""

_TRAIN_EPILOG = """\
writes into DIR:
  model.npz      the trained model (numpy .npz + JSON meta, see the README "Model file")
  metrics.jsonl  one JSON object per logged step: step, epoch and the metric names
  config.toml    the fully resolved config (every default written out)

Ctrl-C or SIGTERM stops after the current step, still writes the model and the metrics so far,
and exits with code 130.  One run at a time may write to DIR (a lock file, released even when the
run is killed); a second run on the same DIR is refused with exit code 2.

examples:
  boltzmann-lab train run.toml --out runs/rbm
  boltzmann-lab train run.toml --out runs/rbm --force     # overwrite an existing run
"""

_SAMPLE_EPILOG = """\
samples are in the model's convention (binary {0,1}, spin {-1,+1} or real), shape (N, n).

examples:
  boltzmann-lab sample runs/rbm/model.npz -n 1000 --out samples.npy
  boltzmann-lab sample runs/rbm/model.npz -n 10 --out a.npy --seed 3
"""

_EVALUATE_EPILOG = """\
prints one JSON object: ll (mean log-likelihood, nats per sample), ll_method (exact, ais,
pseudo, bound, ...) and the model's other metrics.  DATA (any supported data file) is converted
to the model's convention first.

examples:
  boltzmann-lab evaluate runs/rbm/model.npz test.npy
  boltzmann-lab evaluate runs/rbm/model.npz data.npz --key test
"""


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(f"{message} (see {self.prog} --help)")


def build_parser() -> argparse.ArgumentParser:
    fmt = argparse.RawDescriptionHelpFormatter
    p = _Parser(prog=PROG, formatter_class=fmt, epilog=_MAIN_EPILOG,
                description="Boltzmann Lab: train energy-based models (MaxEnt, RBM, DBM, Hopfield, "
                            "EM mixtures) and watch them learn. Without a command, opens the app.")
    p.add_argument("--preset", metavar="NAME", help="open the app on this preset (see: presets)")
    p.add_argument("--autoplay", action="store_true", help="start training/simulating at once")
    p.add_argument("--presentation", action="store_true",
                   help="presentation mode (large fonts, full screen)")
    p.add_argument("--screenshot", metavar="FILE.png",
                   help="save a screenshot of the window (at exit, or after --quit-after)")
    p.add_argument("--quit-after", metavar="SECONDS", type=float,
                   help="close the app after this many seconds")
    p.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    p.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    def debug_flag(sp):
        sp.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help="show tracebacks on errors")

    sp = sub.add_parser("presets", help="list the presets", formatter_class=fmt,
                        description="List the presets (ready-made run configs).",
                        epilog="example:\n  boltzmann-lab presets\n"
                               "  boltzmann-lab --preset rbm-bars\n")
    debug_flag(sp)
    sp.set_defaults(func=cmd_presets)

    sp = sub.add_parser("train", help="train a model from a TOML run config, without the window",
                        formatter_class=fmt, epilog=_TRAIN_EPILOG,
                        description="Train headless from a TOML run config ([data], [model], "
                                    "[training]; see the README's config keys).")
    sp.add_argument("config", metavar="CONFIG.toml", help="run config (TOML)")
    sp.add_argument("--out", metavar="DIR", required=True, help="run directory to write")
    sp.add_argument("--force", action="store_true",
                    help="overwrite DIR even when it already holds files")
    debug_flag(sp)
    sp.set_defaults(func=cmd_train)

    sp = sub.add_parser("sample", help="draw samples from a saved model", formatter_class=fmt,
                        epilog=_SAMPLE_EPILOG,
                        description="Draw samples from a model file and save them as .npy.")
    sp.add_argument("model", metavar="MODEL.npz", help="model file written by train")
    sp.add_argument("-n", "--samples", dest="n", metavar="N", type=int, required=True,
                    help="number of samples")
    sp.add_argument("--out", metavar="FILE.npy", required=True, help="output file (.npy)")
    sp.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    debug_flag(sp)
    sp.set_defaults(func=cmd_sample)

    sp = sub.add_parser("evaluate", help="log-likelihood and other metrics of a model on data",
                        formatter_class=fmt, epilog=_EVALUATE_EPILOG,
                        description="Evaluate a model file on a data file; prints one JSON object.")
    sp.add_argument("model", metavar="MODEL.npz", help="model file written by train")
    sp.add_argument("data", metavar="DATA", help="data file (.npy, .npz, .csv, IDX, image folder)")
    sp.add_argument("--key", help="array name inside a .npz data file")
    sp.add_argument("--seed", type=int, default=0, help="seed for stochastic estimators (AIS)")
    debug_flag(sp)
    sp.set_defaults(func=cmd_evaluate)

    from boltzmann_lab.app.cli_sweep import add_parser as add_sweep   # no dask, no Qt
    add_sweep(sub, fmt, debug_flag)
    return p


def _version() -> str:
    try:
        from boltzmann_lab import __version__
        return __version__
    except Exception:  # pragma: no cover
        return "unknown"


# ------------------------------------------------------------------------------ main
def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code (the console script exits with it)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    try:
        try:
            args = build_parser().parse_args(argv)
        except SystemExit as exc:   # --help / --version
            return int(exc.code or 0) if not isinstance(exc.code, str) else 2
        debug = getattr(args, "debug", False) or debug
        func = getattr(args, "func", cmd_gui)
        return int(func(args) or 0)
    except Exception as exc:  # noqa: BLE001 - every error becomes one paragraph and an exit code
        return _report(exc, debug)
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130


def _report(exc: BaseException, debug: bool) -> int:
    from boltzmann_lab.config import ConfigError
    from boltzmann_lab.data.loaders import LoadError

    if isinstance(exc, (ConfigError, LoadError, UsageError)):
        code, text = 2, str(exc)
    elif isinstance(exc, RunError):
        code, text = 1, str(exc)
    else:
        code, text = 1, f"unexpected error: {type(exc).__name__}: {exc}"
        if not debug:
            text += " (run again with --debug to see the traceback)"
    if debug:
        traceback.print_exception(exc, file=sys.stderr)
    print(textwrap.fill(f"{PROG}: error: {text}", width=100, break_long_words=False,
                        break_on_hyphens=False), file=sys.stderr)
    return code


# ------------------------------------------------------------------------------ GUI
def cmd_gui(args) -> int:
    """Open the window (imports Qt)."""
    from boltzmann_lab.presets import preset_path

    if args.preset is not None:
        preset_path(args.preset)    # unknown name -> ConfigError (exit 2) before Qt starts
    if args.quit_after is not None and not (args.quit_after > 0):
        raise UsageError("--quit-after must be a positive number of seconds")
    if args.screenshot is not None and not str(args.screenshot).lower().endswith(".png"):
        raise UsageError(f"--screenshot {args.screenshot}: the screenshot is saved as PNG; "
                         f"give a file name ending in .png")
    try:
        from boltzmann_lab.app.gui import run_gui
    except ImportError as exc:
        raise RunError(f"the window could not start: {exc}. The headless commands (train, "
                       f"sample, evaluate) still work.") from exc
    return int(run_gui(preset=args.preset, autoplay=args.autoplay, presentation=args.presentation,
                       screenshot=args.screenshot, quit_after=args.quit_after,
                       debug=bool(getattr(args, "debug", False))) or 0)


# ------------------------------------------------------------------------------ presets
def cmd_presets(args) -> int:
    from boltzmann_lab.presets import DEFAULT_PRESET, list_presets

    rows = list_presets()
    width = max((len(name) for name, _, _ in rows), default=0)
    for name, title, desc in rows:
        mark = " (default)" if name == DEFAULT_PRESET else ""
        print(f"{name:<{width}}  {title}{mark}: {desc}")
    return 0


# ------------------------------------------------------------------------------ train
def cmd_train(args) -> int:
    """``train``: see :mod:`boltzmann_lab.app.cli_train` (lock, signals, streaming metrics)."""
    from boltzmann_lab.app.cli_train import cmd_train as run
    return run(args)


def _json_safe(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


# ------------------------------------------------------------------------------ sample
def cmd_sample(args) -> int:
    import numpy as np

    from boltzmann_lab import memory
    from boltzmann_lab.io.modelio import load_model, read_model_header

    if args.n < 1:
        raise UsageError(f"-n {args.n}: the number of samples must be at least 1.")
    out = Path(args.out)
    if out.suffix.lower() != ".npy":
        raise UsageError(f"--out {out}: samples are written as NumPy .npy; give a file name "
                         f"ending in .npy.")
    header = read_model_header(args.model)
    memory.check_bytes(memory.estimate_sampling(header.all_units, args.n, header.nbytes),
                       f"sample -n {args.n} ({header.units or header.all_units} units each)",
                       "Ask for fewer samples (several runs with different --seed add up).",
                       source=str(args.model))
    model = load_model(args.model)
    x = np.asarray(model.sample(args.n, args.seed))
    if x.ndim == 1:
        x = x.reshape(args.n, -1)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
    except OSError as exc:
        raise UsageError(f"--out {out}: cannot write there ({exc.strerror or exc}).") from None
    try:
        with os.fdopen(fd, "wb") as f:
            np.save(f, x, allow_pickle=False)
        os.replace(tmp, out)
    except OSError as exc:
        raise RunError(f"--out {out}: cannot write the samples ({exc.strerror or exc}).") from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    print(f"wrote {x.shape[0]} samples of {x.shape[1]} units ({model.convention}) to {out}")
    return 0


# ------------------------------------------------------------------------------ evaluate
def _mismatch(data, n, model, n_model):
    from boltzmann_lab.data.loaders import LoadError

    return LoadError(f"{data}: the data have {n} units per sample but the model {model} has "
                     f"{n_model}; evaluate it on data of the same shape.")


def cmd_evaluate(args) -> int:
    from boltzmann_lab import memory
    from boltzmann_lab.data.loaders import load_path, peek_shape
    from boltzmann_lab.data.prepare import prepare
    from boltzmann_lab.io.modelio import load_model, read_model_header

    header = read_model_header(args.model)
    n_model = header.units
    # headers only: nothing read yet (categorical data are read line by line with their own
    # memory check, boltzmann_lab.data.alignments)
    categorical = header.meta.get("convention") == "categorical"
    shape = None if categorical else peek_shape(args.data, key=args.key)
    if shape is not None:
        if n_model is not None and shape[1] != n_model:
            raise _mismatch(args.data, shape[1], args.model, n_model)
        memory.check_bytes(memory.estimate_evaluation(header.kind, shape[1], header.all_units,
                                                      header.nbytes, shape[0]),
                           f"evaluating this model on {shape[0]} samples",
                           "Evaluate on a subset of the data.", source=str(args.data))
    model = load_model(args.model)
    if model.convention == "categorical":     # states read with the model's own alphabet
        from boltzmann_lab.data.categorical import load_for_model
        ds = load_for_model(args.data, model, key=args.key)
    else:
        raw = load_path(args.data, key=args.key)
        conv = model.convention if model.convention in ("binary", "spin") else "real"
        ds = prepare(raw, {"convention": conv, "validation_fraction": 0.0, "seed": args.seed,
                           "binarize": "none"})
    if n_model is not None and ds.n != n_model:
        raise _mismatch(args.data, ds.n, args.model, n_model)
    metrics = dict(model.evaluate(ds.train, seed=args.seed))
    result = {}
    for k, v in metrics.items():
        if hasattr(v, "item") and getattr(v, "size", 2) == 1:
            v = v.item()
        if isinstance(v, (int, float, str, bool)) or v is None:
            result[k] = _json_safe(float(v)) if isinstance(v, float) else v
    result.setdefault("samples", int(len(ds.train)))
    print(json.dumps(result))
    return 0
