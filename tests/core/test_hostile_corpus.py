"""A corpus of hostile inputs, generated at test time (a few MB on disk), run through ``train``,
``evaluate``, ``sample``, the loaders, ``load_model`` and ``load_session``.

Each case asserts its exit code, the first words of its one-paragraph message, and a bound on the
peak memory of the process that ran it (``ru_maxrss`` of a forked child, over the child's own
resident size when the case started; see ``hostile_runner.py``).  The memory bombs are small files that
declare or inflate to 1-2 GB: read the way they were before this corpus existed, each one peaked
at gigabytes; refused at their headers, each stays within ``BOUND_MB``.

The runner caps the memory the code may plan for with ``BOLTZMANN_LAB_MEMORY_LIMIT = 1G`` (the
documented environment variable), so the refusals do not depend on this machine's free memory.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from tests.core import hostile as H

ROOT = Path(__file__).resolve().parents[2]
RUNNER = Path(__file__).with_name("hostile_runner.py")
#: peak-memory bound (MB over the child's start) for a refused case; every bomb is >= 1024 MB
BOUND_MB = 100
#: for the cases that succeed on real (small) work
WORK_MB = 400

CASES: dict[str, dict] = {}


def case(name, code, prefix, mem=BOUND_MB):
    """Register a corpus case: ``build(root)`` makes its files and returns (kind, args)."""
    def wrap(build):
        CASES[name] = {"build": build, "code": code, "prefix": prefix, "mem": mem}
        return build
    return wrap


def toml(root, name, text):
    (root / name).write_text(text)
    return name


SK6 = '[data]\ngenerator = "sk"\nn = 6\nsamples = 200\n'


# ------------------------------------------------------------------------------ shared files
def _shared(root: Path):
    """Files several cases use: small valid models, an image folder, symlink loops."""
    from boltzmann_lab.io.modelio import save_model
    from boltzmann_lab.models.rbm import RBM
    rng = np.random.default_rng(0)
    save_model(root / "model6.npz", RBM(rng.normal(0, 0.1, (6, 3)), np.zeros(6), np.zeros(3)))
    save_model(root / "model1.npz", RBM(rng.normal(0, 0.1, (1, 2)), np.zeros(1), np.zeros(2)))
    (root / "small").mkdir()
    (root / "small" / "a.png").write_bytes(H.paeth_png(4, 4))
    os.symlink("loop2", root / "loop1")
    os.symlink("loop1", root / "loop2")


# ------------------------------------------------------------------------------ memory bombs
@case("png-inflates-2GB-train", 2, "ROOT/bomb/b.png: the PNG image data inflate to more than the 2 "
      "bytes its header declares")
def _(root):
    (root / "bomb").mkdir()
    (root / "bomb" / "b.png").write_bytes(H.png_inflating_to(2048))
    return "cli", ["train", toml(root, "png.toml", '[data]\npath = "bomb"\n[model]\nkind = "rbm"\n'
                                 'hidden = 2\n[training]\nsteps = 1\n'), "--out", "out-png"]


@case("png-inflates-2GB-evaluate", 2, "bomb/b.png: the PNG image data inflate to more than")
def _(root):
    return "cli", ["evaluate", "model1.npz", "bomb"]


@case("png-paeth-2000x2000-loads", 0, "", mem=WORK_MB)
def _(root):
    (root / "big").mkdir()
    (root / "big" / "p.png").write_bytes(H.paeth_png(2000, 2000))
    return "load", ["big"]


@case("model-W-2GB-inconsistent-sample", 2, "mW.npz: array 'a' has shape (3,), but this model "
      "needs (v,) with v = 16384, h = 16384")
def _(root):
    H.write_zip(root / "mW.npz", [
        H.json_member("meta", H.model_meta("rbm", "binary")),
        H.npy_member("W", shape=(16384, 16384)),
        H.npy_member("a", array=np.zeros(3)), H.npy_member("b", array=np.zeros(2))])
    return "cli", ["sample", "mW.npz", "-n", "5", "--out", "s.npy"]


@case("model-W-2GB-inconsistent-evaluate", 2, "mW.npz: array 'a' has shape (3,)")
def _(root):
    np.save(root / "d3.npy", np.zeros((4, 3)))
    return "cli", ["evaluate", "mW.npz", "d3.npy"]


@case("model-W-2GB-consistent-sample", 2, "mWc.npz: reading this model needs an estimated")
def _(root):
    H.write_zip(root / "mWc.npz", [
        H.json_member("meta", H.model_meta("rbm", "binary")),
        H.npy_member("W", shape=(16384, 16384)),
        H.npy_member("a", array=np.zeros(16384)), H.npy_member("b", array=np.zeros(16384))])
    return "cli", ["sample", "mWc.npz", "-n", "5", "--out", "s.npy"]


@case("model-member-inflates-past-its-header", 2, "mX.npz[W]: the member holds")
def _(root):
    H.write_zip(root / "mX.npz", [
        H.json_member("meta", H.model_meta("rbm", "binary")),
        H.npy_member("W", shape=(3, 2), zero_mb=1024),
        H.npy_member("a", array=np.zeros(3)), H.npy_member("b", array=np.zeros(2))])
    return "cli", ["sample", "mX.npz", "-n", "5", "--out", "s.npy"]


@case("npz-data-2GB-evaluate-unit-mismatch", 2, "data2g.npz: the data have 1024 units per sample "
      "but the model model6.npz has 6")
def _(root):
    H.write_zip(root / "data2g.npz", [H.npy_member("x", shape=(262144, 1024))])
    return "cli", ["evaluate", "model6.npz", "data2g.npz"]


@case("npz-data-2GB-train", 2, "npz.toml: this run needs an estimated")
def _(root):
    return "cli", ["train", toml(root, "npz.toml", '[data]\npath = "data2g.npz"\n[model]\n'
                                 'kind = "rbm"\n[training]\nsteps = 1\n'), "--out", "out-npz"]


@case("npz-data-member-inflates-past-its-header", 2, "dX.npz[x]: the member holds")
def _(root):
    H.write_zip(root / "dX.npz", [H.npy_member("x", shape=(4, 2), zero_mb=1024)])
    return "load", ["dX.npz"]


@case("chains-1e9", 2, "chains.toml: this run needs an estimated")
def _(root):
    return "cli", ["train", toml(root, "chains.toml", SK6 + '[model]\nkind = "maxent"\n[training]\n'
                                 'estimator = "mcmc"\nchains = 1000000000\n'), "--out", "o"]


@case("mixture-generator-1e4-x-1e6", 2, "mixgen.toml: this run needs an estimated")
def _(root):
    return "cli", ["train", toml(root, "mixgen.toml", '[data]\ngenerator = "mixture"\nn = 10000\n'
                                 'samples = 1000000\n[model]\nkind = "mixture"\n'), "--out", "o"]


@case("ising-generator-512-x-1e6", 2, "isinggen.toml: this run needs an estimated")
def _(root):
    return "cli", ["train", toml(root, "isinggen.toml", '[data]\ngenerator = "ising"\nL = 512\n'
                                 'samples = 1000000\n[model]\nkind = "rbm"\n'), "--out", "o"]


@case("image-size-1e5", 2, "imgsize.toml: this run needs an estimated")
def _(root):
    return "cli", ["train", toml(root, "imgsize.toml", '[data]\npath = "small"\n'
                                 'image_size = [100000, 100000]\n[model]\nkind = "rbm"\n'),
                   "--out", "o"]


@case("image-size-float", 2, "imgsizef.toml: [data] image_size[0] must be an integer")
def _(root):
    return "cli", ["train", toml(root, "imgsizef.toml", '[data]\npath = "small"\n'
                                 'image_size = [1e5, 1e5]\n[model]\nkind = "rbm"\n'), "--out", "o"]


@case("rbm-hidden-1e5-on-wide-data", 2, "wide.toml: this run needs an estimated")
def _(root):
    return "cli", ["train", toml(root, "wide.toml", '[data]\ngenerator = "mixture"\nn = 10000\n'
                                 'samples = 100\n[model]\nkind = "rbm"\nhidden = 100000\n'),
                   "--out", "o"]


@case("mask-declaring-1e12", 2, "ROOT/mask12.npy: the pair mask must have shape (6, 6), but its "
      "header declares (1000000, 1000000)")
def _(root):
    (root / "mask12.npy").write_bytes(H.npy_header((1000000, 1000000), "|b1") + bytes(64))
    return "cli", ["train", toml(root, "mask12.toml", SK6 + '[model]\nkind = "maxent"\n'
                                 'pairs = "mask"\nmask = "mask12.npy"\n'), "--out", "o"]


@case("sample-n-1e12", 2, "model6.npz: sample -n 1000000000000 (6 units each) needs an estimated")
def _(root):
    return "cli", ["sample", "model6.npz", "-n", "1000000000000", "--out", "s.npy"]


# ------------------------------------------------------------------------------ exit codes
@case("idx-255-dimensions", 2, "ROOT/d255-ubyte: the IDX header declares 255 dimensions")
def _(root):
    import struct
    (root / "d255-ubyte").write_bytes(bytes([0, 0, 8, 255]) + struct.pack(">255I", *[1] * 255)
                                      + b"\0")
    return "cli", ["train", toml(root, "idx.toml", '[data]\npath = "d255-ubyte"\n[model]\n'
                                 'kind = "rbm"\n'), "--out", "o"]


@case("toml-nested-100000-deep", 2, "deep.toml: the TOML is nested too deeply")
def _(root):
    (root / "deep.toml").write_text("a = " + "[" * 100000 + "]" * 100000 + "\n")
    return "cli", ["train", "deep.toml", "--out", "o"]


@case("section-not-a-table", 2, "d5.toml: [data] must be a table")
def _(root):
    return "cli", ["train", toml(root, "d5.toml", "data = 5\n"), "--out", "o"]


@case("dbm-hidden-negative", 2, "dbm.toml: [model] hidden[0] = -3 is too small")
def _(root):
    return "cli", ["train", toml(root, "dbm.toml", '[data]\ngenerator = "bars_and_stripes"\n'
                                 '[model]\nkind = "dbm"\nhidden = [-3, 10]\n'), "--out", "o"]


@case("hopfield-cue-out-of-range", 2, "hop.toml: [model] cue = 100000 is not a stored pattern")
def _(root):
    return "cli", ["train", toml(root, "hop.toml", '[data]\ngenerator = "patterns"\nn = 16\n'
                                 'count = 3\n[model]\nkind = "hopfield"\ncue = 100000\n'), "--out", "o"]


@case("init-params-too-few", 2, "ip.toml: [model] init_params has 1 numbers")
def _(root):
    return "cli", ["train", toml(root, "ip.toml", '[data]\ngenerator = "coin_tosses"\n[model]\n'
                                 'kind = "mixture"\ncomponents = 2\nfamily = "binomial"\n'
                                 'init = "given"\ninit_params = [0.6]\n'), "--out", "o"]


@case("init-params-nested", 2, "ipn.toml: [model] init_params: items must be numbers")
def _(root):
    return "cli", ["train", toml(root, "ipn.toml", '[data]\ngenerator = "coin_tosses"\n[model]\n'
                                 'kind = "mixture"\ninit = "given"\ninit_params = [[1], "x"]\n'),
                   "--out", "o"]


@case("seed-negative", 2, "seed.toml: [training] seed = -1 is too small")
def _(root):
    return "cli", ["train", toml(root, "seed.toml", SK6 + '[model]\nkind = "maxent"\n[training]\n'
                                 'seed = -1\n'), "--out", "o"]


@case("gaussian-sigma-nan", 2, "sigma.toml: [model] sigma = nan is not allowed")
def _(root):
    return "cli", ["train", toml(root, "sigma.toml", '[data]\ngenerator = "bars_and_stripes"\n'
                                 '[model]\nkind = "rbm"\nhidden_units = "gaussian"\nsigma = nan\n'),
                   "--out", "o"]


@case("learning-rate-nan", 2, "lrnan.toml: [training] learning_rate = nan is not allowed")
def _(root):
    return "cli", ["train", toml(root, "lrnan.toml", SK6 + '[model]\nkind = "maxent"\n'
                                 '[training]\nlearning_rate = nan\n'), "--out", "o"]


@case("learning-rate-inf", 2, "lrinf.toml: [training] learning_rate = inf is not allowed")
def _(root):
    return "cli", ["train", toml(root, "lrinf.toml", SK6 + '[model]\nkind = "maxent"\n'
                                 '[training]\nlearning_rate = inf\n'), "--out", "o"]


@case("threshold-nan", 2, "thr.toml: [data] threshold = nan is not allowed")
def _(root):
    return "cli", ["train", toml(root, "thr.toml", '[data]\ngenerator = "digits"\n'
                                 'binarize = "threshold"\nthreshold = nan\n[model]\nkind = "rbm"\n'),
                   "--out", "o"]


@case("mask-pickle", 2, "ROOT/mp.npy: the pair mask holds Python objects")
def _(root):
    np.save(root / "mp.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    return "cli", ["train", toml(root, "mp.toml", SK6 + '[model]\nkind = "maxent"\n'
                                 'pairs = "mask"\nmask = "mp.npy"\n'), "--out", "o"]


@case("mask-wrong-shape", 2, "ROOT/m3.npy: the pair mask must have shape (6, 6), but its header "
      "declares (3,)")
def _(root):
    np.save(root / "m3.npy", np.zeros(3, bool))
    return "cli", ["train", toml(root, "m3.toml", SK6 + '[model]\nkind = "maxent"\n'
                                 'pairs = "mask"\nmask = "m3.npy"\n'), "--out", "o"]


@case("model-members-without-npy-magic", 2, "nomagic.npz[meta]: not a NumPy .npy array")
def _(root):
    import zipfile
    with zipfile.ZipFile(root / "nomagic.npz", "w") as z:
        z.writestr("meta.npy", b"hello")
        z.writestr("W.npy", b"junk")
    return "cli", ["sample", "nomagic.npz", "-n", "3", "--out", "s.npy"]


@case("model-ising-T0", 2, "ising0.npz: an 'ising' model file needs a positive temperature T")
def _(root):
    H.save_model_arrays(root / "ising0.npz", H.model_meta("ising", "spin", L=4, T=0.0))
    return "cli", ["sample", "ising0.npz", "-n", "3", "--out", "s.npy"]


for _dtype, _name in ((np.complex128, "complex"), (bool, "bool"), (np.int64, "int")):
    @case(f"model-W-{_name}", 2, f"W{_name}.npz: array 'W' has dtype")
    def _(root, dtype=_dtype, name=_name):
        H.save_model_arrays(root / f"W{name}.npz", H.model_meta("rbm", "binary"),
                            W=np.zeros((3, 2), dtype), a=np.zeros(3), b=np.zeros(2))
        return "cli", ["sample", f"W{name}.npz", "-n", "3", "--out", "s.npy"]


@case("model-unknown-convention", 2, "conv.npz: a 'rbm' model has convention")
def _(root):
    H.save_model_arrays(root / "conv.npz", H.model_meta("rbm", "weird"), W=np.zeros((3, 2)),
                        a=np.zeros(3), b=np.zeros(2))
    return "cli", ["sample", "conv.npz", "-n", "3", "--out", "s.npy"]


@case("model-zero-units", 2, "zero.npz: the 'rbm' model has 0 units")
def _(root):
    H.save_model_arrays(root / "zero.npz", H.model_meta("rbm", "binary"), W=np.zeros((0, 0)),
                        a=np.zeros(0), b=np.zeros(0))
    return "cli", ["sample", "zero.npz", "-n", "3", "--out", "s.npy"]


@case("symlink-loop-sample", 2, "loop1: a symbolic link loop")
def _(root):
    return "cli", ["sample", "loop1", "-n", "3", "--out", "s.npy"]


@case("symlink-loop-evaluate", 2, "loop1: a symbolic link loop")
def _(root):
    return "cli", ["evaluate", "model6.npz", "loop1"]


@case("symlink-loop-train", 2, "ROOT/loop1: a symbolic link loop")
def _(root):
    return "cli", ["train", toml(root, "loop.toml", '[data]\npath = "loop1"\n[model]\nkind = "rbm"\n'),
                   "--out", "o"]


# ------------------------------------------------------------------------------ already handled
@case("npy-pickled-data", 2, "pick.npy: the array holds Python objects")
def _(root):
    np.save(root / "pick.npy", np.array([[{"a": 1}]], dtype=object), allow_pickle=True)
    return "load", ["pick.npy"]


@case("npy-truncated", 2, "trunc.npy: the file is truncated")
def _(root):
    (root / "trunc.npy").write_bytes(H.npy_header((100, 6)) + bytes(80))
    return "load", ["trunc.npy"]


@case("model-object-array", 2, "pickm.npz: array 'W' has dtype object")
def _(root):
    np.savez(root / "pickm.npz", meta=np.array(json.dumps(H.model_meta("rbm", "binary"))),
             W=np.array([{"a": 1}], dtype=object), a=np.zeros(1), b=np.zeros(1))
    return "cli", ["sample", "pickm.npz", "-n", "3", "--out", "s.npy"]


@case("model-not-a-zip", 2, "junk.npz: not a Boltzmann Lab model file")
def _(root):
    (root / "junk.npz").write_bytes(b"garbage")
    return "cli", ["sample", "junk.npz", "-n", "3", "--out", "s.npy"]


@case("data-missing", 2, "nothere.npy: no such file or folder")
def _(root):
    return "cli", ["evaluate", "model6.npz", "nothere.npy"]


@case("data-nan-in-csv", 2, "nan.csv: line 2, column 1 is nan")
def _(root):
    (root / "nan.csv").write_text("1,0\nnan,1\n")
    return "load", ["nan.csv"]


@case("config-unknown-key", 2, "typo.toml: unknown key 'hiden' in [model]")
def _(root):
    return "cli", ["train", toml(root, "typo.toml", '[data]\ngenerator = "bars_and_stripes"\n'
                                 '[model]\nkind = "rbm"\nhiden = 3\n'), "--out", "o"]


# ------------------------------------------------------------------------------ sessions
def _session(root: Path, name: str, edit=None, meta_edit=None) -> str:
    (root / "sess").mkdir(exist_ok=True)
    path = H.make_session(root / "sess" / name, edit, meta_edit)
    return str(path.relative_to(root))


@case("session-valid-restores", 0, "", mem=WORK_MB)
def _(root):
    return "session", [_session(root, "ok.npz")]


@case("session-empty-file", 2, "sess/empty.npz: the file is empty")
def _(root):
    (root / "sess").mkdir(exist_ok=True)
    (root / "sess" / "empty.npz").write_bytes(b"")
    return "session", ["sess/empty.npz"]


@case("session-state-keys-not-a-list", 2, "sess/sk.npz: the session's 'state_keys' is int, not a "
      "list")
def _(root):
    return "session", [_session(root, "sk.npz", meta_edit=lambda m: m.update(state_keys=5))]


@case("session-curve-names-not-a-list", 2, "sess/cn.npz: the session's 'curve_names' is str")
def _(root):
    return "session", [_session(root, "cn.npz", meta_edit=lambda m: m.update(curve_names="x"))]


@case("session-version-is-a-list", 2, "sess/v.npz: the session's format version is [1]")
def _(root):
    return "session", [_session(root, "v.npz", meta_edit=lambda m: m.update(version=[1]))]


@case("session-config-k-1e9", 2, "sess/k.npz (its run config): [training] k = 1000000000 is too "
      "large")
def _(root):
    return "session", [_session(root, "k.npz", edit=lambda c, s: c["training"].update(k=10 ** 9))]


@case("session-state-k-1e9", 2, "sess/ks.npz: the session does not fit this model: state entry "
      "'rbm/k' (the run's [training] k = 1000000000 is too large")
def _(root):
    return "session", [_session(root, "ks.npz", edit=lambda c, s: s.update({"rbm/k": 10 ** 9}))]


@case("session-negative-position", 2, "sess/pos.npz: the session does not fit this model: state "
      "entry 'rbm/pos' is -5")
def _(root):
    return "session", [_session(root, "pos.npz", edit=lambda c, s: s.update({"rbm/pos": -5}))]


@case("session-config-chains-1e9", 2, "sess/ch.npz (its run config): this run needs an estimated")
def _(root):
    return "session", [_session(root, "ch.npz",
                                edit=lambda c, s: c["training"].update(chains=10 ** 9))]


@case("session-W-of-shape-1", 2, "sess/w1.npz: the session does not fit this model: state entry "
      "'param/W' has shape (1,), but this model needs (4, 3)")
def _(root):
    return "session", [_session(root, "w1.npz", edit=lambda c, s: s.update(
        {"param/W": np.zeros(1, np.float32)}))]


@case("session-W-nan", 2, "sess/wn.npz: the session does not fit this model: state entry "
      "'param/W' contains NaN")
def _(root):
    return "session", [_session(root, "wn.npz", edit=lambda c, s: s["param/W"].fill(np.nan))]


@case("session-member-declaring-2GB", 2, "sess/bomb.npz: the session's arrays declare")
def _(root):
    H.session_bomb(root / "sess" / "bomb.npz", root / _session(root, "src.npz"))
    return "session", ["sess/bomb.npz"]


@case("session-pickled-meta", 2, "sess/pk.npz: not a readable session file")
def _(root):
    (root / "sess").mkdir(exist_ok=True)
    np.savez(root / "sess" / "pk.npz", meta=np.array([{"format": "x"}], dtype=object))
    return "session", ["sess/pk.npz"]


# ------------------------------------------------------------------------------ the run
def _message(stderr: str) -> str:
    """The one paragraph, unwrapped, without the program's prefix."""
    text = " ".join(stderr.split())
    for p in ("boltzmann-lab: error: ", "error: "):
        if text.startswith(p):
            return text[len(p):]
    return text


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    _shared(root)
    cases = []
    for name, spec in CASES.items():
        kind, args = spec["build"](root)
        cases.append({"name": name, "kind": kind, "args": args, "cwd": str(root)})
    size = sum(p.stat().st_size for p in root.rglob("*") if p.is_file() and not p.is_symlink())
    assert size < 64 * H.MB, f"the corpus takes {size / H.MB:.0f} MB on disk"
    (root / "cases.json").write_text(json.dumps(cases))
    env = dict(os.environ, BOLTZMANN_LAB_MEMORY_LIMIT="1G", NUMBA_NUM_THREADS="1",
               OPENBLAS_NUM_THREADS="1", BOLTZMANN_LAB_CACHE=str(root / "cache"),
               PYTHONPATH=str(ROOT))
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, str(RUNNER), str(root / "cases.json"),
                           str(root / "results.json")], env=env, capture_output=True, text=True,
                          timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = {r["name"]: r for r in json.loads((root / "results.json").read_text())}
    for r in out.values():
        r["message"] = _message(r["stderr"].replace(str(root), "ROOT"))
    print(f"\nhostile corpus: {len(out)} cases in {time.perf_counter() - t0:.1f} s; peak memory "
          f"of a case, max {max(r['maxrss'] - r['start'] for r in out.values()) / H.MB:.0f} MB")
    return out


