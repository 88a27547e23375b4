"""Built-in data generators: offline, seeded, with the true parameters recorded in ``meta``.

Each generator returns a :class:`boltzmann_lab.data.loaders.RawData` (samples (M, n) float64, their convention,
``image_shape`` for display, optional ``labels`` and ``meta``).  :func:`generate` runs the one named in a
resolved ``[data]`` section (``generator = "..."`` plus that generator's keys, README "Config keys").
Expensive ones (``ising``, ``sk``) are cached on disk (``boltzmann_lab.data.cache``).

=====================  ==========  ============================================================
generator              convention  what
=====================  ==========  ============================================================
``ising``              spin        2D Ising configurations (L x L) at one or several temperatures
``bars_and_stripes``   binary      size x size bars-and-stripes images (each distinct one once)
``patterns``           spin        random +-1 patterns or letter glyphs (Hopfield memories)
``mixture``            binary      Bernoulli mixture with known weights and means
``gaussian_mixture``   real        Gaussian mixture with known weights, means, covariances
``gaussian_graph``     real        Gaussian with a sparse precision: an L x L lattice (graphical lasso)
``coin_tosses``        binary      rows = experiments of 0/1 tosses of one hidden coin each
``sk``                 spin        exact samples of an SK spin glass, J_ij ~ N(0, beta^2/n)
``digits``             real        scikit-learn's bundled 8x8 digits scaled to [0, 1]
``potts`` …            categorical ``potts``, ``potts_lattice``, ``protein_family``: see
                                   :mod:`boltzmann_lab.data.categorical_generators`
=====================  ==========  ============================================================
"""

from __future__ import annotations

import math

import numpy as np

from boltzmann_lab.data import categorical_generators as _categorical_generators
from boltzmann_lab.data.cache import cached
from boltzmann_lab.data.loaders import LoadError, RawData

#: critical temperature of the 2D square-lattice Ising model (J = 1, k_B = 1)
T_C = 2.0 / math.log(1.0 + math.sqrt(2.0))

#: the temperatures of the review's Ising data set (Mehta et al. 2019, section 16 notebooks): L = 40,
#: T = 0.25, 0.5, ..., 4.0.  In a config: ``temperatures = [0.25, 0.5, ..., 4.0]`` (README).
REVIEW_TEMPERATURES = [round(0.25 * k, 2) for k in range(1, 17)]


def _rng(seed) -> np.random.Generator:
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


def _square_shape(n: int) -> tuple | None:
    side = math.isqrt(n)
    return (side, side) if side * side == n else None


# ------------------------------------------------------------------------------ Ising
def phase(T: float) -> str:
    """``ordered`` below T_c, ``disordered`` above (``critical`` within 2 %)."""
    if abs(T - T_C) <= 0.02 * T_C:
        return "critical"
    return "ordered" if T < T_C else "disordered"


def ising(L: int = 16, temperature: float = T_C, temperatures=None, samples: int = 1000,
          algorithm: str = "auto", seed: int = 0) -> RawData:
    """Equilibrium 2D Ising configurations (J = 1, H = 0, periodic), via
    ``boltzmann_lab.sampling.ising.sample_configurations`` (equilibrated and decorrelated by the measured
    autocorrelation time; Wolff near T_c with ``algorithm = "auto"``).

    ``temperatures`` (a list) overrides ``temperature``; ``samples`` are drawn per temperature, with
    an independent seed for each.  ``labels`` hold each sample's temperature; ``meta`` the
    temperatures, T_c and the phase of each temperature.  Results are cached on disk.
    """
    temps = [float(t) for t in (temperatures if temperatures else [temperature])]
    if not temps or any(not (t > 0) for t in temps):
        raise LoadError(f"ising generator: temperatures must be positive numbers, got {temps}")
    seeds = np.random.SeedSequence(seed).spawn(len(temps))

    def compute():
        from boltzmann_lab.sampling.ising import sample_configurations
        blocks = []
        for T, ss in zip(temps, seeds):
            s = int(ss.generate_state(1, np.uint32)[0])
            x = sample_configurations(L, T, samples, s, algorithm=algorithm)
            blocks.append(np.asarray(x, dtype=np.int8).reshape(samples, L * L))
        return {"x": np.concatenate(blocks)}

    params = {"L": L, "temperatures": temps, "samples": samples, "algorithm": algorithm,
              "seed": seed}
    x = cached("ising", params, compute)["x"].astype(np.float64)
    labels = np.repeat(np.array(temps), samples)
    name = (f"Ising L={L} T={temps[0]:g}" if len(temps) == 1
            else f"Ising L={L}, {len(temps)} temperatures {temps[0]:g}..{temps[-1]:g}")
    meta = {"generator": "ising", "L": L, "temperatures": temps, "T_c": T_C,
            "phases": [phase(t) for t in temps], "samples_per_temperature": samples}
    if len(temps) == 1:
        meta["temperature"] = temps[0]
        meta["phase"] = phase(temps[0])
    return RawData(x, name=name, image_shape=(L, L), labels=labels, convention="spin", meta=meta)


