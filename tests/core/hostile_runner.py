"""Run hostile-input cases, each in its own forked child, and report exit code, output and peak
memory.  ``python tests/core/hostile_runner.py CASES.json RESULTS.json``.

The package (and its numba kernels) is imported and warmed once here; every case then runs in a
``fork`` of this process, so it costs only its own work, and ``os.wait4`` gives the child's peak
resident set size (``ru_maxrss``).  The child records its own resident size before the case
(``start``; pages it shares with the runner are counted only once it touches them), so
``maxrss - start`` is the memory the case itself took.  Each child runs under an address-space limit (this process's
size plus ``HOSTILE_AS_HEADROOM_MB``) and an alarm, so a regression fails its case instead of
swapping the shared machine or hanging.

A case is ``{"name", "kind", "args", "cwd"}`` with ``kind``:

* ``cli`` — ``boltzmann_lab.app.cli.main(args)``; its return value is the exit code;
* ``load`` — ``load_path(*args)``; ``session`` — ``load_session(args[0])``, then build its trainer
  and ``restore`` it; ``model`` — ``load_model(args[0])``.  These print ``error: MESSAGE`` to
  stderr and exit 2 on the module's own error type, 0 on success; anything else escapes (exit 1
  with a traceback).
"""

from __future__ import annotations

import json
import os
import resource
import signal
import sys
import time
import traceback

HEADROOM_MB = int(os.environ.get("HOSTILE_AS_HEADROOM_MB", "3072"))
ALARM_S = int(os.environ.get("HOSTILE_ALARM_S", "120"))


def _status(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    return 0


def _warm(tmp):
    """Import and compile what the cases use, so children do not pay (or count) it."""
    import numpy as np

    from boltzmann_lab.app import cli  # noqa: F401
    from boltzmann_lab.build import make_trainer
    from boltzmann_lab.config import resolve
    from boltzmann_lab.data.loaders import decode_png
    from boltzmann_lab.io import modelio, session  # noqa: F401

    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(__file__))))
    from tests.core.hostile import paeth_png
    decode_png(paeth_png(8, 8), "warm.png")
    for cfg in ({"data": {"generator": "bars_and_stripes", "size": 2}, "model": {"kind": "rbm",
                 "hidden": 2}, "training": {"steps": 1, "chains": 2}},
                {"data": {"generator": "sk", "n": 4, "samples": 20}, "model": {"kind": "maxent"},
                 "training": {"steps": 1}}):
        t = make_trainer(resolve(cfg))
        t.step(with_views=False)
        t.learner.model.sample(2, 0)
    np.zeros(1)


def _run_case(case) -> int:
    kind, args = case["kind"], case["args"]
    if kind == "cli":
        from boltzmann_lab.app.cli import main
        return int(main([str(a) for a in args]))
    from boltzmann_lab.config import ConfigError
    from boltzmann_lab.data.loaders import LoadError
    from boltzmann_lab.io.session import SessionError
    try:
        if kind == "load":
            from boltzmann_lab.data.loaders import load_path
            raw = load_path(*args)
            print(f"loaded {raw.x.shape}")
        elif kind == "model":
            from boltzmann_lab.io.modelio import load_model
            load_model(args[0])
        elif kind == "session":
            from boltzmann_lab.build import make_trainer
            from boltzmann_lab.config import resolve
            from boltzmann_lab.io.session import load_session, restore
            s = load_session(args[0])
            trainer = make_trainer(resolve(s.config, source=args[0]), source=args[0])
            restore(trainer, s, where=args[0])
            print(f"restored at step {trainer.step_count}")
        else:
            raise ValueError(f"unknown case kind {kind!r}")
    except (LoadError, ConfigError, SessionError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def main(cases_path, results_path):
    with open(cases_path) as f:
        cases = json.load(f)
    _warm(os.path.dirname(results_path))
    results = []
    for case in cases:
        out_path = results_path + f".{len(results)}.out"
        err_path = results_path + f".{len(results)}.err"
        start_path = results_path + f".{len(results)}.start"
        base = _status("VmRSS")
        limit = _status("VmSize") + HEADROOM_MB * (1 << 20)
        sys.stdout.flush()
        sys.stderr.flush()
        t0 = time.perf_counter()
        pid = os.fork()
        if pid == 0:          # the child: never returns
            code = 99
            try:
                os.chdir(case["cwd"])
                for fd, p in ((1, out_path), (2, err_path)):
                    h = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
                    os.dup2(h, fd)
                    os.close(h)
                resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
                with open(start_path, "w") as f:     # what this child holds before the case
                    f.write(str(_status("VmRSS")))
                signal.alarm(ALARM_S)
                code = _run_case(case)
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 1
            except BaseException:
                traceback.print_exc()
                code = 98
            finally:
                try:
                    sys.stdout.flush()
                    sys.stderr.flush()
                finally:
                    os._exit(code)
        _, status, usage = os.wait4(pid, 0)
        seconds = time.perf_counter() - t0
        with open(out_path, errors="replace") as f:
            out = f.read()
        with open(err_path, errors="replace") as f:
            err = f.read()
        try:
            with open(start_path) as f:
                start = int(f.read())
        except (OSError, ValueError):
            start = 0
        results.append({"name": case["name"], "code": os.waitstatus_to_exitcode(status),
                        "stdout": out, "stderr": err, "maxrss": usage.ru_maxrss * 1024,
                        "start": start, "runner_rss": base, "seconds": seconds})
    with open(results_path, "w") as f:
        json.dump(results, f, indent=1)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