@pytest.mark.parametrize("name", list(CASES))
def test_hostile_case(results, name):
    spec, r = CASES[name], results[name]
    assert r["code"] == spec["code"], f"{name}: exit {r['code']}\n{r['stderr'][-2000:]}"
    if spec["code"] != 0:
        # one paragraph, no traceback, and it says what the corpus expects first
        assert "Traceback" not in r["stderr"] and "unexpected error" not in r["message"]
        assert r["message"].startswith(spec["prefix"]), r["message"][:300]
    peak_mb = (r["maxrss"] - r["start"]) / H.MB
    assert r["start"] > 0 and peak_mb < spec["mem"], f"{name}: peak {peak_mb:.0f} MB"


def test_every_issue_item_has_a_case():
    """The corpus keeps one case per hole of issue 13 (names are the contract)."""
    needed = ["png-inflates", "model-W-2GB", "npz-data-2GB", "chains-1e9", "mixture-generator",
              "ising-generator", "image-size", "rbm-hidden-1e5", "mask-declaring", "sample-n",
              "png-paeth", "idx-255", "toml-nested", "section-not-a-table", "dbm-hidden",
              "hopfield-cue", "init-params", "seed-negative", "sigma-nan", "mask-pickle",
              "mask-wrong-shape", "without-npy-magic", "ising-T0", "learning-rate-nan",
              "threshold-nan", "model-W-complex", "model-W-bool", "model-W-int",
              "unknown-convention", "zero-units", "symlink-loop", "session-empty",
              "state-keys", "curve-names", "version-is-a-list", "k-1e9", "negative-position",
              "session-config-chains", "W-of-shape-1", "W-nan"]
    for item in needed:
        assert any(item in name for name in CASES), item
