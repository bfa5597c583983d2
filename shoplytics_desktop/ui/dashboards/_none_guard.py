"""A guard against a reference-count defect of PySide6 6.12 on CPython 3.11.

There, every call of a Qt method that returns nothing (``QWidget.hide``, ``QGraphicsItem.show``,
``setText`` …) drops one reference to ``None`` that it never took, and every signal ``emit``
one to ``True``. Charts make thousands of such
calls per redraw, so after a few redraws ``None``'s count reaches zero and the interpreter aborts
("none_dealloc: deallocating None"). From CPython 3.12 ``None`` is immortal and the defect is
harmless. The guard probes for the defect and, only when it is present, raises ``None``'s count
(and those of ``True`` and ``False``) far out of reach; it costs nothing else (no memory is
held).
"""

from __future__ import annotations

import ctypes
import sys

_HEADROOM = 1 << 40
_applied = False


def _drops_none_references() -> bool:
    from PySide6.QtCore import QObject

    probe = QObject()
    before = sys.getrefcount(None)
    for _ in range(64):
        probe.setObjectName("probe")
    return sys.getrefcount(None) < before - 32


def apply() -> bool:
    """Apply the guard once if this interpreter needs it; True when it was applied."""
    global _applied
    if _applied or sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return _applied
    if _drops_none_references():
        for singleton in (None, True, False):
            refcnt = ctypes.c_ssize_t.from_address(id(singleton))
            refcnt.value += _HEADROOM
        _applied = True
    return _applied
