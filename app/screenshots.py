"""Make the gallery/README screenshots: ``python -m boltzmann_lab.app.screenshots [--presentation]
[NAME ...]``.

For each preset (default: all) this runs ``boltzmann-lab --preset NAME --autoplay --screenshot
... --quit-after SECONDS`` in a fresh process with ``QT_QPA_PLATFORM=offscreen`` (settings
redirected to a temporary folder so the user's window layout does not leak in), then scales the
1600 x 900 window grab down to 1280 x 720 and writes ``resources/screenshots/NAME.png`` (a few
hundred KB at most).  A preset's ``[view]`` table may set ``screenshot_after`` (seconds, default
12): the moment that shows the demo best.

``--presentation`` shows the lecture-hall view instead: presentation mode on a 1280 x 800 screen
(the offscreen platform's screen set by a configuration file), written unscaled to
``resources/screenshots/presentation/NAME.png``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

#: the projector of the presentation screenshots; the screen with room for a 1600 x 900 window
from .display import PROJECTOR_SCREEN as PROJECTOR, SCREENSHOT_SCREEN
from .display import offscreen_screen  # noqa: F401  (was defined here; tests import it)

SIZE = (1280, 720)
DEFAULT_AFTER = 12.0
MAX_BYTES = 240_000


def out_dir() -> Path:
    from boltzmann_lab.resources import resource_path
    return resource_path("screenshots")


def seconds_for(name: str) -> float:
    from boltzmann_lab.presets import load_preset
    return float((load_preset(name).get("view") or {}).get("screenshot_after", DEFAULT_AFTER))


def shrink(src: Path, dst: Path, size=SIZE) -> Path:
    """Scale a PNG to ``size`` (smooth, aspect kept) and write it as an optimised PNG."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage
    if QGuiApplication.instance() is None:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")   # no display needed to scale
        shrink._app = QGuiApplication(["screenshots"])
    img = QImage(str(src))
    if img.isNull():
        raise RuntimeError(f"{src}: not an image")
    small = img.scaled(size[0], size[1], Qt.KeepAspectRatio, Qt.SmoothTransformation)
    dst.parent.mkdir(parents=True, exist_ok=True)
    if not small.save(str(dst), "PNG", 0):     # quality 0 = smallest PNG
        raise RuntimeError(f"could not write {dst}")
    if dst.stat().st_size > MAX_BYTES:
        # noisy lattices compress badly: a 256-colour palette (error-diffused) is far smaller
        small.convertToFormat(QImage.Format_Indexed8, Qt.DiffuseDither).save(str(dst), "PNG", 0)
    return dst


def make(name: str, seconds: float | None = None, presentation: bool = False) -> Path:
    secs = seconds_for(name) if seconds is None else float(seconds)
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / f"{name}.png"
        # the window fits its screen: for the gallery one that leaves a 1600 x 900 window inside
        # the offscreen platform's 2 px frame (scaled to 1280 x 720)
        platform = offscreen_screen(tmp, PROJECTOR if presentation else SCREENSHOT_SCREEN)
        env = dict(os.environ, QT_QPA_PLATFORM=platform,
                   BOLTZMANN_LAB_SETTINGS=str(Path(tmp) / "settings"))
        cmd = [sys.executable, "-m", "boltzmann_lab.app", "--preset", name, "--autoplay", "--screenshot",
               str(raw), "--quit-after", str(secs)] + (["--presentation"] if presentation else [])
        r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=secs + 180)
        if r.returncode != 0 or not raw.exists():
            raise RuntimeError(f"{name}: screenshot failed (exit {r.returncode})\n{r.stderr[-2000:]}")
        if presentation:
            return shrink(raw, out_dir() / "presentation" / f"{name}.png", PROJECTOR)
        return shrink(raw, out_dir() / f"{name}.png")


def main(argv=None) -> int:
    import argparse
    from boltzmann_lab.presets import preset_names
    p = argparse.ArgumentParser(
        prog="python -m boltzmann_lab.app.screenshots",
        description="Make the gallery screenshots: each preset runs with --autoplay for its "
                    "[view] screenshot_after seconds (default %g) in a fresh offscreen process; "
                    "the 1600 x 900 window is written scaled to 1280 x 720 as "
                    "resources/screenshots/NAME.png." % DEFAULT_AFTER)
    p.add_argument("names", nargs="*", metavar="NAME",
                   help="presets to shoot (default: all; `boltzmann-lab presets` lists them)")
    p.add_argument("--presentation", action="store_true",
                   help="presentation mode on a 1280 x 800 projector instead, written unscaled "
                        "to resources/screenshots/presentation/NAME.png")
    args = p.parse_args(argv)
    known = preset_names()
    unknown = [n for n in args.names if n not in known]
    if unknown:
        p.error(f"unknown preset {', '.join(unknown)}; available: {', '.join(known)}")
    for name in args.names or known:
        path = make(name, presentation=args.presentation)
        print(f"{path}  {path.stat().st_size // 1024} KB", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
