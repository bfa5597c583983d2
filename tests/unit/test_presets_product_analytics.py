"""The Amplitude and Mixpanel export presets, on small JSON-lines fixtures written from their
export formats.

amplitude/export.json: dev-1 (u1 once identified) in session 1746957600000 (ms): a page view,
Product Viewed P1 12.50, [Amplitude] Revenue ($productId P1, $price 12.50, $quantity 2, EUR)
→ revenue EUR 25.00; dev-2: custom_ping outside a session (session_id -1 → no session).
Users: dev-1, u1, dev-2 = 3; sessions: (dev-1, …) and (u1, …) share the source id but are two
per-user sessions = 2. Countries DE, FR (names → codes).

mixpanel/export.json: $device:abc views a page and adds P9 (3.00) to the cart; cust-9 buys
P9 3.00 × 2 (order o-1, GBP) → revenue GBP 6.00; times in epoch seconds (10:00, 10:01, 10:02).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from shoplytics_desktop.core.workspace import Workspace
from tests.unit.presetcheck import PRESETS, import_file, numbers, shuffled


@pytest.mark.parametrize("shuffle", [False, True])
def test_amplitude(tmp_path: Path, capsys: pytest.CaptureFixture[str], shuffle: bool) -> None:
    src = PRESETS / "amplitude" / "export.json"
    if shuffle:
        src = shuffled(src, tmp_path / "export.json", header=False)
    out = import_file(tmp_path / "ws", src, capsys)
    assert "(preset amplitude)" in out
    n = numbers(tmp_path / "ws")
    assert n.types == {"page_view": 1, "product_view": 1, "purchase": 1, "other": 1}
    assert (n.users, n.sessions, n.units, n.lines) == (3, 2, 2, 1)
    assert n.revenue == {"EUR": Decimal("25.00")}
    with Workspace.open(tmp_path / "ws", read_only=True) as w:
        assert w.cursor().execute(
            "SELECT session_id, country FROM raw.events WHERE event_id = 'i4'").fetchone() == (None, "FR")


@pytest.mark.parametrize("shuffle", [False, True])
def test_mixpanel(tmp_path: Path, capsys: pytest.CaptureFixture[str], shuffle: bool) -> None:
    src = PRESETS / "mixpanel" / "export.json"
    if shuffle:
        src = shuffled(src, tmp_path / "export.json", header=False)
    out = import_file(tmp_path / "ws", src, capsys)
    assert "(preset mixpanel)" in out
    n = numbers(tmp_path / "ws")
    assert n.types == {"page_view": 1, "add_to_cart": 1, "purchase": 1}
    assert (n.users, n.orders, n.units) == (2, 1, 2)
    assert n.revenue == {"GBP": Decimal("6.00")}
    with Workspace.open(tmp_path / "ws", read_only=True) as w:
        assert w.cursor().execute(
            "SELECT CAST(max(event_time) AS VARCHAR) FROM raw.events").fetchone() == (
            "2025-05-11 10:02:00",)