# ------------------------------------------------------------------------------ bars and stripes
def bars_and_stripes_patterns(size: int) -> np.ndarray:
    """All distinct size x size bars-and-stripes images, (2 * 2**size - 2, size*size) in {0,1}.

    A pattern is a set of full rows (stripes) or of full columns (bars) switched on; the all-off
    and all-on images are both, so they are counted once.
    """
    codes = np.arange(2 ** size)
    rowsets = ((codes[:, None] >> np.arange(size)) & 1).astype(np.float64)   # (2^size, size)
    stripes = np.repeat(rowsets[:, :, None], size, axis=2)                  # rows on
    bars = np.transpose(stripes, (0, 2, 1))                                 # columns on
    allp = np.concatenate([stripes, bars[1:-1]]).reshape(-1, size * size)   # drop duplicates
    return allp


def bars_and_stripes(size: int = 4, samples: int | None = None, seed: int = 0) -> RawData:
    """Bars-and-stripes images; default each of the 2 * 2**size - 2 distinct patterns once (a
    perfect model then has log-likelihood -ln(count)); ``samples`` draws that many uniformly."""
    pats = bars_and_stripes_patterns(size)
    labels = np.arange(len(pats), dtype=np.float64)
    if samples is not None:
        idx = _rng(seed).integers(0, len(pats), size=samples)
        x, labels = pats[idx], labels[idx]
    else:
        x = pats
    meta = {"generator": "bars_and_stripes", "size": size, "distinct_patterns": len(pats),
            "ideal_ll": -math.log(len(pats))}
    return RawData(np.ascontiguousarray(x), name=f"bars and stripes {size}x{size}",
                   image_shape=(size, size), labels=labels, convention="binary", meta=meta)


# ------------------------------------------------------------------------------ patterns
# 5 x 7 bitmap glyphs ('#' = on) for letter-like Hopfield memories.
_GLYPHS = {
    "A": ".###.#...##...#######...##...##...#", "B": "####.#...#####.#...##...##...#####.",
    "C": ".#####....#....#....#....#.....####", "D": "####.#...##...##...##...##...#####.",
    "E": "######....####.#....#....#....#####", "F": "######....####.#....#....#....#....",
    "G": ".#####....#....#..###...##...#.###.", "H": "#...##...#######...##...##...##...#",
    "I": "#####..#....#....#....#....#..#####", "J": "..###...#....#....#....##..#..##...",
    "K": "#...##..#.###..#.#..#..#.#...##...#", "L": "#....#....#....#....#....#....#####",
    "M": "#...###.###.#.##...##...##...##...#", "N": "#...###..##.#.##..###...##...##...#",
    "O": ".###.#...##...##...##...##...#.###.", "P": "####.#...##...#####.#....#....#....",
    "Q": ".###.#...##...##...##.#.##..#..##.#", "R": "####.#...##...#####.#.#..#..#.#...#",
    "S": ".#####....#.....###.....#....#####.", "T": "#####..#....#....#....#....#....#..",
    "U": "#...##...##...##...##...##...#.###.", "V": "#...##...##...##...#.#.#..#.#...#..",
    "W": "#...##...##...##.#.##.#.###.###...#", "X": "#...#.#.#...#...#.#.#...##...##...#",
    "Y": "#...#.#.#...#....#....#....#....#..", "Z": "#####....#...#...#...#...#....#####",
}


