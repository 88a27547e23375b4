"""One-click analyses for the lecture, each shown in its own small window:

* **Denoising** (RBM): 16 images with 15 % of their pixels flipped, cleaned by one mean-field
  up-down pass E[v | E[h | v]] of the current model — clean | corrupted | denoised.  Runs on the
  worker thread between two steps (``Worker.call``), so it sees one consistent model.
* **Capacity sweep** (Hopfield): ``boltzmann_lab.models.hopfield.capacity_sweep`` — final overlap after recall
  from a 10 % noisy cue versus the load α = P/N for the Hebbian, Storkey and pseudo-inverse rules.
* **Λ sweep** (MaxEnt): ``boltzmann_lab.learning.maxent.lambda_sweep`` — train and validation log-likelihood (or
  pseudo-log-likelihood) and the number of non-zero couplings versus the penalty strength Λ.

The sweeps are independent computations on copies of the data: they run on a plain Python thread
(the kernels release the GIL), never on the training worker, and the window shows "running…"
until the result arrives (polled, no cross-thread widget access).
"""

from __future__ import annotations

import threading
from concurrent.futures import Future

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QDialog, QLabel, QVBoxLayout

from . import theme
from .views.base import display_shape, hstack_blocks, image_plot, style_plot, tile_mosaic

DENOISE_FLIP = 0.15
DENOISE_ROWS = 16


def in_thread(fn, *args, **kwargs) -> Future:
    """Run ``fn`` on a daemon thread; its result or exception lands in the returned Future."""
    fut = Future()

    def target():
        if not fut.set_running_or_notify_cancel():
            return
        try:
            fut.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 - handed to the GUI
            fut.set_exception(exc)

    threading.Thread(target=target, daemon=True, name="analysis").start()
    return fut


# ----------------------------------------------------------------------------- computations
def denoise(model, x, flip=DENOISE_FLIP, seed=0):
    """(clean, corrupted, denoised) for rows ``x`` of binary/spin data: flip exactly
    round(flip * n) random units per row (seeded), then one mean-field up-down pass."""
    x = np.asarray(x, np.float64)
    rng = np.random.default_rng(seed)
    lo = -1.0 if x.min() < 0 else 0.0
    noisy = x.copy()
    k = int(round(flip * x.shape[1]))
    for row in noisy:
        idx = rng.choice(x.shape[1], size=k, replace=False)
        row[idx] = np.where(row[idx] > (1.0 + lo) / 2, lo, 1.0)
    return x, noisy, np.asarray(model.reconstruct(noisy), np.float64)


def denoise_on_worker(worker, flip=DENOISE_FLIP, rows=DENOISE_ROWS, seed=0):
    """``Worker.call`` target: denoise validation rows (training rows when none)."""
    learner = worker.trainer.learner
    data = getattr(learner, "val64", None)
    if data is None or len(data) == 0:
        data = getattr(learner, "train64", None)
    if data is None or not hasattr(learner.model, "reconstruct"):
        raise ValueError("denoising needs an RBM trained on data")
    clean, noisy, out = denoise(learner.model, data[:rows], flip, seed)
    err_noisy = float(np.mean(np.abs(noisy - clean) > 0.5))
    err_out = float(np.mean(np.abs((out > (clean.min() + 1) / 2) * 1.0 -
                                   (clean > (clean.min() + 1) / 2)) > 0.5))
    return {"clean": clean, "noisy": noisy, "denoised": out, "image_shape": learner.image_shape,
            "convention": learner.convention, "wrong_before": err_noisy, "wrong_after": err_out}


def capacity_curves(n=200, alphas=None, rules=("hebbian", "storkey", "pseudoinverse"),
                    cue_noise=0.1, seed=0):
    """Mean final overlap versus α for each storage rule (``boltzmann_lab.models.hopfield.capacity_sweep``)."""
    from boltzmann_lab.sweeps.capacity import capacity_sweep
    alphas = np.linspace(0.02, 0.3, 15) if alphas is None else np.asarray(alphas)
    return {rule: capacity_sweep(n, alphas, rule=rule, cue_noise=cue_noise, trials=1,
                                 max_cues=20, seed=seed)
            for rule in rules}


def lambda_curves(cfg, dataset, lambdas=None, max_steps=300):
    """``boltzmann_lab.learning.maxent.lambda_sweep`` over a log grid of L1 strengths."""
    from boltzmann_lab.sweeps.lambda_sweep import lambda_sweep
    lambdas = list(np.geomspace(1e-4, 0.1, 9)) if lambdas is None else list(lambdas)
    return lambda_sweep(cfg, dataset, lambdas=lambdas, penalty="l1", max_steps=max_steps)


