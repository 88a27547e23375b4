"""The distribution installs ONE importable package, ``boltzmann_lab``; the repository's folders
``core/``, ``app/`` and ``resources/`` are mapped into it (pyproject ``package-dir``)."""

import importlib.metadata
import tomllib
from pathlib import Path

import boltzmann_lab

ROOT = Path(__file__).resolve().parents[2]
MAPPING = {"boltzmann_lab": "core", "boltzmann_lab.app": "app", "boltzmann_lab.resources": "resources"}


def _pyproject():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_package_dir_maps_the_three_folders():
    setup = _pyproject()["tool"]["setuptools"]
    assert setup["package-dir"] == MAPPING


def test_every_package_folder_is_listed():
    listed = set(_pyproject()["tool"]["setuptools"]["packages"])
    found = set()
    for pkg, folder in MAPPING.items():
        for init in (ROOT / folder).rglob("__init__.py"):
            rel = init.parent.relative_to(ROOT / folder).parts
            if "__pycache__" in rel:
                continue
            name = ".".join((pkg,) + rel)
            if not any(name.startswith(other + ".") or name == other
                       for other in MAPPING if other != pkg and len(other) > len(pkg)):
                found.add(name)
    assert found == listed, f"missing from pyproject: {found - listed}; listed but absent: {listed - found}"


def test_installed_distribution_has_no_generic_top_level_names():
    """Read the RECORD of the install that ``import boltzmann_lab`` found (CI: a regular install
    into a fresh venv).  An editable install maps the source folders and has no such list."""
    site = Path(boltzmann_lab.__file__).resolve().parent.parent
    if site == ROOT:
        return   # editable install from this checkout: nothing is copied into site-packages
    dists = [d for d in importlib.metadata.distributions(path=[str(site)])
             if d.metadata["Name"] == "boltzmann-lab"]
    assert len(dists) == 1, dists
    tops = {f.parts[0] for f in dists[0].files if f.suffix == ".py"}
    assert tops == {"boltzmann_lab"}, tops
    for generic in ("core", "app", "resources"):
        assert not (site / generic).exists(), f"{generic} installed at top level of {site}"


def test_the_console_script_points_into_the_package():
    scripts = _pyproject()["project"]["scripts"]
    assert scripts == {"boltzmann-lab": "boltzmann_lab.app.cli:main"}
    assert boltzmann_lab.__name__ == "boltzmann_lab"