def letter_glyph(letter: str, side: int) -> np.ndarray:
    """The letter drawn into a side x side grid of +-1 (nearest-neighbour scaled 5x7 glyph with a
    one-cell margin when side >= 7)."""
    code = _GLYPHS[letter.upper()][:35].ljust(35, ".")
    g = np.array([c == "#" for c in code], dtype=bool).reshape(7, 5)
    m = 1 if side >= 7 else 0
    inner = side - 2 * m
    rows = np.minimum((np.arange(inner) + 0.5) * 7 / inner, 6).astype(int)
    cols = np.minimum((np.arange(inner) + 0.5) * 5 / inner, 4).astype(int)
    img = -np.ones((side, side))
    img[m:m + inner, m:m + inner] = np.where(g[rows][:, cols], 1.0, -1.0)
    return img


def patterns(n: int = 100, count: int = 10, style: str = "random", bias: float = 0.5,
             seed: int = 0) -> RawData:
    """Memories for a Hopfield network, in the spin convention.

    ``random``: each unit +1 with probability ``bias``, independently.  ``letters``: the letters
    A, B, C, ... drawn into a sqrt(n) x sqrt(n) grid (n must be a square >= 25, count <= 26); they
    are correlated, so fewer can be stored than random patterns.  ``labels`` = pattern index.
    """
    if style == "letters":
        shape = _square_shape(n)
        if shape is None or shape[0] < 5:
            raise LoadError(f"patterns generator: style 'letters' needs [data] n to be a square "
                            f"number >= 25 (e.g. 100 for 10x10 letters), got n = {n}")
        if count > 26:
            raise LoadError(f"patterns generator: style 'letters' has 26 letters, [data] count = "
                            f"{count} is too many")
        letters = [chr(ord("A") + i) for i in range(count)]
        x = np.stack([letter_glyph(c, shape[0]).ravel() for c in letters])
        meta = {"generator": "patterns", "style": "letters", "letters": letters}
    else:
        x = np.where(_rng(seed).random((count, n)) < bias, 1.0, -1.0)
        shape = _square_shape(n)
        meta = {"generator": "patterns", "style": "random", "bias": bias}
    return RawData(np.ascontiguousarray(x), name=f"{count} {style} patterns, n={n}",
                   image_shape=shape, labels=np.arange(count, dtype=np.float64),
                   convention="spin", meta=meta)


# ------------------------------------------------------------------------------ mixtures
def mixture(n: int = 20, components: int = 3, samples: int = 1000, seed: int = 0) -> RawData:
    """Samples of a Bernoulli mixture p(x) = sum_k w_k prod_i m_ki^x_i (1 - m_ki)^(1 - x_i).

    True parameters (random, seeded): weights w ~ Dirichlet(2,...,2), means m_ki ~ Beta(0.5, 0.5)
    clipped to [0.05, 0.95] (far apart, so the components are identifiable).  ``meta`` holds
    ``weights`` (K,) and ``means`` (K, n); ``labels`` the component of each sample.
    """
    rng = _rng(seed)
    w = rng.dirichlet(np.full(components, 2.0))
    means = np.clip(rng.beta(0.5, 0.5, size=(components, n)), 0.05, 0.95)
    z = rng.choice(components, size=samples, p=w)
    x = (rng.random((samples, n)) < means[z]).astype(np.float64)
    meta = {"generator": "mixture", "weights": w, "means": means}
    return RawData(x, name=f"Bernoulli mixture K={components} n={n}", image_shape=_square_shape(n),
                   labels=z.astype(np.float64), convention="binary", meta=meta)


