"""One record per model kind (boltzmann_lab.kinds): every table that used to list kinds by hand
is now derived from it, and every record points at code that exists."""

import numpy as np
import pytest

from boltzmann_lab import build, config, kinds
from boltzmann_lab.io import modelio
from boltzmann_lab.learning.trainer import Learner


@pytest.mark.parametrize("name", list(kinds.KINDS))
def test_each_record_points_at_a_learner_factory_and_a_model_class(name):
    k = kinds.get(name)
    assert k.name == name and k.title
    assert callable(kinds._load(k.learner))
    cls = k.model_class()
    assert getattr(cls, "kind", name) == name
    assert hasattr(cls, "to_arrays") and hasattr(cls, "from_arrays")


def test_the_schema_model_files_and_factory_read_the_records():
    assert config.MODEL_KINDS == tuple(kinds.KINDS)
    for name, k in kinds.KINDS.items():
        assert config.MODEL_KEYS[name] is k.model_keys
        assert config.TRAINING_KEYS[name] is k.training_keys
        assert modelio.REGISTRY[name] == k.model
        assert set(k.files.required) <= set(k.files.shapes(k.files.required))
    with pytest.raises(KeyError, match="known kinds"):
        kinds.get("nonsense")


def test_needs_data_decides_whether_a_config_must_name_data():
    sim = [n for n, k in kinds.KINDS.items() if not k.needs_data]
    assert sim == ["ising"]
    cfg = config.resolve({"model": {"kind": "ising", "L": 8}})
    learner = build.make_learner(cfg, None)
    assert isinstance(learner, Learner) and learner.kind == "ising"
    with pytest.raises(config.ConfigError, match="needs either path"):
        config.resolve({"model": {"kind": "rbm"}})


@pytest.mark.parametrize("model_cfg, units", [
    ({"kind": "rbm", "visible_units": "gaussian"}, "real"),
    ({"kind": "rbm", "visible_units": "auto"}, "discrete"),
    ({"kind": "mixture", "family": "gaussian"}, "real"),
    ({"kind": "mixture", "family": "bernoulli"}, "discrete"),
    ({"kind": "mixture", "family": "auto"}, None),
    ({"kind": "gaussian"}, "real"),
    ({"kind": "maxent"}, "discrete"),
])
def test_data_requirements_follow_the_model_keys(model_cfg, units):
    assert kinds.get(model_cfg["kind"]).data_units(model_cfg) == units


def test_a_kinds_data_requirement_is_enforced_when_loading():
    from boltzmann_lab.data.dataset import Dataset
    from boltzmann_lab.data.loaders import LoadError
    from boltzmann_lab.data.prepare import check_compatible
    real = Dataset(train=np.random.default_rng(0).normal(size=(20, 3)), val=np.zeros((0, 3)),
                   convention="real")
    cfg = config.resolve({"data": {"generator": "digits"}, "model": {"kind": "maxent"}})
    with pytest.raises(LoadError, match="binary"):
        check_compatible(real, cfg)
    cfg = config.resolve({"data": {"generator": "digits"}, "model": {"kind": "gaussian"}})
    check_compatible(real, cfg)
