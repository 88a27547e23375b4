"""Centring (Montavon & Mueller, "Deep Boltzmann machines and the centering trick", 2012;
Melchior, Fischer & Wiskott, JMLR 17 (2016) 1-39): the centred gradient and step of a chain of
layers x_0 - x_1 - ... - x_L coupled by W_l (x_l to x_{l+1}), shared by the RBM (L = 1) and the
DBM learners.

The same model written with offsets o_l,
E = -sum_l (x_l - o_l).b_c,l - sum_l (x_l - o_l).W_l.(x_{l+1} - o_{l+1}), is ascended in the centred
parameters: the gradient is dW_c,l = dW_l - o_l db_{l+1}^T - db_l o_{l+1}^T (db unchanged), and an
optimizer step (dW_c, db_c) of it moves the stored parameters by dW_l = dW_c,l and
db_l = db_c,l - dW_c,{l-1}^T o_{l-1} - dW_c,l o_{l+1}.  Moving an offset changes the centred
parameters only, not the model.  For plain gradient steps this is d = P P^T g (P the Jacobian of
the reparametrisation), an ascent direction (g.d = |P^T g|^2 >= 0).  o_0 = the data mean (fixed);
the hidden offsets follow the minibatch means of the hidden posterior with sliding factor
``CENTERING_SLIDE``.
"""

from __future__ import annotations

import numpy as np

#: the hidden offsets follow the minibatch mean of the posterior with this sliding factor
CENTERING_SLIDE = 0.05


def centred_gradient(gW, gb, offsets) -> None:
    """In place: gW[l] becomes dW_c,l = dW_l - o_l gb[l+1]^T - gb[l] o_{l+1}^T (module
    docstring); ``gW`` (L arrays), ``gb`` and ``offsets`` (L + 1 arrays each) per layer."""
    for l, g in enumerate(gW):
        g -= np.outer(offsets[l], gb[l + 1]).astype(g.dtype, copy=False)
        g -= np.outer(gb[l], offsets[l + 1]).astype(g.dtype, copy=False)


def uncentred_bias_steps(dW, db, offsets) -> list:
    """The stored biases' steps for a centred step (dW, db): db_l - dW_{l-1}^T o_{l-1} - dW_l o_{l+1}
    (new arrays; the weights' steps are dW unchanged)."""
    L = len(dW)
    out = []
    for l, d in enumerate(db):
        if l > 0:
            d = d - dW[l - 1].T @ offsets[l - 1]
        if l < L:
            d = d - dW[l] @ offsets[l + 1]
        out.append(d)
    return out


def slide(offsets, hidden_means, dtype=None) -> None:
    """Move the hidden offsets o_1 ... o_L towards this minibatch's posterior means, in place."""
    for o, hm in zip(offsets[1:], hidden_means):
        o += o.dtype.type(CENTERING_SLIDE) * (np.asarray(hm, o.dtype) - o)
