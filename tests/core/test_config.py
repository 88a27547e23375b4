"""Run-config validation from the user's side: errors name the key and the allowed values, every
default is written into the resolved config, and the resolved config round-trips through TOML."""

import pytest

from boltzmann_lab import config
from boltzmann_lab.config import ConfigError, resolve


def _err(cfg) -> str:
    with pytest.raises(ConfigError) as info:
        resolve(cfg, source="run.toml")
    return str(info.value)


def test_unknown_keys_name_the_key_and_the_allowed_ones():
    msg = _err({"data": {"generator": "bars_and_stripes", "sise": 4}})
    assert "run.toml" in msg and "'sise'" in msg and "size" in msg and "[data]" in msg
    msg = _err({"data": {"generator": "sk"}, "model": {"kind": "rbm", "hiden": 3}})
    assert "'hiden'" in msg and "hidden" in msg and "'rbm'" in msg
    # generator keys are only allowed with their generator
    msg = _err({"data": {"generator": "ising", "size": 4}})
    assert "'size'" in msg and "temperature" in msg
    assert "[extra]" in _err({"extra": {}, "data": {"generator": "sk"}})


def test_out_of_range_and_choice_errors_name_the_allowed_values():
    msg = _err({"data": {"generator": "sk", "validation_fraction": 0.95}})
    assert "validation_fraction" in msg and "0.0 .. 0.9" in msg
    msg = _err({"data": {"generator": "sk", "n": 40}})
    assert "[data] n" in msg and "24" in msg
    msg = _err({"data": {"generator": "sk", "binarize": "yes"}})
    assert "'threshold'" in msg and "'stochastic'" in msg
    msg = _err({"data": {"generator": "nope"}})
    assert "'bars_and_stripes'" in msg and "'digits'" in msg
    msg = _err({"data": {"generator": "sk"}, "model": {"kind": "maxent",
                                                        "constraints": ["means", "triples"]}})
    assert "'triples'" in msg and "'population'" in msg
    msg = _err({"data": {"generator": "sk", "samples": "many"}})
    assert "[data] samples" in msg and "integer" in msg
    assert "kind" in _err({"data": {"generator": "sk"}, "model": {"kind": "svm"}})
    assert "path" in _err({"data": {}, "model": {"kind": "rbm"}})


def test_every_default_is_written_and_round_trips(tmp_path):
    cfg = resolve({"data": {"generator": "bars_and_stripes"}, "model": {"kind": "rbm"}})
    schema = config.sections_schema(cfg)
    for section, keys in schema.items():
        assert set(cfg[section]) == set(keys)
    (tmp_path / "r.toml").write_text(config.dumps(cfg))
    assert config.load(tmp_path / "r.toml") == cfg


def test_relative_data_path_is_relative_to_the_config(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "c.toml").write_text('[data]\npath = "x.npy"\n[model]\nkind = "rbm"\n')
    cfg = config.load(tmp_path / "sub" / "c.toml")
    assert cfg["data"]["path"] == str((tmp_path / "sub" / "x.npy").resolve())


def test_ising_kind_needs_no_data_and_new_data_keys_exist():
    cfg = resolve({"model": {"kind": "ising"}})
    assert cfg["data"]["path"] is None and cfg["data"]["generator"] is None
    cfg = resolve({"data": {"path": "imgs", "image_size": [8, 8]}, "model": {"kind": "rbm"}})
    assert cfg["data"]["image_size"] == [8, 8]
