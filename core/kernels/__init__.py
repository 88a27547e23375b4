"""numba kernels: the only place with hot loops.

Every kernel is ``@njit(nogil=True, cache=True)`` and takes its random state explicitly (one
xorshift state per lane/chain, see :mod:`boltzmann_lab.kernels.rng`) so results are reproducible by seed and
threads never share RNG state.
"""
