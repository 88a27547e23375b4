"""Walk every widget of the main window for every preset on projector-sized screens and report what
a lecturer would see as broken: a visible widget outside the window or the screen, a label or
button whose text does not fit its width, two axis labels (or two mosaic headers) drawn over
each other, a plot squeezed flat, a plot title cut, or a toolbar hiding actions behind its
overflow button.

Run by ``test_layout_fit.py`` in a subprocess whose offscreen platform has two screens,
1280 x 800 and 1024 x 768 (``QT_QPA_PLATFORM=offscreen:configfile=...``): one window visits
both, normal and in presentation mode (every main view of the compact layout in turn).
Prints one JSON object: {"problems": [...], "checked": {...}}.
"""

from __future__ import annotations

import json
import sys
import time

#: smallest height (px) of a learning-curve plot's data area
MIN_PLOT_PX = {"normal": 40, "presentation": 70}


def _wait(app, seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)


def _settle(app, win, seconds=0.3):
    """Let the window finish laying out: ``seconds`` of events, then until the curves' deferred
    relayout has run (at most 3 s more)."""
    _wait(app, seconds)
    end = time.monotonic() + 3
    timer = getattr(win.views.curves, "_resize_timer", None)
    while timer is not None and timer.isActive() and time.monotonic() < end:
        _wait(app, 0.05)
    _wait(app, 0.05)


def _visible_text_widgets(win):
    from PySide6.QtWidgets import QWidget
    for w in win.findChildren(QWidget):
        if not w.isVisible() or QWidget.window(w) is not win:
            continue
        yield w


def _inside_scroll_area(w):
    from PySide6.QtWidgets import QAbstractScrollArea
    p = w.parentWidget()
    while p is not None:
        if isinstance(p, QAbstractScrollArea) and p.viewport().isAncestorOf(w):
            return True
        p = p.parentWidget()
    return False


def check_window(win, where: str) -> list[str]:
    """Problems of the window as it is now (see the module docstring)."""
    from PySide6.QtCore import QRect, Qt
    from PySide6.QtWidgets import (QAbstractButton, QCheckBox, QComboBox, QLabel,
                                   QRadioButton, QToolBar, QToolButton)
    from boltzmann_lab.app.views.base import ElidedLabel

    out = []
    from boltzmann_lab.app.screen_fit import available_geometry
    screen = available_geometry(win)
    frame = win.frameGeometry() if not win.isFullScreen() else win.geometry()
    if not screen.contains(frame):
        out.append(f"{where}: window {frame.getRect()} outside the screen {screen.getRect()}")
    box = win.rect().adjusted(-1, -1, 1, 1)
    for w in _visible_text_widgets(win):
        name = f"{type(w).__name__} {w.objectName() or ''}".strip()
        if w is win:
            continue
        if isinstance(w, QToolBar):
            ext = w.findChild(QToolButton, "qt_toolbar_ext_button")
            if ext is not None and ext.isVisible():
                hidden = [a.text() for a in w.actions() if not w.widgetForAction(a) or
                          not w.widgetForAction(a).isVisible()]
                out.append(f"{where}: toolbar {w.objectName()} overflows, hiding "
                           f"{[h for h in hidden if h]}")
        if _inside_scroll_area(w):
            continue
        r = QRect(w.mapTo(win, w.rect().topLeft()), w.size())
        if w.width() > 0 and w.height() > 0 and not box.contains(r):
            out.append(f"{where}: {name} {getattr(w, 'text', lambda: '')()!r} at {r.getRect()} "
                       f"lies outside the window {win.rect().getRect()}")
        text = None
        need = 0
        if isinstance(w, ElidedLabel):
            # elided on purpose; the full text must then be in the tooltip
            shown = QLabel.text(w)
            if shown != w.text() and w.toolTip() != w.text():
                out.append(f"{where}: elided label {w.text()!r} without its tooltip")
            continue
        if isinstance(w, QComboBox):
            out += _check_combo(w, name, where)
            continue
        if isinstance(w, QLabel):
            if w.wordWrap() or w.pixmap() is not None and not w.pixmap().isNull():
                continue
            t = w.text()
            if not t or w.textFormat() == Qt.RichText or (w.textFormat() == Qt.AutoText and "<" in t and ">" in t):
                continue
            text = max(t.split("\n"), key=len)
            need = w.fontMetrics().horizontalAdvance(text) + 2 * w.margin() + w.indent() \
                if w.indent() > 0 else w.fontMetrics().horizontalAdvance(text) + 2 * w.margin()
            have = w.contentsRect().width()
        elif isinstance(w, (QCheckBox, QRadioButton)):
            text = w.text().replace("&", "")
            if not text:
                continue
            need = w.fontMetrics().horizontalAdvance(text) + 18
            have = w.width()
        elif isinstance(w, QAbstractButton):
            if w.objectName() == "qt_toolbar_ext_button":
                continue
            text = w.text().replace("&", "")
            if not text:
                continue
            icon = w.iconSize().width() + 4 if not w.icon().isNull() else 0
            menu = 12 if isinstance(w, QToolButton) and w.menu() is not None else 0
            need = w.fontMetrics().horizontalAdvance(text) + icon + menu + 4
            have = w.width()
        if text and need > have + 1:
            out.append(f"{where}: {name} text {text!r} needs {need} px, has {have}")
    out += _check_overlaps(win, where)
    out += _check_plots(win, where)
    return out


