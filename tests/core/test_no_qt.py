"""core/ must stay usable without Qt: import every core module with PySide6 made unimportable."""

import pkgutil
import subprocess
import sys
from pathlib import Path

import core

ROOT = Path(core.__file__).resolve().parent.parent


def _core_modules():
    names = ["core"]
    for info in pkgutil.walk_packages(core.__path__, prefix="core."):
        names.append(info.name)
    return names


def test_every_core_module_imports_without_qt():
    modules = _core_modules()
    assert "core.trainer" in modules and "core.config" in modules
    script = (
        "import sys, importlib\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('PySide6', 'shiboken6', 'pyqtgraph', 'PyQt5', 'PyQt6'):\n"
        "            raise ImportError('Qt is forbidden in core: ' + name)\n"
        "sys.meta_path.insert(0, Block())\n"
        f"for m in {modules!r}:\n"
        "    importlib.import_module(m)\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'shiboken6', 'pyqtgraph')]\n"
        "assert not bad, bad\n"
        "print('imported', len(" f"{modules!r}" "))\n"
    )
    res = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True,
                         timeout=600)
    assert res.returncode == 0, res.stderr
    assert f"imported {len(modules)}" in res.stdout
