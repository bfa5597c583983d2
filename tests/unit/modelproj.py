"""Build small throwaway model projects for the graph and runner tests."""

from __future__ import annotations

import textwrap
from pathlib import Path

from shoplytics_desktop.core.workspace import Workspace


def write_project(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).strip() + "\n", encoding="utf-8")
    return root


PROJECT = {
    "staging/stg_counts.sql": "select user_id, count(*) as n from raw.events group by user_id",
    "marts/fct_users.sql": "select user_id, n, n * 10 as score from stg_counts",
    "marts/fct_total.sql": "select sum(n) as total from fct_users",
    "marts/_marts.yml": """
        version: 2
        models:
          - name: fct_users
            description: One row per user.
            columns:
              - name: user_id
                description: The user.
                tests: [not_null, unique]
              - name: score
                description: Ten per event.
                tests:
                  - expression_is_true: {expression: "score < 25", severity: warn}
    """,
}


def insert_users(ws: Workspace, users: list[str]) -> None:
    rows = ", ".join(
        f"('{i}', TIMESTAMP '2024-01-01 00:00:00', 'other', 'x', '{u}', 1, 'd', 'XX', 't', 'b', now())"
        for i, u in enumerate(users)
    )
    ws.cursor().execute(
        "DELETE FROM raw.events; INSERT INTO raw.events (event_id, event_time, event_type, "
        "event_name, user_id, quantity, device, country, traffic_source, _batch_id, _loaded_at) "
        f"VALUES {rows}"
    )
