"""Every keyboard shortcut of the app, in one table (the help overlay shows exactly this list).

Bindings live where their actions are created (transport keys in ``boltzmann_lab.app.main_window``, the rest in
``boltzmann_lab.app.lecture``/``boltzmann_lab.app.presentation``); tests check that each key here is bound.
"""

KEYS: list[tuple[str, str]] = [
    ("Space", "play / pause"),
    ("→", "one training step"),
    ("R", "reset (rebuild the model, keep the data)"),
    ("F11", "presentation mode: full screen, large fonts, thick lines"),
    ("H", "focus: hide the controls, keep the views and the transport"),
    ("Tab", "presentation: next main view (Shift+Tab: back; keys 1-9 pick one)"),
    ("S", "show / hide the settings column (put away in presentation mode)"),
    ("Esc", "leave focus, then presentation mode; close this help"),
    ("Ctrl+S", "save the session (model, chains, curves) to continue later"),
    ("Ctrl+O", "open a saved session"),
    ("Ctrl+Shift+S", "save the run config (TOML)"),
    ("Ctrl+E", "export: views as PNG at 2×, clipboard, curves as CSV"),
    ("Ctrl+Shift+C", "copy the first view to the clipboard"),
    ("G", "demo gallery"),
    ("[  ]", "smaller / larger drawing brush"),
    ("mouse", "draw on the lattice / network state (left ↑, right ↓); hover shows values"),
    ("F1  or  ?", "this help"),
    ("Ctrl+Q", "quit (also Session ▸ Quit)"),
]
