"""``shoplytics info`` and ``shoplytics settings``."""

from __future__ import annotations

import argparse
from typing import Any

from shoplytics_desktop.cli.common import add_workspace_arg, format_table, open_workspace
from shoplytics_desktop.core.errors import WorkspaceError
from shoplytics_desktop.core.settings import SettingsError, WorkspaceSettings
from shoplytics_desktop.core.workspace import DB_FILE, LAYERS


def register(sub: Any) -> None:
    p = sub.add_parser("info", help="show the workspace: where it is and what it holds")
    add_workspace_arg(p)
    p.set_defaults(func=cmd_info)

    p = sub.add_parser("settings", help="show or change workspace settings")
    add_workspace_arg(p)
    p.add_argument("assignments", nargs="*", metavar="KEY=VALUE", help="settings to change")
    p.set_defaults(func=cmd_settings)

    p = sub.add_parser(
        "restore-backup",
        help="put the automatic backup (warehouse.duckdb.bak) back in place of the database",
    )
    add_workspace_arg(p)
    p.set_defaults(func=cmd_restore_backup)


def cmd_info(args: argparse.Namespace) -> int:
    with open_workspace(args, read_only=True) as ws:
        print(f"workspace  {ws.folder}")
        print(f"database   {ws.folder / DB_FILE} ({ws.db_path.stat().st_size / 1e6:,.1f} MB)")
        print(f"models     {ws.models_dir}")
        rows = ws.cursor().execute(
            "SELECT schema_name, table_name, estimated_size FROM duckdb_tables() "
            "WHERE schema_name IN ('raw', ?, ?, ?) ORDER BY 1, 2",
            list(LAYERS),
        ).fetchall()
        counts = [(s, t, ws.row_count(s, t)) for s, t, _ in rows]
        print()
        print(format_table(["schema", "table", "rows"], counts))
    return 0


def cmd_settings(args: argparse.Namespace) -> int:
    with open_workspace(args, read_only=not args.assignments) as ws:
        if args.assignments:
            data = ws.settings.to_dict()
            for item in args.assignments:
                key, sep, value = item.partition("=")
                if not sep or key not in data:
                    raise WorkspaceError(
                        f"Unknown setting '{key}'.", f"Known settings: {', '.join(sorted(data))}."
                    )
                data[key] = value or None
            try:
                new = WorkspaceSettings.from_dict(data)
            except SettingsError as e:
                raise WorkspaceError(
                    f"Invalid setting: {e}.", "Nothing was changed; fix the value and try again."
                ) from e
            if new.models_dir != ws.settings.models_dir:
                ws.backup()  # a model project switch rebuilds every model: keep the old build
            ws.settings = new
            ws.save_settings()
        for key, value in ws.settings.to_dict().items():
            print(f"{key} = {'' if value is None else value}")
    return 0


def cmd_restore_backup(args: argparse.Namespace) -> int:
    from pathlib import Path

    from shoplytics_desktop.core.paths import default_workspace_dir
    from shoplytics_desktop.core.workspace import Workspace

    folder = Path(args.workspace).expanduser() if args.workspace else default_workspace_dir()
    db = Workspace.restore_backup(folder)
    with Workspace.open(folder, read_only=True):
        pass  # the restored file opens
    print(f"restored {db} from its backup (the replaced file is kept as {db.name}.damaged)")
    return 0
