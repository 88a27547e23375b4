"""Gradient-ascent optimizers and learning-rate schedules.

All optimizers *ascend*: ``params[k] += step(grad[k])`` where ``grad`` is the gradient of the mean
log-likelihood minus the penalty.  Parameters are a dict of numpy arrays updated in place.

Schedules (``t`` = number of completed steps, ``lr0`` = the base learning rate):

* ``constant``:     lr(t) = lr0
* ``exponential``:  lr(t) = lr0 * decay**t
* ``inverse``:      lr(t) = lr0 / (1 + decay * t)

Adam is Kingma & Ba (2015) with bias correction:
    m <- b1 m + (1-b1) g,  v <- b2 v + (1-b2) g^2,
    step = lr * (m / (1-b1^t)) / (sqrt(v / (1-b2^t)) + eps)
so that the first step has magnitude ``lr`` per coordinate (not a fraction of it).
"""

import numpy as np

OPTIMIZERS = ("sgd", "momentum", "adam")
SCHEDULES = ("constant", "exponential", "inverse")


def scheduled_rate(lr0, t, schedule="constant", decay=0.0):
    """The learning rate after ``t`` completed steps (formulas in the module docstring)."""
    if schedule == "constant":
        return lr0
    if schedule == "exponential":
        return lr0 * (decay if decay > 0 else 1.0) ** t
    if schedule == "inverse":
        return lr0 / (1.0 + decay * t)
    raise ValueError(f"unknown learning-rate schedule {schedule!r}; choose one of {', '.join(SCHEDULES)}")


class Optimizer:
    """Base class: ``step(params, grads)`` applies one ascent step in place."""

    def __init__(self, learning_rate=0.01, schedule="constant", decay=0.0):
        self.lr0 = float(learning_rate)
        self.schedule = schedule
        self.decay = float(decay)
        self.t = 0
        scheduled_rate(self.lr0, 0, schedule, decay)  # validates the schedule name

    @property
    def lr(self):
        return scheduled_rate(self.lr0, self.t, self.schedule, self.decay)

    def step(self, params, grads):
        lr = self.lr
        for k, g in grads.items():
            params[k] += self._delta(k, g, lr)
        self.t += 1

    def _delta(self, key, grad, lr):
        raise NotImplementedError

    # sessions: the optimizer state is a dict of arrays plus the step counter
    def state_dict(self):
        return {"t": self.t}

    def load_state_dict(self, state):
        self.t = int(state["t"])


class SGD(Optimizer):
    def _delta(self, key, grad, lr):
        return lr * grad


class Momentum(Optimizer):
    """Heavy-ball momentum: v <- mu v + lr g; params += v."""

    def __init__(self, learning_rate=0.01, momentum=0.9, **kw):
        super().__init__(learning_rate, **kw)
        self.mu = float(momentum)
        self.velocity = {}

    def _delta(self, key, grad, lr):
        v = self.velocity.get(key)
        v = lr * grad if v is None else self.mu * v + lr * grad
        self.velocity[key] = v
        return v

    def state_dict(self):
        d = super().state_dict()
        d.update({f"velocity/{k}": v for k, v in self.velocity.items()})
        return d

    def load_state_dict(self, state):
        super().load_state_dict(state)
        self.velocity = {k.split("/", 1)[1]: np.array(v) for k, v in state.items()
                         if k.startswith("velocity/")}


class Adam(Optimizer):
    """Adam with bias correction (see the module docstring for the formula)."""

    def __init__(self, learning_rate=0.01, beta1=0.9, beta2=0.999, eps=1e-8, **kw):
        super().__init__(learning_rate, **kw)
        self.b1, self.b2, self.eps = float(beta1), float(beta2), float(eps)
        self.m, self.v = {}, {}

    def step(self, params, grads):
        lr = self.lr
        t = self.t + 1
        for k, g in grads.items():
            m = self.m.get(k)
            v = self.v.get(k)
            if m is None:
                m = np.zeros_like(g)
                v = np.zeros_like(g)
            m = self.b1 * m + (1 - self.b1) * g
            v = self.b2 * v + (1 - self.b2) * g * g
            self.m[k], self.v[k] = m, v
            mhat = m / (1 - self.b1 ** t)
            vhat = v / (1 - self.b2 ** t)
            params[k] += lr * mhat / (np.sqrt(vhat) + self.eps)
        self.t = t

    def state_dict(self):
        d = super().state_dict()
        d.update({f"m/{k}": v for k, v in self.m.items()})
        d.update({f"v/{k}": v for k, v in self.v.items()})
        return d

    def load_state_dict(self, state):
        super().load_state_dict(state)
        self.m = {k[2:]: np.array(v) for k, v in state.items() if k.startswith("m/")}
        self.v = {k[2:]: np.array(v) for k, v in state.items() if k.startswith("v/")}


def make_optimizer(name, learning_rate, momentum=0.9, schedule="constant", decay=0.0):
    """Build an optimizer by name (``sgd``, ``momentum``, ``adam``)."""
    if name == "sgd":
        return SGD(learning_rate, schedule=schedule, decay=decay)
    if name == "momentum":
        return Momentum(learning_rate, momentum=momentum, schedule=schedule, decay=decay)
    if name == "adam":
        return Adam(learning_rate, schedule=schedule, decay=decay)
    raise ValueError(f"unknown optimizer {name!r}; choose one of {', '.join(OPTIMIZERS)}")


def l1_l2_penalty_grad(w, l1, l2):
    """Gradient of -(l1 |w|_1 + l2/2 |w|^2) (to be *added* to the log-likelihood gradient)."""
    g = np.zeros_like(w)
    if l2:
        g -= l2 * w
    if l1:
        g -= l1 * np.sign(w)
    return g


def soft_threshold(w, thresh):
    """Proximal step for L1: shrink towards zero, exactly zero inside [-thresh, thresh]."""
    return np.sign(w) * np.maximum(np.abs(w) - thresh, 0.0)
