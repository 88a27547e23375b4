"""Fitting the Gaussian MaxEnt model (kind ``gaussian``), the learner for ``[model] kind = "gaussian"``.

All pairs constrained: the closed form μ = sample mean, Σ = sample covariance S (1/M, the maximum-
likelihood estimate), J = -S^{-1}.

Only some covariances constrained (a symmetric pair ``mask``; variances and means always): the
maximum-entropy distribution is the Gaussian whose covariance matches S on the diagonal and on the
masked pairs and whose precision is exactly zero on the other pairs (Dempster's covariance
selection, the maximum-likelihood Gaussian graphical model).  :class:`CovarianceSelection` finds it
with the regression algorithm of Hastie, Tibshirani & Friedman, *Elements of Statistical Learning*,
Algorithm 17.1: for each j, solve W_{N,N} β_N = s_{N,j} on the neighbours N of j, set
w_{-j,j} = W_{-j,-j} β (β zero off N); repeat until W stops changing; then
Θ_jj = 1/(s_jj - w_j^T β), Θ_{-j,j} = -β Θ_jj.  Θ is zero off the mask by construction.  With the
full mask one sweep reproduces the closed form.
"""

from __future__ import annotations

import math

import numpy as np

from boltzmann_lab.kernels.enumerate import single_thread_blas
from boltzmann_lab.learning.trainer import Learner
from boltzmann_lab.models.gaussian import GaussianModel, _inv_pd


def closed_form(x, ridge=0.0):
    """Maximum-entropy Gaussian with all means and covariances constrained: returns
    ``(mean, S, J)`` with S the (1/M) sample covariance (+ ridge on the diagonal), J = -S^{-1}."""
    x = np.asarray(x, dtype=np.float64)
    mean = x.mean(axis=0)
    S = np.atleast_2d(np.cov(x, rowvar=False, bias=True)) + ridge * np.eye(x.shape[1])
    return mean, S, -_inv_pd(S, "sample covariance")


class CovarianceSelection:
    """Iterative maximum-entropy Gaussian for a pair ``mask`` (HTF Algorithm 17.1, see module),
    with an optional L1 penalty ``l1`` (the graphical lasso, HTF Algorithm 17.2).

    ``S`` (n, n) the sample covariance, ``mask`` (n, n) symmetric boolean (diagonal ignored).
    :meth:`sweep` performs one pass over all units and returns the largest change of W;
    :attr:`precision` is Θ (exactly zero off the mask), :attr:`W` the current covariance.
    With every pair in the mask, no penalty and ``shortcut`` the closed form S^{-1} is used
    directly (``shortcut=False`` runs the iteration anyway, e.g. to check it).  Deterministic.
    """

    def __init__(self, S, mask, shortcut=True, l1=0.0):
        S = np.asarray(S, dtype=np.float64)
        n = S.shape[0]
        mask = np.asarray(mask, dtype=bool).copy()
        np.fill_diagonal(mask, False)
        self.S, self.mask, self.n = S, mask, n
        self.l1 = float(l1)
        self.shortcut = shortcut
        if np.any(np.diag(S) <= 0):
            raise ValueError("a feature has zero variance: set [training] ridge > 0, or drop it")
        # all pairs constrained: the answer is the closed form; one O(n^3) inversion instead of
        # n regressions of size n - 1 (O(n^4))
        self.full = bool(shortcut and mask.sum() == n * (n - 1) and self.l1 == 0.0)
        self._full_precision = _inv_pd(S, "sample covariance") if self.full else None
        self.W = S.copy()
        self.beta = np.zeros((n, n))     # column j: regression coefficients of unit j
        self.sweeps = 0

    def set_l1(self, value: float) -> None:
        """Change the penalty; the next sweeps continue from the current W (a warm start)."""
        self.l1 = float(value)
        if self.full and self.l1 > 0:
            self.full = False          # the penalised answer is no longer the closed form
        elif not self.full and self.l1 == 0 and self.shortcut \
                and self.mask.sum() == self.n * (self.n - 1):
            self.full = True
            self._full_precision = _inv_pd(self.S, "sample covariance")

    def sweep(self) -> float:
        S, W, n = self.S, self.W, self.n
        if self.full:
            self.sweeps += 1
            return 0.0
        if self.l1 > 0:
            from boltzmann_lab.kernels.glasso import glasso_sweep
            # inner coordinate descent to well below the outer tolerance used by the learner
            tol = 1e-10 * float(np.max(np.diag(S)))
            change = glasso_sweep(W, S, self.mask, self.l1, self.beta, tol, 1000)
            self.sweeps += 1
            return float(change)
        change = 0.0
        for j in range(n):
            nb = np.flatnonzero(self.mask[j])
            beta = np.zeros(n)
            if nb.size:
                try:
                    beta[nb] = np.linalg.solve(W[np.ix_(nb, nb)], S[nb, j])
                except np.linalg.LinAlgError:
                    raise ValueError("the constrained covariance block is singular: set "
                                     "[training] ridge > 0") from None
            w = W[:, nb] @ beta[nb]    # beta is zero off the neighbours (and at j itself)
            w[j] = S[j, j]
            change = max(change, float(np.abs(w - W[:, j]).max()))
            W[:, j] = w
            W[j, :] = w
            self.beta[:, j] = beta
        self.sweeps += 1
        return change

    @property
    def precision(self) -> np.ndarray:
        """Θ from the latest regressions: Θ_jj = 1/(s_jj - w_j.β_j), Θ_{-j,j} = -β_j Θ_jj,
        symmetrised; zero off the mask by construction (S^{-1} when every pair is constrained)."""
        if self.full:
            return self._full_precision.copy()
        S, W, B = self.S, self.W, self.beta
        theta_diag = 1.0 / (np.diag(S) - np.einsum("ij,ij->j", W, B))
        T = -B * theta_diag[None, :]
        np.fill_diagonal(T, theta_diag)
        return 0.5 * (T + T.T)