# ----------------------------------------------------------------------------- windows
class ResultWindow(QDialog):
    """A non-modal window that waits for a Future and then draws it with ``draw(result)``."""

    def __init__(self, title, future: Future, draw, parent=None):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setAttribute(Qt.WA_DeleteOnClose, False)
        lay = QVBoxLayout(self)
        self.status = QLabel("running…")
        self.status.setObjectName("hint")
        self.status.setWordWrap(True)
        lay.addWidget(self.status)
        self.canvas = pg.GraphicsLayoutWidget()
        self.canvas.setBackground(theme.BACKGROUND)
        lay.addWidget(self.canvas, 1)
        self.future = future
        self._draw = draw
        self.result = None
        self.resize(900, 520)
        self._timer = QTimer(self)
        self._timer.setInterval(50)
        self._timer.timeout.connect(self._poll)
        self._timer.start()

    def _poll(self):
        if not self.future.done():
            return
        self._timer.stop()
        try:
            self.result = self.future.result()
        except Exception as exc:   # shown, not raised: the app stays usable
            self.status.setText(f"failed: {exc}")
            return
        self.status.setText("")
        self._draw(self, self.result)


def draw_denoise(win: ResultWindow, r) -> None:
    shape = display_shape(r["clean"].shape[1], r["image_shape"])
    lo = -1.0 if r["convention"] == "spin" else 0.0
    cols = int(np.ceil(np.sqrt(len(r["clean"]))))
    gap = max(1, shape[0] // 8)
    blocks = [tile_mosaic(a, shape, cols=cols, gap=gap) for a in
              (r["clean"], r["noisy"], r["denoised"])]
    mosaic = hstack_blocks(blocks, max(2, blocks[0].shape[1] // 10))
    plot, item = image_plot(win.canvas)
    item.setImage(theme.to_index(mosaic, lo, 1.0), levels=(0, 255), lut=theme.spin_lut(),
                  autoLevels=False)
    plot.setTitle(f"clean  |  {int(DENOISE_FLIP * 100)} % flipped  |  denoised (one up-down pass)",
                  size=theme.title_size(), color=theme.INK)
    win.status.setText(f"wrong pixels: {r['wrong_before']:.1%} in the corrupted images, "
                       f"{r['wrong_after']:.1%} after denoising")


def draw_capacity(win: ResultWindow, curves) -> None:
    plot = win.canvas.addPlot()
    style_plot(plot, xlabel="load α = P / N", ylabel="mean overlap after recall")
    plot.addLegend(offset=(-10, -10), labelTextColor=theme.INK)
    for i, (rule, r) in enumerate(curves.items()):
        plot.plot(r["alpha"], r["mean_overlap"], name=rule,
                  pen=pg.mkPen(theme.PALETTE[i], width=theme.pen_width()), symbol="o",
                  symbolSize=7, symbolBrush=theme.PALETTE[i])
    plot.addItem(pg.InfiniteLine(pos=0.138, angle=90, label="α_c ≈ 0.138 (Hebbian)",
                                 labelOpts={"color": theme.INK, "position": 0.15},
                                 pen=pg.mkPen(theme.MUTED, width=1, style=Qt.DashLine)))
    plot.setYRange(0, 1.05)
    win.status.setText("N = 200 units, 10 % of the cue flipped, asynchronous recall at T = 0")


def draw_lambda(win: ResultWindow, results) -> None:
    lam = np.array([r["lambda"] for r in results])
    train = np.array([np.nan if r["train"] is None else r["train"] for r in results])
    val = np.array([np.nan if r["val"] is None else r["val"] for r in results])
    nz = np.array([r["n_nonzero"] for r in results])
    metric = results[0]["metric"] if results else "ll"
    p1 = win.canvas.addPlot(row=0, col=0)
    style_plot(p1, xlabel="Λ (L1)", ylabel=f"{'log-likelihood' if metric == 'll' else 'pseudo-LL'}"
                                             f" (nats)")
    p1.setLogMode(x=True, y=False)
    p1.addLegend(labelTextColor=theme.INK)
    w = theme.pen_width()
    p1.plot(lam, train, name="train", pen=pg.mkPen(theme.PALETTE[0], width=w), symbol="o",
            symbolBrush=theme.PALETTE[0])
    if np.isfinite(val).any():
        p1.plot(lam, val, name="validation", pen=pg.mkPen(theme.PALETTE[1], width=w), symbol="s",
                symbolBrush=theme.PALETTE[1])
    p2 = win.canvas.addPlot(row=0, col=1)
    style_plot(p2, xlabel="Λ (L1)", ylabel="non-zero couplings")
    p2.setLogMode(x=True, y=False)
    p2.plot(lam, nz, pen=pg.mkPen(theme.PALETTE[2], width=w), symbol="o",
            symbolBrush=theme.PALETTE[2])
    best = next((r for r in results if r.get("best")), None)
    if best is not None:
        win.status.setText(f"best Λ = {best['lambda']:.3g} ({best['n_nonzero']} non-zero "
                           f"couplings); larger Λ sets more couplings exactly to zero")
