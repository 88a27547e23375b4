"""Keep the main window on its screen: size and place it within the screen's *available* geometry
(the desktop minus panels and docks) every time it is shown, restored or leaves full screen.

A 1280 x 800 projector is the design case: a window opened at a fixed 1600 x 900 puts the right
column, the Help menu and the status bar off screen there, and a window remembered on a larger
monitor would do the same.  :func:`fit_window` shrinks the window (never below what the screen
allows) and moves it so that its frame lies inside the available area.

:func:`presentation_point_size` derives the presentation font size from the screen's height: text
~1/50 of the height, at least 12 pt (12 pt = 16 px on 720-800 px projectors, where the layout
test checks that everything fits; 16 pt on 1080 px, 18 pt on 1200 px, at 96 dpi).
"""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize

#: the window size asked for on a large screen
PREFERRED_SIZE = (1600, 900)
#: title-bar and border allowance before the window manager has told us its frame
DEFAULT_FRAME = (0, 0, 0, 0)


def screen_of(window):
    """The screen the window is on: the one under its centre once shown (``QWidget.screen`` is
    updated only after the window system has reported a move), else its own or the primary."""
    from PySide6.QtGui import QGuiApplication
    if window is not None and window.isVisible():
        screen = QGuiApplication.screenAt(window.frameGeometry().center())
        if screen is not None:
            return screen
    screen = window.screen() if window is not None else None
    return screen or QGuiApplication.primaryScreen()


def available_geometry(window) -> QRect:
    screen = screen_of(window)
    return QRect(screen.availableGeometry()) if screen is not None else QRect(0, 0, 1280, 800)


def frame_margins(window) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) of the window manager's frame, as far as known."""
    if window.isVisible():
        fg, g = window.frameGeometry(), window.geometry()
        m = (g.left() - fg.left(), g.top() - fg.top(), fg.right() - g.right(),
             fg.bottom() - g.bottom())
        if all(0 <= v <= 100 for v in m):
            return m
    return DEFAULT_FRAME


def fitted_rect(rect: QRect, avail: QRect, frame=(0, 0, 0, 0), minimum=(0, 0)) -> QRect:
    """``rect`` (client area) shrunk to fit ``avail`` with its ``frame`` and moved inside it."""
    fl, ft, fr, fb = frame
    room_w = max(avail.width() - fl - fr, 1)
    room_h = max(avail.height() - ft - fb, 1)
    w = max(min(rect.width(), room_w), min(minimum[0], room_w))
    h = max(min(rect.height(), room_h), min(minimum[1], room_h))
    x = min(max(rect.x(), avail.left() + fl), avail.left() + fl + room_w - w)
    y = min(max(rect.y(), avail.top() + ft), avail.top() + ft + room_h - h)
    return QRect(x, y, w, h)


def fit_window(window, size=None, centre: bool = False, frame=None) -> QRect:
    """Resize and move ``window`` (not full screen or maximised) inside its screen's available
    geometry; ``size`` (w, h) asks for a size first (e.g. :data:`PREFERRED_SIZE`), ``centre``
    centres it; ``frame`` (left, top, right, bottom) gives the window manager's frame when it is
    known better than now (just after leaving full screen it is briefly missing).  The window's
    minimum size is lowered where the screen is smaller.  Returns the new client rectangle."""
    avail = available_geometry(window)
    known = frame_margins(window)
    frame = tuple(max(a, b) for a, b in zip(frame, known)) if frame is not None else known
    mins = window.minimumSize()
    room = QSize(avail.width() - frame[0] - frame[2], avail.height() - frame[1] - frame[3])
    if mins.width() > room.width() or mins.height() > room.height():
        window.setMinimumSize(min(mins.width(), room.width()), min(mins.height(), room.height()))
    if window.isFullScreen() or window.isMaximized():
        return window.geometry()
    rect = QRect(window.geometry())
    if size is not None:
        rect.setSize(QSize(int(size[0]), int(size[1])))
    if centre:
        rect.moveCenter(avail.center())
    new = fitted_rect(rect, avail, frame, (mins.width(), mins.height()))
    if new.size() != window.size():
        window.resize(new.size())
    if new.topLeft() != window.geometry().topLeft():
        # move() places the frame; the rectangle above is the client area
        window.move(new.x() - frame[0], new.y() - frame[1])
    if window.isVisible():
        # platforms differ in what move() places: shift by what still sticks out
        fg = window.frameGeometry()
        dx = max(avail.left() - fg.left(), 0) - max(fg.right() - avail.right(), 0)
        dy = max(avail.top() - fg.top(), 0) - max(fg.bottom() - avail.bottom(), 0)
        if dx or dy:
            window.move(window.pos().x() + dx, window.pos().y() + dy)
    return window.geometry()


def presentation_point_size(window=None) -> int:
    """Presentation font size (pt) for the window's screen: ~1/50 of its height, 12..20 pt."""
    screen = screen_of(window)
    if screen is None:
        return 15
    height = screen.geometry().height()
    dpi = screen.logicalDotsPerInchY() or 96.0
    px = height / 50.0
    return int(min(max(round(px * 72.0 / dpi), 12), 20))