class GaussianLearner(Learner):
    """Learner for kind ``gaussian``: one step = one covariance-selection sweep.

    Metrics per step: ``max_cov_error`` (max |Σ_model - S| over the diagonal and the constrained
    pairs, Σ_model = (-J)^{-1}; with ``l1`` > 0 the optimum no longer matches S off the
    diagonal), ``max_change`` (largest change of W in the sweep), ``n_nonzero`` (pairs i<j with
    J_ij != 0); with a known true precision (``true_precision``, e.g. the ``gaussian_graph``
    generator's) also ``edges_found`` (true couplings recovered as non-zero) and ``false_edges``
    (non-zero couplings where the truth has none).  evaluate(): exact ``train_ll``/``val_ll``.  Converged when ``max_change`` <
    tolerance * max_i S_ii.

    ``l1`` = Λ: the graphical lasso, maximising ℓ − Λ Σ_{i<j} |J_ij| (nats per sample; the
    same convention as the binary MaxEnt's L1).  In the convention of
    :func:`sklearn.covariance.graphical_lasso`, which minimises
    −log det Θ + tr(SΘ) + α Σ_{i≠j} |Θ_ij|, this is α = Λ.  Adjustable while running.
    """

    kind = "gaussian"
    convention = "real"
    steps_per_epoch = 1.0

    def __init__(self, train, val, mask, tolerance=1e-8, ridge=0.0, seed=0, image_shape=None,
                 l1=0.0, true_precision=None):
        train = np.asarray(train, dtype=np.float64)
        if train.ndim != 2 or len(train) < 2:
            raise ValueError("gaussian needs a (M, n) training array with M >= 2")
        if not np.all(np.isfinite(train)):
            raise ValueError("gaussian: the data contains NaN or inf")
        self.train = train
        self.val = np.asarray(val, dtype=np.float64) if val is not None and len(val) \
            else np.zeros((0, train.shape[1]))
        self.n = train.shape[1]
        self.mean = train.mean(axis=0)
        self.S = np.atleast_2d(np.cov(train, rowvar=False, bias=True)) + ridge * np.eye(self.n)
        if not (math.isfinite(float(l1)) and float(l1) >= 0):
            raise ValueError(f"l1 must be a finite number >= 0, got {l1!r}")
        self.cs = CovarianceSelection(self.S, mask, l1=float(l1))
        self.iu, self.ju = np.nonzero(np.triu(self.cs.mask, 1))
        self.true_edges = None
        if true_precision is not None:
            tp = np.asarray(true_precision, dtype=np.float64)
            if tp.shape != (self.n, self.n):
                raise ValueError(f"true_precision has shape {tp.shape}, the data {self.n} units")
            self.true_edges = tp[self.iu, self.ju] != 0
        self.tolerance = float(tolerance)
        self.seed = int(seed)
        self.image_shape = tuple(image_shape) if image_shape is not None else None
        self.params = {"mean": self.mean.copy(), "J": -np.diag(1.0 / np.diag(self.S))}
        self._change = math.inf
        self.n_steps = 0
        self._model = None

    @property
    def model(self) -> GaussianModel:
        # cached per parameter state: building it costs a Cholesky and an inverse (O(n^3))
        if self._model is None:
            self._model = GaussianModel(self.params["mean"].copy(), J=self.params["J"].copy())
        return self._model

    def params_changed(self):
        self._model = None

    def step(self):
        # single-threaded BLAS: multi-threaded OpenBLAS is ~5x slower here on a busy machine
        with single_thread_blas():
            return self._step()

    def _step(self):
        self._change = self.cs.sweep()
        theta = self.cs.precision
        self.params["J"][...] = -theta
        self._model = None
        self.n_steps += 1
        nonzero = theta[self.iu, self.ju] != 0
        out = {"max_change": self._change, "n_nonzero": float(np.count_nonzero(nonzero))}
        if self.true_edges is not None:
            out["edges_found"] = float(np.count_nonzero(nonzero & self.true_edges))
            out["false_edges"] = float(np.count_nonzero(nonzero & ~self.true_edges))
        try:
            d = np.abs(self.model.cov - self.S)
            out["max_cov_error"] = float(max(np.diag(d).max(), d[self.iu, self.ju].max()
                                             if self.iu.size else 0.0))
        except ValueError:           # not positive definite / NaN: the trainer stops the run
            out["max_cov_error"] = float("nan")
        return out

    def converged(self):
        scale = float(np.max(np.diag(self.S)))
        if self._change < self.tolerance * scale:
            return (f"converged: covariance selection changed by {self._change:.3g} < "
                    f"{self.tolerance:g} x max variance")
        return None

    def evaluation_cost(self):
        """One :meth:`evaluate` in steps by the a-priori cost model (:mod:`boltzmann_lab.learning.
        cost`): a Cholesky and the quadratic forms of every data row, against one sweep of
        n column updates."""
        from boltzmann_lab.learning import cost
        n, rows = self.n, len(self.train) + len(self.val)
        t = cost.seconds(muladds=rows * n * n + n ** 3, calls=20)
        return cost.ratio(t, cost.step_seconds(muladds=4 * n ** 3, calls=10 * n))

    def evaluate(self):
        with single_thread_blas():
            return self._evaluate()

    def _evaluate(self):
        m = self.model
        out = {"train_ll": m.log_likelihood(self.train)}
        if len(self.val):
            out["val_ll"] = m.log_likelihood(self.val)
        return out

    def views(self, n_show=16):
        with single_thread_blas():
            return self._views(n_show)

    def _views(self, n_show):
        # the coupling map shows the pair couplings J_ij (i != j); its diagonal -Θ_ii is not a
        # coupling and would set the colour scale, washing out the pattern of zeros
        couplings = self.params["J"].copy()
        np.fill_diagonal(couplings, 0.0)
        out = {"means_data": self.mean.copy(), "means_model": self.params["mean"].copy(),
               "corr_data": self.S[self.iu, self.ju].copy(), "couplings": couplings,
               "data": self.train[:n_show].copy()}
        try:
            m = self.model
        except ValueError:
            return out
        out["corr_model"] = m.cov[self.iu, self.ju].copy()
        out["fantasy"] = m.sample(n_show, np.random.default_rng([self.seed, self.n_steps]))
        out["state"] = out["fantasy"][0].copy()
        return out

    def set_hyper(self, name, value):
        if name == "tolerance":
            self.tolerance = float(value)
        elif name == "l1":
            if not (math.isfinite(float(value)) and float(value) >= 0):
                raise ValueError(f"l1 must be a finite number >= 0, got {value!r}")
            self.cs.set_l1(float(value))
            self._change = math.inf          # not converged for the new penalty
        else:
            raise KeyError(f"gaussian has no adjustable parameter {name!r}; adjustable: "
                           "tolerance, l1")

    def state_dict(self):
        d = super().state_dict()
        d.update({"cs/W": self.cs.W.copy(), "cs/beta": self.cs.beta.copy(),
                  "cs/sweeps": self.cs.sweeps, "learner/n_steps": self.n_steps,
                  "learner/change": self._change, "learner/l1": self.cs.l1})
        return d

    def load_state_dict(self, state):
        super().load_state_dict(state)
        self.cs.W[...] = state["cs/W"]
        self.cs.beta[...] = state["cs/beta"]
        self.cs.sweeps = int(state["cs/sweeps"])
        self.n_steps = int(state["learner/n_steps"])
        self._change = float(state["learner/change"])
        if "learner/l1" in state:
            self.cs.set_l1(float(state["learner/l1"]))


def make_learner(cfg, dataset) -> GaussianLearner:
    """The ``gaussian`` learner for a resolved config and a :class:`boltzmann_lab.data.dataset.Dataset`."""
    from boltzmann_lab.learning.constraints import pair_mask
    if dataset is None:
        raise ValueError("gaussian needs data: set [data] path or generator")
    m, t = cfg["model"], cfg["training"]
    mask = pair_mask(m["pairs"], dataset.n, dataset.image_shape, m["periodic"], m.get("mask"))
    return GaussianLearner(dataset.train, dataset.val, mask, tolerance=t["tolerance"],
                           ridge=t.get("ridge", 0.0), seed=t["seed"],
                           image_shape=dataset.image_shape, l1=t["l1"],
                           true_precision=_truth(dataset, mask))


def _truth(dataset, mask):
    """The generator's true precision when the data were generated with one and every pair is
    modelled (edge recovery is then meaningful); otherwise None."""
    tp = (getattr(dataset, "meta", None) or {}).get("precision")
    n = dataset.n
    if tp is None or np.shape(tp) != (n, n) or int(np.triu(mask, 1).sum()) != n * (n - 1) // 2:
        return None
    return tp