def _check_overlaps(win, where):
    """Neighbours in one layout drawn over each other: a box layout squeezed below its widgets'
    minimum sizes keeps each widget at its minimum and lets them overlap (the transport's Pause
    over Step +1)."""
    from PySide6.QtWidgets import QLayout, QWidget
    out = []
    for parent in [win] + win.findChildren(QWidget):
        lay = QWidget.layout(parent)        # some classes (pyqtgraph's) shadow layout()
        if not isinstance(lay, QLayout) or not parent.isVisible() or \
                QWidget.window(parent) is not win:
            continue
        items = [lay.itemAt(i).widget() for i in range(lay.count())]
        shown = [w for w in items if w is not None and w.isVisible() and w.width() > 0 and
                 w.height() > 0]
        for i, a in enumerate(shown):
            for b in shown[i + 1:]:
                common = a.geometry().intersected(b.geometry())
                if common.width() > 1 and common.height() > 1:
                    out.append(f"{where}: {_name(a)} and {_name(b)} overlap by "
                               f"{common.width()} x {common.height()} px in "
                               f"{type(parent).__name__} {parent.objectName()}".rstrip())
    return out


def _name(w):
    text = getattr(w, "text", None)
    text = text() if callable(text) else ""
    return f"{type(w).__name__}{' ' + repr(text) if text else ''}"


def _check_combo(w, name, where):
    """A combo box's current text must fit its field, or be elided with "…" and be in full in
    the tooltip (an ElidedComboBox); a QComboBox would clip it without a sign."""
    from PySide6.QtWidgets import QStyle, QStyleOptionComboBox
    from boltzmann_lab.app.elided_combo import ElidedComboBox
    if w.isEditable():
        return []
    if isinstance(w, ElidedComboBox):
        full, shown, have = w.full_text(), w.shown_text(), w.text_width()
        out = []
        if shown != full and (not shown.endswith("…") or not w.toolTip().startswith(full)):
            out.append(f"{where}: {name} elides {full!r} to {shown!r} without the full text in "
                       f"its tooltip")
    else:
        opt = QStyleOptionComboBox()
        w.initStyleOption(opt)
        field = w.style().subControlRect(QStyle.CC_ComboBox, opt, QStyle.SC_ComboBoxEditField, w)
        shown = w.currentText() if w.currentIndex() >= 0 else w.placeholderText()
        have, out = field.width(), []
    need = w.fontMetrics().horizontalAdvance(shown)
    if shown and need > have + 1:
        out.append(f"{where}: {name} text {shown!r} needs {need} px, has {have}")
    return out


def _check_plots(win, where):
    import pyqtgraph as pg
    from PySide6.QtCore import QRectF
    out = []
    mode = "presentation" if getattr(win, "presentation", False) else "normal"
    for canvas in win.findChildren(pg.GraphicsLayoutWidget):
        if not canvas.isVisible():
            continue
        scene = canvas.scene()
        labels, texts = [], []
        for item in scene.items():
            if isinstance(item, pg.AxisItem) and item.isVisible() and item.label.isVisible() \
                    and item.label.toPlainText().strip() and item.style.get("showValues", True) \
                    is not None:
                if not item.isVisibleTo(None) if hasattr(item, "isVisibleTo") else False:
                    continue
                rect = item.label.mapRectToScene(item.label.boundingRect())
                labels.append((item.label.toPlainText(), rect, item))
                # longer than its axis: cut off at the ends (or over the ticks)
                long = item.label.boundingRect().width()
                along = item.height() if item.orientation in ("left", "right") else item.width()
                if long > along + 2:
                    out.append(f"{where}: axis label {item.label.toPlainText()!r} needs "
                               f"{long:.0f} px along an axis of {along:.0f} px")
            elif isinstance(item, pg.TextItem) and item.isVisible():
                rect = item.textItem.mapRectToScene(item.textItem.boundingRect())
                texts.append((item.textItem.toPlainText(), rect, item.parentItem()))
            elif isinstance(item, pg.PlotItem) and item.isVisible():
                title = item.titleLabel
                if title.isVisible() and title.text:
                    # the title is centred over the data area, the view box
                    need = title.item.boundingRect().width()
                    have = item.vb.width() if item.vb.isVisible() else item.width()
                    if need > have + 2 and title.maximumHeight() > 0:
                        out.append(f"{where}: plot title {title.item.toPlainText()!r} "
                                   f"needs {need:.0f} px, has {have:.0f} px")
                    # ...and where it is drawn: inside its plot and the canvas
                    text = title.item.sceneBoundingRect()
                    box = item.sceneBoundingRect()
                    seen = canvas.mapToScene(canvas.viewport().rect()).boundingRect()
                    if text.width() > 0 and title.maximumHeight() > 0 and (
                            text.left() < max(box.left(), seen.left()) - 2 or
                            text.right() > min(box.right(), seen.right()) + 2):
                        out.append(f"{where}: plot title {title.item.toPlainText()!r} drawn "
                                   f"at x {text.left():.0f}..{text.right():.0f}, outside its "
                                   f"plot {box.left():.0f}..{box.right():.0f}, canvas "
                                   f"{seen.left():.0f}..{seen.right():.0f}")
                if getattr(item, "_title_text", None) is not None:     # a curves plot
                    h = item.vb.height()
                    if h < MIN_PLOT_PX[mode]:
                        out.append(f"{where}: curve plot {item._title_text!r} squeezed to "
                                   f"{h:.0f} px (< {MIN_PLOT_PX[mode]})")
        view_rect = QRectF(canvas.rect())
        for i, (t1, r1, a1) in enumerate(labels):
            vis = canvas.mapFromScene(r1).boundingRect()
            if not QRectF(vis).intersects(view_rect):
                continue
            for t2, r2, a2 in labels[i + 1:]:
                if r1.intersects(r2) and r1.intersected(r2).width() > 1 and \
                        r1.intersected(r2).height() > 1:
                    out.append(f"{where}: axis labels {t1!r} and {t2!r} overlap")
        for i, (t1, r1, p1) in enumerate(texts):
            for t2, r2, p2 in texts[i + 1:]:
                if r1.intersects(r2) and r1.intersected(r2).width() > 1:
                    out.append(f"{where}: texts {t1!r} and {t2!r} overlap")
    return out


