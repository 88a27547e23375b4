"""The README's picture of the Sweep dialog (:mod:`boltzmann_lab.app.sweep_dialog`)::

    python -m boltzmann_lab.app.sweep_screenshot resources/screenshots/sweep-dialog.png DIR

runs a real sweep (24 RBM runs on a local cluster, a few minutes on 2 cores) into ``DIR`` and saves
the dialog once every point has arrived.
"""

from __future__ import annotations

import time

from . import theme


def demo_screenshot(path, out_dir, preset: str = "rbm-bars") -> None:
    """The README's picture: on ``preset``, a grid over the hidden units and the learning rate,
    3 seeds, on a local cluster; the dialog is saved to ``path`` once every point has arrived.
    ``python -m boltzmann_lab.app.sweep_screenshot resources/screenshots/sweep-dialog.png DIR``"""
    import os

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from .main_window import MainWindow
    app = QApplication.instance() or QApplication([])
    theme.apply(app, False)
    win = MainWindow()
    win.resize(1280, 800)
    win.load_preset(preset)
    while win.pending is not None or win.active_cfg is None:
        app.processEvents()
        time.sleep(0.02)
    dlg = win.lecture.show_sweep_dialog()
    dlg.out_edit.setText(str(out_dir))
    for i, (key, values) in enumerate((("model.hidden", "4, 8, 16, 32"),
                                       ("training.learning_rate", "0.02, 0.1"))):
        dlg.key_boxes[i].setCurrentText(key)
        dlg.value_edits[i].setText(values)
    dlg.seeds.setValue(3)
    dlg.resize(1200, 760)
    dlg.start()
    while dlg.result is None and dlg.error is None:
        app.processEvents()
        time.sleep(0.05)
    if dlg.error:
        raise RuntimeError(dlg.error)
    dlg.x_box.setCurrentText("model.hidden")
    dlg.table.selectRow(4)
    for _ in range(20):
        app.processEvents()
        time.sleep(0.02)
    dlg.grab().save(str(path))
    win.shutdown()


if __name__ == "__main__":
    import sys
    demo_screenshot(sys.argv[1], sys.argv[2])
