"""The window on a projector: every preset at 1280 x 800 and 1024 x 768, normal and in presentation
mode (each main view of the compact layout), walked widget by widget (``layout_probe.py``): nothing
outside the window or the screen, no label or button text cut, no axis labels or mosaic headers
drawn over each other, no plot squeezed flat, no toolbar overflow.

The probe runs in a subprocess because the screen sizes are fixed when Qt starts: the offscreen
platform reads them from a JSON file (``QT_QPA_PLATFORM=offscreen:configfile=...``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

PROBE = Path(__file__).with_name("layout_probe.py")
SCREENS = [(1280, 800), (1024, 768)]


def screens_file(folder: Path, sizes=SCREENS) -> Path:
    """An offscreen-platform configuration with one screen per size, side by side."""
    screens, x = [], 0
    for i, (w, h) in enumerate(sizes):
        screens.append({"name": f"projector{i}", "x": x, "y": 0, "width": w, "height": h,
                        "logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1})
        x += w
    path = folder / "screens.json"
    path.write_text(json.dumps({"screens": screens}), encoding="utf-8")
    return path


def run_probe(tmp_path, names=()):
    env = dict(os.environ, QT_QPA_PLATFORM=f"offscreen:configfile={screens_file(tmp_path)}",
               LAYOUT_PROBE_SETTINGS=str(tmp_path / "settings"))
    r = subprocess.run([sys.executable, str(PROBE), *names], env=env, capture_output=True,
                       text=True, timeout=900)
    assert r.returncode == 0, r.stderr[-3000:]
    line = next((ln for ln in r.stdout.splitlines() if ln.startswith('{"problems"')), None)
    assert line is not None, r.stdout[-2000:] + r.stderr[-2000:]
    return json.loads(line)


def test_every_preset_fits_a_projector_normal_and_in_presentation(tmp_path):
    from boltzmann_lab.presets import preset_names
    result = run_probe(tmp_path)
    checked = result["checked"]
    for name in preset_names():
        for w, h in SCREENS:
            assert f"{name} {w}x{h} normal" in checked
            pages = [k for k in checked if k.startswith(f"{name} {w}x{h} presentation")]
            assert pages, f"{name} was not checked in presentation mode at {w}x{h}"
            # presentation mode: one main view and at most the curves beside it
            assert all(len(checked[k]) <= 2 for k in pages), [checked[k] for k in pages]
    assert not result["problems"], "\n".join(result["problems"])
