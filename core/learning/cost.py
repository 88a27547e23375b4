"""A small a-priori cost model: seconds of work estimated from array sizes only, never from clocks.

The trainer (:mod:`boltzmann_lab.learning.trainer`) spaces evaluations by the ratio
``learner.evaluation_cost()`` = (estimated seconds of one ``evaluate()``) / (estimated seconds of
one ``step()``), so the schedule is a function of the configuration alone: two runs of the same
config evaluate at the same steps on any machine, under any load.  Only the *ratio* matters, so
the constants need to be right relative to each other, not in absolute terms.

Per-operation constants, measured on the development machine (2 cores shared with other jobs,
load average ~12-16, numpy + OpenBLAS pinned to one thread) with :func:`time.perf_counter` around
the named operation (best of 3-7 repeats for the kernels, means over 50-200 steps for the steps,
since a step of a fraction of a millisecond suffers the load more than a long enumeration does);
``benchmarks/bench_eval_budget.py`` prints the resulting estimated vs measured evaluation costs
per learner (within ~0.4-1.7x for RBM, DBM and MaxEnt):

``MULADD_S``       one multiply-add of a BLAS matrix product (float32 or float64) with operands of
                   training sizes: measured 3e-11 (float32, in cache) to 3e-10 (float64, 1000 x 784
                   x 100); 1.5e-10 fits the RBM step timings below.
``ELEMENT_S``      one elementwise numpy operation with a transcendental (exp, log, the softplus
                   of a free energy): 3e-8 (``np.log(1 + np.exp(-|x|))`` on 1e6 float64).
``SAMPLE_S``       one unit drawn in a numba Gibbs kernel (sigmoid/tanh + uniform): 2e-8.
``CALL_S``         one numpy call on small arrays (dispatch, temporaries): 2e-6.
``STEP_OVERHEAD_S`` the fixed Python cost of one training step (trainer bookkeeping, the
                   divergence check, the learner's dozen numpy calls): 2e-4 (a 4 x 2 RBM step:
                   0.38 ms mean, 0.12 ms median on the loaded machine).
``ENUM_FREE_S``    one state x unit of an RBM/DBM free-energy enumeration (a row of a GEMM plus a
                   softplus): 5e-8 (64 x 20 RBM, 2^20 hidden states x 64 visible units: 3.1 s
                   mean under load, 1.9 s at best).
``ENUM_PAIR_S``    one state x unit of the pairwise enumeration kernel
                   (:mod:`boltzmann_lab.kernels.enumerate`: GEMMs of half-configurations and a SIMD
                   exp): 5e-10 for log Z (n = 16..20), about twice that with the moments.
``ENUM_POTTS_S``   one state x (b q + 1) of the Potts enumeration kernel
                   (:mod:`boltzmann_lab.exact.potts`, one-hot GEMMs): 2.5e-9 (q^n = 2^19..2^24).

RBM steps (PCD, batch 100, 100 chains; means over 50 steps) measured / modelled: 4 x 2 0.38 /
0.20 ms, 64 x 20 0.43 / 0.51 ms, 64 x 20 with k = 5 1.47 / 1.33 ms, 784 x 100 10.1 / 8.1 ms,
784 x 500 39 / 33 ms.  Timings on a machine this busy scatter by a factor ~2 from run to run:
the model aims at the right order of magnitude, which is all the schedule needs.

``LIVE_EVAL_SECONDS`` caps one evaluation of a live run (:func:`boltzmann_lab.exact.enumeration.
affordable` with ``seconds``): exact enumeration is done during training only where the model
says it costs at most this; above it the learner reports a pseudo-likelihood / AIS / bound instead
(``boltzmann-lab evaluate``, offline and one-shot, keeps exact up to the enumeration limit).
"""

from __future__ import annotations

import math

MULADD_S = 1.5e-10
ELEMENT_S = 3e-8
SAMPLE_S = 2e-8
CALL_S = 2e-6
STEP_OVERHEAD_S = 2e-4
ENUM_FREE_S = 5e-8
ENUM_PAIR_S = 5e-10
ENUM_POTTS_S = 2.5e-9
#: the most one live evaluation may cost by this model (64 x 20 RBM exact: 3.4 s; 64 x 22 and
#: 784 x 17 are over it)
LIVE_EVAL_SECONDS = 4.0


def seconds(muladds=0.0, elements=0.0, samples=0.0, calls=0.0, overhead=0.0) -> float:
    """Estimated seconds of a piece of work described by operation counts."""
    return (MULADD_S * muladds + ELEMENT_S * elements + SAMPLE_S * samples + CALL_S * calls
            + overhead)


def step_seconds(muladds=0.0, elements=0.0, samples=0.0, calls=0.0) -> float:
    """Estimated seconds of one training step: the fixed overhead plus the counted work."""
    return seconds(muladds, elements, samples, calls, STEP_OVERHEAD_S)


#: seconds per (state x unit of width) of each enumeration kernel
ENUM_S = {"free": ENUM_FREE_S, "pairwise": ENUM_PAIR_S, "potts": ENUM_POTTS_S}


def enumeration_seconds(n, width, kernel="free", q=2) -> float:
    """Estimated seconds to enumerate the q^n states of ``n`` units, ``width`` units of work
    each, with ``kernel`` ``free`` (the free-energy enumeration of an RBM/DBM layer), ``pairwise``
    (the blocked kernel of a pairwise model, width n) or ``potts`` (width b q + 1, b = n - n // 2
    the right half's sites)."""
    return ENUM_S[kernel] * max(int(width), 1) * float(q) ** int(n)


def ratio(eval_seconds, step_seconds_) -> float:
    """The cost of one evaluation in units of one training step."""
    return float(eval_seconds) / max(float(step_seconds_), 1e-12)


def eval_interval(eval_every, cost, budget) -> int:
    """Steps between scheduled evaluations: the smallest multiple k of ``eval_every`` with
    cost / (k + cost) <= ``budget`` (``cost`` in steps, from ``learner.evaluation_cost()``), i.e.
    k >= cost (1 - budget) / budget; ``eval_every`` when the cost is ``None`` (cheap) or there is
    no budget (``None`` or >= 1)."""
    every = max(1, int(eval_every))
    if cost is None or budget is None or budget >= 1.0 or not cost > 0:
        return every
    budget = max(float(budget), 1e-6)
    need = float(cost) * (1.0 - budget) / budget
    return every * max(1, math.ceil(need / every - 1e-9))
