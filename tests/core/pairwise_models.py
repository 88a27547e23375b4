"""Random pairwise models shared by the enumeration and pairwise-sampler tests."""

import numpy as np


def random_pairwise(n, seed, coupling=1.0, with_v=False):
    """Fields h ~ N(0, 0.3²), symmetric zero-diagonal couplings J_ij ~ N(0, coupling²/n) and, with
    ``with_v``, a population potential V ~ N(0, 0.5²) of shape (n+1,)."""
    rng = np.random.default_rng(seed)
    J = rng.normal(scale=coupling / np.sqrt(n), size=(n, n))
    J = np.triu(J, 1)
    J = J + J.T
    h = rng.normal(scale=0.3, size=n)
    V = rng.normal(scale=0.5, size=n + 1) if with_v else None
    return h, J, V
