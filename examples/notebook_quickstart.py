"""Boltzmann Lab from a notebook: an RBM on the bundled digits, a MaxEnt model of spin data."""
import boltzmann_lab as bl

X = bl.datasets.digits(binarize=True)                       # (1797, 64) images in {0, 1}
rbm = bl.RBM(n_hidden=16, epochs=10, seed=0).fit(X)      # defaults; curves: rbm.history_
fantasy = rbm.sample(8, seed=1)                             # (8, 64) fantasy particles
print(f"RBM: log-likelihood {rbm.score(X):.2f} nats/image ({rbm.score_method_}), samples {fantasy.shape}")
S = bl.datasets.sk(n_units=8, n=5000, seed=0)               # +-1 spins of a small spin glass
maxent = bl.MaxEnt(constraints=("means", "pairs"), estimator="exact").fit(S)
print("MaxEnt couplings J:\n", maxent.J_.round(2))
