"""Categorical data: alignment readers (FASTA, A2M, Stockholm), symbol tables, hostile files,
sequence reweighting and APC coupling scores against direct numpy implementations."""

import numpy as np
import pytest

from boltzmann_lab.data import alignments as al
from boltzmann_lab.data.categorical import load_categorical, prepare_categorical, sequence_weights
from boltzmann_lab.data.loaders import LoadError
from boltzmann_lab.models.dca import apc, contact_precision, coupling_scores, ranked_pairs

PROTEIN = al.ALPHABETS["protein"]


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text, encoding="latin-1")
    return p


def test_fasta_wrapped_lines_case_and_dots(tmp_path):
    p = write(tmp_path, "a.fasta", ">s1 first\nAC-D\nEF\n>s2\nacd.ef\n\n>s3\nWYVVVV\n")
    a = al.read_alignment(p)
    assert a.names == ["s1 first", "s2", "s3"] and a.symbols == list(PROTEIN)
    assert a.codes.shape == (3, 6)
    assert "".join(PROTEIN[k] for k in a.codes[0]) == "AC-DEF"
    assert "".join(PROTEIN[k] for k in a.codes[1]) == "ACD-EF"     # '.' is a gap in FASTA


def test_a2m_drops_insertions(tmp_path):
    p = write(tmp_path, "a.a2m", ">s1\nAC-Dxy.E\n>s2\nA..CDDE\n")
    a = al.read_alignment(p)
    assert ["".join(PROTEIN[k] for k in row) for row in a.codes] == ["AC-DE", "ACDDE"]


def test_stockholm_interleaved_blocks_and_annotation(tmp_path):
    # columns 3 and 5 are insert columns (lower case / '.'), removed as in A2M
    text = ("# STOCKHOLM 1.0\n#=GF ID test\n\nseq1  AC.-a\nseq2  ACg-.\n#=GC RF xx.x.\n\n"
            "seq1  UU\nseq2  GU\n//\nignored  AAAA\n")
    a = al.read_alignment(write(tmp_path, "x.sto", text))
    assert a.names == ["seq1", "seq2"] and a.symbols == list("-ACGU")      # auto: RNA
    assert ["".join(a.symbols[k] for k in row) for row in a.codes] == ["AC-UU", "AC-GU"]


def test_stockholm_exact_columns(tmp_path):
    text = "# STOCKHOLM 1.0\nseq1 AC-G\nseq2 ACGG\nseq1 UA\nseq2 UU\n//\n"
    a = al.read_alignment(write(tmp_path, "x.sto", text))
    assert ["".join(a.symbols[k] for k in row) for row in a.codes] == ["AC-GUA", "ACGGUU"]


def test_nucleotide_and_given_alphabets(tmp_path):
    p = write(tmp_path, "n.fa", ">a\nACGT-\n>b\nTTGCA\n")
    assert al.read_alignment(p).symbols == list("-ACGT")
    a = al.read_alignment(p, alphabet="-TGCA")
    assert a.codes[1].tolist() == [1, 1, 2, 3, 4]
    assert al.parse_alphabet("no,maybe,yes") == ["no", "maybe", "yes"]
    with pytest.raises(LoadError, match="distinct"):
        al.parse_alphabet("AAB")


# ------------------------------------------------------------------------------ hostile files
@pytest.mark.parametrize("text,match", [
    ("", "empty"),
    (">a\nACDE\n>b\nACD\n", "ragged.*'b'.*3 columns.*'a' has 4"),
    (">a\nACDE\n>b\nAC*E\n", "'b'.*column 3.*'\\*'.*not in the alphabet"),
    (">a\nACBE\n", "column 3 has 'B'"),
    ("ACDE\n>a\nACDE\n", "before the first '>name' header"),
    (">a\n\n>b\n\n", "empty"),
    (">a\nAC\x00DE\n", "binary"),
    ("\n\n  \n", "no sequences"),
])
def test_hostile_fasta_is_refused_with_one_clear_paragraph(tmp_path, text, match):
    p = write(tmp_path, "bad.fasta", text)
    with pytest.raises(LoadError, match=match) as info:
        al.read_alignment(p)
    msg = str(info.value)
    assert str(p) in msg and "\n" not in msg and "Traceback" not in msg


def test_a_million_character_line_is_refused_without_reading_it_whole(tmp_path):
    p = tmp_path / "long.fasta"
    p.write_bytes(b">a\n" + b"A" * 1_000_000 + b"\n")
    with pytest.raises(LoadError, match=r"line 2 is longer than 100000 characters"):
        al.read_alignment(p)
    # wrapped over many lines the same sequence is refused by its column count instead
    p.write_bytes(b">a\n" + (b"A" * 60 + b"\n") * 2000)
    with pytest.raises(LoadError, match="columns are supported"):
        al.read_alignment(p)


def test_unknown_symbols_can_be_gapped_or_dropped(tmp_path):
    p = write(tmp_path, "u.fasta", ">a\nACXE\n>b\nACDE\n")
    assert al.read_alignment(p, unknown="gap").codes[0, 2] == 0
    a = al.read_alignment(p, unknown="drop")
    assert a.names == ["b"]
    with pytest.raises(LoadError, match="no sequence is left"):
        al.read_alignment(write(tmp_path, "v.fasta", ">a\nXX\n"), unknown="drop")


