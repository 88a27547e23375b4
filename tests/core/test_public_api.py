"""The public Python API: lazy top-level names, documented classes whose examples run, the
notebook example, and the example from a regular (non-editable) install."""

import doctest
import importlib
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import boltzmann_lab as bl

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "notebook_quickstart.py"
PUBLIC_MODULES = ["boltzmann_lab.estimators.rbm", "boltzmann_lab.estimators.dbm",
                  "boltzmann_lab.estimators.maxent", "boltzmann_lab.estimators.hopfield",
                  "boltzmann_lab.estimators.mixture", "boltzmann_lab.estimators.loading",
                  "boltzmann_lab.datasets"]
CLASSES = ["RBM", "DBM", "MaxEnt", "GaussianMaxEnt", "Hopfield", "Mixture"]


def _env():
    return {**os.environ, "NUMBA_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}


def test_import_is_lazy_and_cheap():
    """``import boltzmann_lab`` (the CLI's first import too) loads neither numpy nor numba, and
    touching an estimator class still compiles nothing."""
    code = ("import sys, boltzmann_lab as bl\n"
            "heavy = ('numpy', 'numba', 'boltzmann_lab.estimators', 'boltzmann_lab.models')\n"
            "print(sorted(m for m in heavy if m in sys.modules))\n"
            "bl.RBM, bl.datasets, bl.load\n"
            "print('numba' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT / "tests", env=_env(), timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split("\n")[:2] == ["[]", "False"]


def test_all_names_resolve_and_version_matches_pyproject():
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert bl.__version__ == version
    assert set(CLASSES + ["datasets", "load", "sweep", "__version__"]) <= set(bl.__all__)
    assert set(bl.__all__) <= set(dir(bl))
    sweeps = importlib.import_module("boltzmann_lab.sweeps")
    for name in bl.__all__:
        if name == "sweep" and not hasattr(sweeps, "sweep"):
            with pytest.raises(AttributeError, match="not available"):
                bl.sweep
            continue            # declared; built in boltzmann_lab.sweeps by another change
        assert getattr(bl, name) is not None
    assert bl.RBM is importlib.import_module("boltzmann_lab.estimators").RBM
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        bl.nothing


@pytest.mark.parametrize("name", CLASSES)
def test_public_classes_document_parameters_and_an_example(name):
    doc = getattr(bl, name).__doc__
    assert "Parameters\n    ----------" in doc and "Examples\n    --------" in doc
    assert "Attributes\n    ----------" in doc
    for param in getattr(bl, name)._get_param_names():
        assert param in doc, f"{name} does not document {param}"


@pytest.mark.parametrize("module", PUBLIC_MODULES)
def test_doctests_of_the_public_api(module):
    mod = importlib.import_module(module)
    res = doctest.testmod(mod, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert res.failed == 0
    assert res.attempted > 0


def _run_example(python, cwd, extra_env=None):
    out = subprocess.run([python, str(EXAMPLE)], capture_output=True, text=True, cwd=cwd,
                         env={**_env(), **(extra_env or {})}, timeout=600)
    assert out.returncode == 0, out.stderr
    assert "RBM: log-likelihood" in out.stdout and "(exact)" in out.stdout
    assert "MaxEnt couplings J:" in out.stdout
    return out


def test_the_notebook_example_runs(tmp_path):
    _run_example(sys.executable, tmp_path)


@pytest.mark.slow
def test_the_example_runs_from_a_regular_install(tmp_path):
    """Build and install the package (not editable) into a folder, then run the example with
    that copy first on the path: bundled data and the new subpackages must be in the wheel."""
    target = tmp_path / "site"
    # pip builds the wheel in an isolated environment with the build-system requirements from
    # the package index (as a user's install does); without an index there is nothing to test
    pip = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                          "--target", str(target), str(ROOT)],
                         capture_output=True, text=True, timeout=600)
    if pip.returncode != 0 and ("No matching distribution" in pip.stderr
                                or "NewConnectionError" in pip.stderr):
        pytest.skip("the build requirements (setuptools, wheel) cannot be downloaded here")
    assert pip.returncode == 0, pip.stderr
    assert not (target / "core").exists() and (target / "boltzmann_lab" / "estimators").is_dir()
    where = subprocess.run([sys.executable, "-c", "import boltzmann_lab; print(boltzmann_lab.__file__)"],
                           capture_output=True, text=True, cwd=tmp_path,
                           env={**_env(), "PYTHONPATH": str(target)})
    assert where.stdout.strip().startswith(str(target)), where.stdout + where.stderr
    _run_example(sys.executable, tmp_path, {"PYTHONPATH": str(target)})


@pytest.mark.slow
def test_the_readme_python_api_example_runs(tmp_path):
    """The code block of the README's "Python API" section, as written (it saves rbm.npz into
    the working folder)."""
    import re
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Python API", 1)[1].split("\n## ", 1)[0]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    code += "\nprint(rbm.score_method_, type(bl.load('rbm.npz')).__name__, me.J_.shape)\n"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=tmp_path, env=_env(), timeout=600)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["ais", "RBM", "(10,", "10)"]