def gaussian_mixture(n: int = 2, components: int = 3, samples: int = 1000, seed: int = 0) \
        -> RawData:
    """Samples of a Gaussian mixture with known parameters: weights ~ Dirichlet(2,...,2), means
    ~ N(0, 3^2 I), covariances A A^T / n + 0.2 I with A ~ N(0, 1).  ``meta``: ``weights`` (K,),
    ``means`` (K, n), ``covs`` (K, n, n); ``labels`` the component of each sample."""
    rng = _rng(seed)
    w = rng.dirichlet(np.full(components, 2.0))
    means = rng.normal(0.0, 3.0, size=(components, n))
    A = rng.normal(size=(components, n, n))
    covs = A @ np.transpose(A, (0, 2, 1)) / n + 0.2 * np.eye(n)
    z = rng.choice(components, size=samples, p=w)
    chol = np.linalg.cholesky(covs)
    eps = rng.normal(size=(samples, n))
    x = means[z]
    for k in range(components):     # one GEMM per component: chol[z] would be (samples, n, n)
        rows = z == k
        x[rows] += eps[rows] @ chol[k].T
    meta = {"generator": "gaussian_mixture", "weights": w, "means": means, "covs": covs}
    return RawData(x, name=f"Gaussian mixture K={components} n={n}", labels=z.astype(np.float64),
                   convention="real", meta=meta)


def lattice_precision(L: int, coupling: float) -> np.ndarray:
    """Precision of an L x L lattice Gaussian graphical model (open boundaries): Θ_ii = 1,
    Θ_ij = -coupling for lattice neighbours, 0 otherwise.  Positive definite for coupling < 1/4
    (strict diagonal dominance: at most 4 neighbours)."""
    n = L * L
    theta = np.eye(n)
    for r in range(L):
        for c in range(L):
            i = r * L + c
            if c + 1 < L:
                theta[i, i + 1] = theta[i + 1, i] = -coupling
            if r + 1 < L:
                theta[i, i + L] = theta[i + L, i] = -coupling
    return theta


def gaussian_graph(L: int = 4, coupling: float = 0.2, samples: int = 200, seed: int = 0) \
        -> RawData:
    """Zero-mean samples of the lattice Gaussian graphical model of :func:`lattice_precision`:
    each unit interacts with its 4 lattice neighbours only, so the true precision (the
    Gaussian MaxEnt coupling matrix, J = -Θ) is sparse while the covariance Θ^{-1} is dense.
    Few samples make S^{-1} dense and noisy; the graphical lasso (``[training] l1``) recovers the
    lattice.  ``meta``: ``precision`` (n, n), ``edges`` (number of true couplings)."""
    if not 0.0 <= coupling < 0.25:
        raise LoadError(f"gaussian_graph: coupling must lie in [0, 0.25) so that the precision "
                        f"is positive definite, got {coupling}")
    rng = _rng(seed)
    theta = lattice_precision(L, coupling)
    chol = np.linalg.cholesky(np.linalg.inv(theta))
    x = rng.normal(size=(samples, L * L)) @ chol.T
    edges = int(np.count_nonzero(np.triu(theta, 1)))
    return RawData(x, name=f"Gaussian lattice graph {L}x{L}, coupling {coupling:g}",
                   image_shape=(L, L), convention="real",
                   meta={"generator": "gaussian_graph", "precision": theta, "edges": edges})


def coin_tosses(biases=(0.8, 0.4), weights=None, experiments: int = 5, tosses: int = 10,
                seed: int = 0) -> RawData:
    """The two-coin EM example (Mehta et al. Fig. 59): each row is one experiment, ``tosses``
    0/1 tosses (1 = heads) of one coin picked at random with probabilities ``weights`` (default
    equal); coin k lands heads with probability ``biases[k]``.  ``meta``: ``biases``, ``weights``,
    ``coins`` (the hidden coin of each row, also in ``labels``), ``heads`` per row."""
    biases = np.asarray(biases, dtype=np.float64)
    if biases.ndim != 1 or len(biases) == 0 or np.any((biases < 0) | (biases > 1)):
        raise LoadError(f"coin_tosses generator: [data] biases must be probabilities in [0, 1], "
                        f"got {biases.tolist()}")
    if weights is None:
        w = np.full(len(biases), 1.0 / len(biases))
    else:
        w = np.asarray(weights, dtype=np.float64)
        if w.shape != biases.shape or np.any(w < 0) or not np.isclose(w.sum(), 1.0):
            raise LoadError(f"coin_tosses generator: [data] weights must be {len(biases)} "
                            f"non-negative numbers summing to 1, got {w.tolist()}")
    rng = _rng(seed)
    coins = rng.choice(len(biases), size=experiments, p=w)
    x = (rng.random((experiments, tosses)) < biases[coins, None]).astype(np.float64)
    meta = {"generator": "coin_tosses", "biases": biases, "weights": w, "coins": coins,
            "heads": x.sum(axis=1), "tosses": tosses}
    return RawData(x, name=f"coin tosses {experiments}x{tosses}", labels=coins.astype(np.float64),
                   convention="binary", meta=meta)