def test_stockholm_without_header_is_refused(tmp_path):
    with pytest.raises(LoadError, match="STOCKHOLM 1.0"):
        al.read_alignment(write(tmp_path, "x.sto", "seq1 ACGU\n"))
    with pytest.raises(LoadError, match="two fields"):
        al.read_alignment(write(tmp_path, "y.sto", "# STOCKHOLM 1.0\nseq1 AC GU\n"))


def test_cli_refuses_a_hostile_fasta_with_exit_code_2(tmp_path, capsys):
    from boltzmann_lab.app.cli import main
    bad = write(tmp_path, "bad.fasta", ">a\nACDE\n>b\nACD\n")
    cfg = write(tmp_path, "run.toml", f'[data]\npath = "{bad.name}"\n[model]\nkind = "potts"\n')
    assert main(["train", str(cfg), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "bad.fasta" in err and "ragged" in err and "Traceback" not in err


# ------------------------------------------------------------------------------ tables
def test_symbol_tables_csv_and_npy(tmp_path):
    p = write(tmp_path, "t.csv", "yes,no,maybe\nno,no,yes\n")
    raw = load_categorical(p, {"alphabet": "no,maybe,yes"})
    assert raw.x.tolist() == [[2, 0, 1], [0, 0, 2]]
    raw = load_categorical(p, {})                      # auto: the sorted distinct symbols
    assert raw.meta["alphabet"] == "maybe,no,yes"
    s = write(tmp_path, "s.txt", "ACDE\nAC-E\n")
    assert load_categorical(s, {}).x.shape == (2, 4)
    n = tmp_path / "s.npy"
    np.save(n, np.array([["a", "b"], ["b", "b"]]))
    assert load_categorical(n, {}).x.tolist() == [[0, 1], [1, 1]]


def test_integer_tables_and_states(tmp_path):
    p = tmp_path / "x.npy"
    np.save(p, np.array([[0, 2, 1], [1, 1, 0]]))
    ds = prepare_categorical(load_categorical(p, {}), {"validation_fraction": 0.0})
    assert ds.states == 3 and ds.convention == "categorical" and ds.weights is None
    ds = prepare_categorical(load_categorical(p, {}), {"states": 5, "validation_fraction": 0.0})
    assert ds.states == 5
    with pytest.raises(LoadError, match="state 2"):
        prepare_categorical(load_categorical(p, {}), {"states": 2})
    np.save(p, np.array([[0.5, 1.0]]))
    with pytest.raises(LoadError, match="not a state"):
        prepare_categorical(load_categorical(p, {}), {})


# ------------------------------------------------------------------------------ reweighting, APC
def naive_weights(X, theta):
    X = np.asarray(X)
    ident = (X[:, None, :] == X[None, :, :]).mean(axis=2)
    return 1.0 / (ident >= theta).sum(axis=1)


@pytest.mark.parametrize("theta", [0.0, 0.5, 0.8, 1.0])
def test_reweighting_matches_direct_numpy(theta):
    rng = np.random.default_rng(0)
    base = rng.integers(0, 21, size=(6, 30))
    X = base[rng.integers(0, 6, size=150)]
    flip = rng.random(X.shape) < 0.15          # families of near-copies
    X = np.where(flip, rng.integers(0, 21, size=X.shape), X)
    w = sequence_weights(X, theta)
    assert np.allclose(w, naive_weights(X, theta), rtol=0, atol=1e-15)
    if theta == 0.0:
        assert w.sum() == pytest.approx(1.0)     # every pair is a neighbour: M_eff = 1


def test_alignment_files_are_reweighted_by_default(tmp_path):
    seqs = ["ACDEFGHIKL", "ACDEFGHIKM", "ACDEFGHIKN", "WWWWWWWWWW"]
    p = write(tmp_path, "f.fasta", "".join(f">s{k}\n{s}\n" for k, s in enumerate(seqs)))
    ds = prepare_categorical(load_categorical(p, {}), {"validation_fraction": 0.0})
    # the three near-copies (identity 0.9 ≥ 0.8) share one weight, the odd one stands alone
    assert np.allclose(ds.weights, [1 / 3, 1 / 3, 1 / 3, 1.0]) and ds.meta["M_eff"] == 2.0


def naive_apc(F):
    n = len(F)
    off = ~np.eye(n, dtype=bool)
    row = np.array([F[i][off[i]].mean() for i in range(n)])
    mean = F[off].mean()
    out = np.array([[F[i, j] - row[i] * row[j] / mean for j in range(n)] for i in range(n)])
    np.fill_diagonal(out, 0)
    return out


def test_apc_and_frobenius_scores_match_direct_numpy():
    rng = np.random.default_rng(1)
    n, q = 7, 4
    J = rng.normal(size=(n, n, q, q))
    J = J + J.transpose(1, 0, 3, 2)
    J[np.arange(n), np.arange(n)] = 0
    F = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            B = J[i, j] - J[i, j].mean(0) - J[i, j].mean(1)[:, None] + J[i, j].mean()
            F[i, j] = 0.0 if i == j else np.sqrt((B ** 2).sum())
    assert np.allclose(coupling_scores(J, use_apc=False), F, atol=1e-12)
    assert np.allclose(apc(F), naive_apc(F), atol=1e-12)
    assert np.allclose(coupling_scores(J), naive_apc(F), atol=1e-12)
    S = naive_apc(F)
    top = ranked_pairs(S, top=3)
    assert [s for *_, s in top] == sorted([S[i, j] for i in range(n) for j in range(i + 1, n)],
                                          reverse=True)[:3]
    truth = [(i, j) for i, j, _ in top[:2]]
    assert contact_precision(S, truth) == 1.0
