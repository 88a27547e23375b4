"""The models: energies, conditional distributions, exact or estimated likelihoods and sampling.
Learning them lives in :mod:`boltzmann_lab.learning`."""