# ------------------------------------------------------------------------------ SK
def sk_couplings(n: int, beta: float, field: float, seed) -> tuple[np.ndarray, np.ndarray]:
    """SK parameters: J_ij = J_ji ~ N(0, beta^2 / n) for i < j, zero diagonal; h_i ~ N(0, field^2)."""
    rng = _rng(seed)
    J = np.triu(rng.normal(0.0, beta / math.sqrt(n), size=(n, n)), 1)
    J = J + J.T
    h = rng.normal(0.0, field, size=n) if field > 0 else np.zeros(n)
    return h, J


def sk(n: int = 20, beta: float = 1.0, field: float = 0.0, samples: int = 10000, seed: int = 0) \
        -> RawData:
    """Exact samples (by enumeration, ``boltzmann_lab.exact.enumeration.sample_exact``) of the
    Sherrington-Kirkpatrick model p(s) ∝ exp(sum_i h_i s_i + sum_{i<j} J_ij s_i s_j), s in {-1,+1}^n.
    ``meta`` holds the true ``h`` (n,) and ``J`` (n, n) and ``beta``: the inverse-Ising target."""
    ss = np.random.SeedSequence(seed).spawn(2)
    h, J = sk_couplings(n, beta, field, np.random.default_rng(ss[0]))
    sample_seed = int(ss[1].generate_state(1, np.uint32)[0])

    def compute():
        from boltzmann_lab.exact.enumeration import sample_exact
        x = sample_exact(h, J, "spin", samples, sample_seed)
        return {"x": np.asarray(x, dtype=np.int8)}

    params = {"n": n, "beta": beta, "field": field, "samples": samples, "seed": seed}
    x = cached("sk", params, compute)["x"].astype(np.float64)
    meta = {"generator": "sk", "h": h, "J": J, "beta": beta, "field": field}
    return RawData(x, name=f"SK n={n} beta={beta:g}", image_shape=None, convention="spin",
                   meta=meta)


# ------------------------------------------------------------------------------ digits
def digits(seed: int = 0) -> RawData:
    """The 1797 8x8 handwritten digits (UCI optical digits, the copy scikit-learn ships as
    ``load_digits``), bundled in ``resources/data/digits8x8.npz`` so they work offline without
    scikit-learn; scaled to [0, 1] (pixel / 16); ``labels`` are the digit classes."""
    from boltzmann_lab.resources import resource_path

    path = resource_path("data", "digits8x8.npz")
    try:
        with np.load(path, allow_pickle=False) as f:
            images, labels = f["images"], f["labels"]
    except (OSError, KeyError, ValueError) as exc:
        raise LoadError(f"digits generator: the bundled file {path} is missing or damaged "
                        f"({exc}); reinstall boltzmann-lab") from None
    x = images.reshape(len(images), -1).astype(np.float64) / 16.0
    return RawData(x, name="digits 8x8", image_shape=(8, 8),
                   labels=labels.astype(np.float64), convention="real",
                   meta={"generator": "digits"})


# ------------------------------------------------------------------------------ dispatch
GENERATORS = {
    "ising": ising, "bars_and_stripes": bars_and_stripes, "patterns": patterns,
    "mixture": mixture, "gaussian_mixture": gaussian_mixture, "gaussian_graph": gaussian_graph,
    "coin_tosses": coin_tosses,
    "sk": sk, "digits": digits,
}
GENERATORS.update(_categorical_generators.GENERATORS)


def generate(data_cfg: dict) -> RawData:
    """Run the generator named by ``data_cfg["generator"]`` with its keys from the resolved
    ``[data]`` section (``seed`` included)."""
    import inspect

    name = data_cfg["generator"]
    if name not in GENERATORS:
        raise LoadError(f"unknown generator {name!r}; choose one of {', '.join(GENERATORS)}")
    fn = GENERATORS[name]
    params = inspect.signature(fn).parameters
    kwargs = {k: data_cfg[k] for k in params if k in data_cfg}
    return fn(**kwargs)
