"""The app follows the system's light or dark scheme."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication

from shoplytics_desktop.ui import theme


def test_the_palette_follows_the_scheme(qtbot) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    original = app.palette()
    try:
        assert theme.is_dark(theme.dark_palette())
        assert theme.apply_system_scheme(app, dark=not theme.is_dark()) is True
        dark = theme.is_dark()
        assert theme.apply_system_scheme(app, dark=dark) is False  # already so: untouched
        # the colours the app picks follow: status text lightens on dark, darkens on light
        done = theme.status_text_color("success")
        assert (done.lightness() > theme.status_color("success").lightness()) == dark
        assert theme.apply_system_scheme(app, dark=not dark) is True
        assert theme.is_dark() is not dark
    finally:
        app.setPalette(original)
