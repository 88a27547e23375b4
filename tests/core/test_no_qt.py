"""What the plain install must do without optional packages.

* The numerical core (``boltzmann_lab`` minus ``boltzmann_lab.app``) must stay usable without Qt:
  every core module is imported with PySide6/pyqtgraph made unimportable.
* A plain ``pip install .`` has none of the test/bench extras (scipy, scikit-learn, hypothesis,
  pytest): every runtime module, the app's included, is imported — and every preset builds and
  takes its first training step — with those packages made unimportable.  A module-level
  ``import scipy`` once crashed every EM preset after the README's first command, and CI (which
  installs ``.[test]``) could not see it.
"""

import pkgutil
import subprocess
import sys
from pathlib import Path

import boltzmann_lab

QT = ("PySide6", "shiboken6", "pyqtgraph", "PyQt5", "PyQt6")
TEST_ONLY = ("scipy", "sklearn", "hypothesis", "pytest", "pytestqt", "_pytest", "pandas", "matplotlib")


def _modules(include_app: bool):
    import boltzmann_lab.app
    names = ["boltzmann_lab"]
    for info in pkgutil.walk_packages(boltzmann_lab.__path__, prefix="boltzmann_lab."):
        if not info.name.startswith("boltzmann_lab.app"):
            names.append(info.name)
    if include_app:   # an editable install maps app/ elsewhere: walk it on its own
        names.append("boltzmann_lab.app")
        names += [info.name for info in pkgutil.walk_packages(boltzmann_lab.app.__path__,
                                                               prefix="boltzmann_lab.app.")]
    # ``__main__`` modules run the command line when imported
    return sorted(n for n in set(names) if not n.endswith(".__main__"))


def _run_blocked(blocked, body: str):
    """Run ``body`` in a fresh interpreter in which importing any of ``blocked`` fails."""
    script = (
        "import sys, importlib\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        f"        if name.split('.')[0] in {tuple(blocked)!r}:\n"
        "            raise ImportError('not available in this install: ' + name)\n"
        "sys.meta_path.insert(0, Block())\n" + body)
    return subprocess.run([sys.executable, "-c", script], cwd=Path(__file__).parent,
                          capture_output=True, text=True, timeout=900,
                          env={**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen"})


def test_every_core_module_imports_without_qt():
    modules = _modules(include_app=False)
    assert "boltzmann_lab.learning.trainer" in modules and "boltzmann_lab.config" in modules
    assert not [m for m in modules if m.startswith("boltzmann_lab.app")]
    res = _run_blocked(QT, (
        f"for m in {modules!r}:\n"
        "    importlib.import_module(m)\n"
        f"bad = [m for m in sys.modules if m.split('.')[0] in {QT!r}]\n"
        "assert not bad, bad\n"
        f"print('imported', {len(modules)})\n"))
    assert res.returncode == 0, res.stderr
    assert f"imported {len(modules)}" in res.stdout


def test_every_runtime_module_imports_without_the_test_extras():
    modules = _modules(include_app=True)
    assert "boltzmann_lab.app.main_window" in modules
    res = _run_blocked(TEST_ONLY, (
        f"for m in {modules!r}:\n"
        "    importlib.import_module(m)\n"
        f"print('imported', {len(modules)})\n"))
    assert res.returncode == 0, res.stderr
    assert f"imported {len(modules)}" in res.stdout


def test_every_preset_takes_a_step_without_the_test_extras():
    from boltzmann_lab.presets import preset_names
    names = preset_names()
    assert len(names) >= 10
    res = _run_blocked(TEST_ONLY, (
        "from boltzmann_lab.presets import load_preset, preset_names\n"
        "from boltzmann_lab.build import make_trainer\n"
        "done = []\n"
        "for name in preset_names():\n"
        "    trainer = make_trainer(load_preset(name))\n"
        "    trainer.step()\n"
        "    trainer.learner.evaluate()\n"
        "    done.append(name)\n"
        "print('stepped', len(done))\n"))
    assert res.returncode == 0, res.stderr
    assert f"stepped {len(names)}" in res.stdout
