"""The README documents what the code does: generated sections match their sources."""

from pathlib import Path

from boltzmann_lab import config, presets

README = Path(__file__).resolve().parents[2] / "README.md"


def _section(text, name):
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    assert start in text and end in text, f"README lacks the {name} markers"
    return text.split(start, 1)[1].split(end, 1)[0].strip()


def test_config_reference_matches_the_schema():
    documented = _section(README.read_text(encoding="utf-8"), "config-reference")
    assert documented == config.markdown_reference().strip(), (
        "README config reference is stale: paste the output of `python -m boltzmann_lab.config` between "
        "the config-reference markers")


def test_every_preset_is_listed_with_its_title():
    table = _section(README.read_text(encoding="utf-8"), "presets")
    for name, title, _ in presets.list_presets():
        assert f"`{name}`" in table and title in table, f"preset {name} is missing from the README"


def test_the_readme_test_command_is_what_ci_runs():
    ci = (README.parent / ".ci" / "run").read_text(encoding="utf-8")
    command = ('python3 -m venv .venv && .venv/bin/pip install -q ".[test]" && '
               'QT_QPA_PLATFORM=offscreen .venv/bin/python -m pytest -q')
    assert command in README.read_text(encoding="utf-8") and command in ci
