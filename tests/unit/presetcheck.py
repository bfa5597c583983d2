"""Shared by the preset tests: import a fixture through the CLI and count what loaded."""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest

from shoplytics_desktop.cli import main
from shoplytics_desktop.core.workspace import Workspace

PRESETS = Path(__file__).resolve().parents[1] / "fixtures" / "presets"


@dataclass(frozen=True)
class Numbers:
    events: int
    types: dict[str, int]
    users: int
    sessions: int
    orders: int
    revenue: dict[str, Decimal]  # currency → Σ price × quantity of purchases
    refunds: dict[str, Decimal]
    units: int
    lines: int  # purchase rows (product lines)


def import_file(ws: Path, path: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> str:
    code = main(["import", "-w", str(ws), "-q", *extra, str(path)])
    out, err = capsys.readouterr()
    assert code == 0, err
    return out


def numbers(ws: Path) -> Numbers:
    with Workspace.open(ws, read_only=True) as w:
        con = w.cursor()

        def one(sql: str) -> object:
            row = con.execute(sql).fetchone()
            assert row is not None
            return row[0]

        types = dict(con.execute("SELECT event_type, count(*) FROM raw.events GROUP BY 1").fetchall())
        money = con.execute(
            "SELECT event_type, coalesce(currency, '-'), sum(price * quantity) FROM raw.events "
            "WHERE event_type IN ('purchase', 'refund') GROUP BY ALL"
        ).fetchall()
        return Numbers(
            events=int(one("SELECT count(*) FROM raw.events")),  # type: ignore[call-overload]
            types={str(k): int(v) for k, v in types.items()},
            users=int(one("SELECT count(DISTINCT user_id) FROM raw.events")),  # type: ignore[call-overload]
            sessions=int(one(  # type: ignore[call-overload]
                "SELECT count(DISTINCT (user_id, session_id)) FROM raw.events "
                "WHERE session_id IS NOT NULL")),
            orders=int(one(  # type: ignore[call-overload]
                "SELECT count(DISTINCT order_id) FROM raw.events WHERE event_type = 'purchase'")),
            revenue={c: Decimal(v) for t, c, v in money if t == "purchase"},
            refunds={c: Decimal(v) for t, c, v in money if t == "refund"},
            units=int(one(  # type: ignore[call-overload]
                "SELECT coalesce(sum(quantity), 0) FROM raw.events WHERE event_type = 'purchase'")),
            lines=int(one("SELECT count(*) FROM raw.events WHERE event_type = 'purchase'")),  # type: ignore[call-overload]
        )


def shuffled(src: Path, dest: Path, header: bool, seed: int = 7) -> Path:
    lines = src.read_text(encoding="utf-8").splitlines(keepends=True)
    head, body = (lines[:1], lines[1:]) if header else ([], lines)
    random.Random(seed).shuffle(body)
    dest.write_text("".join(head + body), encoding="utf-8")
    return dest


def run_publishes(ws: Path, capsys: pytest.CaptureFixture[str]) -> str:
    code = main(["run", "--workspace", str(ws)])
    out, err = capsys.readouterr()
    assert code == 0, out + err
    return out
