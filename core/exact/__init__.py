"""Exact answers every estimator is checked against: enumeration of pairwise models
(:mod:`~boltzmann_lab.exact.enumeration`) and the 2D Ising results of Onsager, Kaufman and Yang
(:mod:`~boltzmann_lab.exact.onsager`)."""
