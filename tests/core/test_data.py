"""Data preparation and model compatibility (boltzmann_lab.data.prepare)."""

import numpy as np
import pytest

from boltzmann_lab.config import resolve
from boltzmann_lab.data.prepare import check_compatible, detect_convention, load_dataset, prepare
from boltzmann_lab.data.loaders import LoadError, RawData


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("BOLTZMANN_LAB_CACHE", str(tmp_path / "cache"))


def D(**kw):
    base = {"seed": 0, "convention": "auto", "binarize": "none", "threshold": 0.5,
            "standardize": False, "validation_fraction": 0.0, "max_samples": None}
    base.update(kw)
    return base


def raw(x, **kw):
    return RawData(np.asarray(x, dtype=float), name="test.npy", **kw)


def test_detect_convention():
    assert detect_convention(np.array([[0, 1], [1, 1]])) == "binary"
    assert detect_convention(np.array([[-1, 1], [1, 1]])) == "spin"
    assert detect_convention(np.array([[0.5, 1]])) == "real"
    assert detect_convention(np.array([[-1, 0, 1]])) == "real"
    assert detect_convention(np.ones((2, 2))) == "binary"
    assert detect_convention(np.ones((2, 2)), hint="spin") == "spin"


def test_auto_keeps_own_convention_and_conversions_are_exact():
    b = np.array([[0, 1, 1], [1, 0, 0]])
    assert prepare(raw(b), D()).convention == "binary"
    ds = prepare(raw(b), D(convention="spin"))
    assert ds.convention == "spin" and np.array_equal(ds.train, 2 * b - 1)
    back = prepare(raw(2 * b - 1), D(convention="binary"))
    assert np.array_equal(back.train, b)
    real = prepare(raw(b), D(convention="real"))
    assert real.convention == "real" and np.array_equal(real.train, b)


def test_real_values_refused_for_binary_convention_with_advice():
    with pytest.raises(LoadError) as info:
        prepare(raw([[0.2, 0.7], [0.9, 0.1]]), D(convention="binary"))
    msg = str(info.value)
    assert "test.npy" in msg and 'binarize = "threshold"' in msg


def test_threshold_binarisation_scales_to_unit_interval():
    x = np.array([[0, 100, 200, 255]])
    ds = prepare(raw(x), D(binarize="threshold"))
    assert ds.convention == "binary" and list(ds.train[0]) == [0, 0, 1, 1]
    ds = prepare(raw([[0.2, 0.6]]), D(binarize="threshold", threshold=0.1))
    assert list(ds.train[0]) == [1, 1]
    ds = prepare(raw([[-1, 1, 1]]), D(binarize="threshold", convention="spin"))
    assert list(ds.train[0]) == [-1, 1, 1]


def test_stochastic_binarisation_is_seeded_and_unbiased():
    p = np.tile(np.linspace(0.05, 0.95, 10), (4000, 1))
    a = prepare(raw(p), D(binarize="stochastic", seed=3))
    b = prepare(raw(p), D(binarize="stochastic", seed=3))
    c = prepare(raw(p), D(binarize="stochastic", seed=4))
    assert np.array_equal(a.train, b.train) and not np.array_equal(a.train, c.train)
    est = a.train.mean(axis=0)
    se = np.sqrt(p[0] * (1 - p[0]) / 4000)
    assert np.all(np.abs(est - p[0]) <= 5 * se)


def test_split_is_seeded_disjoint_and_keeps_order():
    x = np.arange(100.0).reshape(50, 2)
    labels = np.arange(50.0)
    ds = prepare(raw(x, labels=labels), D(validation_fraction=0.2, seed=1))
    assert len(ds.train) == 40 and len(ds.val) == 10
    assert np.all(np.diff(ds.train[:, 0]) > 0) and np.all(np.diff(ds.val[:, 0]) > 0)
    assert sorted(np.concatenate([ds.train[:, 0], ds.val[:, 0]])) == list(x[:, 0])
    assert np.array_equal(ds.labels, ds.train[:, 0] / 2)
    assert np.array_equal(ds.meta["val_labels"], ds.val[:, 0] / 2)
    again = prepare(raw(x), D(validation_fraction=0.2, seed=1))
    assert np.array_equal(again.val, ds.val)
    other = prepare(raw(x), D(validation_fraction=0.2, seed=2))
    assert not np.array_equal(other.val, ds.val)
    tiny = prepare(raw([[0.5, 0.0], [0.0, 0.5]]), D(validation_fraction=0.1))
    assert len(tiny.train) == 1 and len(tiny.val) == 1
    # binary data that are a small finite set are not split (prepare, step 5)
    finite = prepare(raw([[1.0, 0.0], [0.0, 1.0]]), D(validation_fraction=0.1))
    assert len(finite.train) == 2 and len(finite.val) == 0 and "finite set" in \
        finite.meta["validation"]