def _move_to(app, win, screen):
    from boltzmann_lab.app.screen_fit import PREFERRED_SIZE, fit_window
    g = screen.availableGeometry()
    win.move(g.x() + 10, g.y() + 10)
    _wait(app, 0.05)
    fit_window(win, PREFERRED_SIZE, centre=True)
    _wait(app, 0.1)


def main(argv) -> int:
    import os
    from PySide6.QtWidgets import QApplication
    from boltzmann_lab.app import settings, theme
    from boltzmann_lab.app.main_window import MainWindow
    from boltzmann_lab.presets import preset_names

    names = argv or preset_names()
    app = QApplication(["layout-probe"])
    settings.use_folder(os.environ.get("LAYOUT_PROBE_SETTINGS", "/tmp/layout-probe-settings"))
    theme.apply(app, False)
    screens = sorted(app.screens(), key=lambda s: -s.geometry().width())
    win = MainWindow()
    win.errors.dialogs_enabled = False
    win.show()
    problems, checked = [], {}
    for name in names:
        t0 = time.monotonic()
        win.load_preset(name, autoplay=True)
        end = time.monotonic() + 25
        while time.monotonic() < end:
            _wait(app, 0.05)
            v = win.views.visible_names()
            if win.pending is None and win.worker is not None and v and \
                    (win.views.curves.has_data() or win.worker.state in ("done", "failed")) \
                    and len(v) >= 2 - (not win.views.curves.has_data()):
                break
        _wait(app, 0.6)
        win.pause()
        print(f"{name}: views after {time.monotonic() - t0:.1f} s", file=sys.stderr, flush=True)
        for screen in screens:
            size = f"{screen.geometry().width()}x{screen.geometry().height()}"
            _move_to(app, win, screen)
            _settle(app, win)
            where = f"{name} {size} normal"
            if os.environ.get("LAYOUT_PROBE_DEBUG"):
                cv = win.views.curves
                print(where, [(g, round(p.vb.height()), round(p.height())) for g, p in
                              cv.plots.items()], cv.canvas.height(), cv.__dict__.get("_cap"),
                      cv.room_for_plots(), file=sys.stderr)
            problems += check_window(win, where)
            checked[where] = list(win.views.visible_names())
            win.presentation_action.setChecked(True)
            _settle(app, win)
            for page in range(max(len(win.views.pages()), 1)):
                win.views.show_page(page)
                _settle(app, win, 0.15)
                where = f"{name} {size} presentation view {page + 1}"
                problems += check_window(win, where)
                checked[where] = list(win.views.visible_names())
            win.views.show_page(0)
            win.presentation_action.setChecked(False)
            _wait(app, 0.3)
            print(f"{name} {size}: checked after {time.monotonic() - t0:.1f} s", file=sys.stderr,
                  flush=True)
            avail = screen.availableGeometry()
            end = time.monotonic() + 3          # the window system settles the frame
            while not avail.contains(win.frameGeometry()) and time.monotonic() < end:
                _wait(app, 0.05)
            g = win.frameGeometry()
            if not avail.contains(g):
                problems.append(f"{name} {size}: after presentation the window {g.getRect()} "
                                f"does not fit the screen {avail.getRect()}")
    win.shutdown()
    print(json.dumps({"problems": problems, "checked": checked}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