def test_max_samples_and_standardize():
    rng = np.random.default_rng(0)
    x = rng.normal(5, 3, size=(300, 4))
    ds = prepare(raw(x), D(max_samples=100, standardize=True, validation_fraction=0.1))
    assert len(ds.train) + len(ds.val) == 100
    assert np.allclose(ds.train.mean(axis=0), 0) and np.allclose(ds.train.std(axis=0), 1)
    const = prepare(raw(np.ones((5, 2)) * [1, 2.5]), D(standardize=True, convention="real"))
    assert np.allclose(const.train, 0)


def test_prepare_rejects_bad_arrays():
    with pytest.raises(LoadError, match="NaN"):
        prepare(raw([[1.0, np.nan]]), D())
    with pytest.raises(LoadError, match="2-D"):
        prepare(raw(np.ones(3)), D())


def _cfg(kind, data=None, model=None, training=None):
    return resolve({"data": data or {"generator": "bars_and_stripes"},
                    "model": {"kind": kind, **(model or {})}, "training": training or {}})


@pytest.mark.parametrize("kind", ["maxent", "rbm", "dbm", "hopfield"])
def test_discrete_models_refuse_real_data(kind):
    ds = prepare(raw([[0.3, 0.5], [0.1, 0.9]]), D())
    with pytest.raises(LoadError) as info:
        check_compatible(ds, _cfg(kind))
    assert kind in str(info.value) and 'binarize = "threshold"' in str(info.value)


def test_other_compatibility_rules():
    real = prepare(raw([[0.3, 0.5], [0.1, 0.9]]), D())
    binary = prepare(raw([[0, 1], [1, 0]]), D())
    check_compatible(real, _cfg("gaussian"))
    check_compatible(real, _cfg("rbm", model={"visible_units": "gaussian"}))
    check_compatible(real, _cfg("mixture"))
    with pytest.raises(LoadError, match='convention = "real"'):
        check_compatible(binary, _cfg("gaussian"))
    with pytest.raises(LoadError, match="binarize"):
        check_compatible(real, _cfg("mixture", model={"family": "bernoulli"}))
    big = prepare(raw(np.zeros((3, 30))), D())
    with pytest.raises(LoadError, match="mcmc"):
        check_compatible(big, _cfg("maxent"))
    check_compatible(big, _cfg("maxent", training={"estimator": "mcmc"}))
    odd = prepare(raw(np.zeros((3, 7))), D())
    with pytest.raises(LoadError, match="lattice"):
        check_compatible(odd, _cfg("maxent", model={"pairs": "lattice"}))


def test_load_dataset_from_generator_and_file(tmp_path):
    cfg = _cfg("rbm")
    ds = load_dataset(cfg)
    assert ds.convention == "binary" and ds.image_shape == (4, 4)
    assert len(ds.train) + len(ds.val) == 30
    np.save(tmp_path / "d.npy", np.random.default_rng(0).random((20, 5)))
    cfg = _cfg("rbm", data={"path": str(tmp_path / "d.npy")})
    with pytest.raises(LoadError, match="binarize"):
        load_dataset(cfg)
    cfg = _cfg("rbm", data={"path": str(tmp_path / "d.npy"), "binarize": "threshold"})
    assert load_dataset(cfg).convention == "binary"
    cfg = _cfg("hopfield", data={"generator": "patterns", "style": "letters", "count": 4,
                                 "validation_fraction": 0.0})
    ds = load_dataset(cfg)
    assert ds.convention == "spin" and ds.train.shape == (4, 100) and ds.image_shape == (10, 10)
