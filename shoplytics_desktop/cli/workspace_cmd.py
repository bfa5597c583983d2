"""``shoplytics info`` and ``shoplytics settings``."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from shoplytics_desktop.cli.common import (
    add_workspace_arg,
    format_table,
    open_workspace,
    workspace_folder,
)
from shoplytics_desktop.core import catalog
from shoplytics_desktop.core.errors import WorkspaceError
from shoplytics_desktop.core.settings import SettingsError, validated
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
        help="put the automatic backup (warehouse.duckdb.bak) back in place of the database "
        "(the current one is kept as warehouse.duckdb.replaced-<time>)",
    )
    p.add_argument(
        "--yes", "-y", action="store_true",
        help="replace a database that still opens without asking",
    )
    add_workspace_arg(p)
    p.set_defaults(func=cmd_restore_backup)


def cmd_info(args: argparse.Namespace) -> int:
    with open_workspace(args, read_only=True) as ws:
        print(f"workspace  {ws.folder}")
        print(f"database   {ws.folder / DB_FILE} ({ws.db_path.stat().st_size / 1e6:,.1f} MB)")
        print(f"models     {ws.models_dir}")
        tables = catalog.list_relations(
            ws, ("raw", *LAYERS), kinds=(catalog.RelationKind.TABLE,), counts=True
        )
        counts = [(t.schema, t.name, t.rows) for t in tables]
        print()
        print(format_table(["schema", "table", "rows"], counts))
    return 0


def cmd_settings(args: argparse.Namespace) -> int:
    with open_workspace(args, read_only=not args.assignments) as ws:
        if args.assignments:
            data = ws.settings.to_dict()
            for item in args.assignments:
                key, sep, value = item.partition("=")
                if not sep:
                    raise WorkspaceError(
                        f"'{item}' is not KEY=VALUE.",
                        "Write each setting with its value, e.g. "
                        "`shoplytics settings time_zone=Europe/Berlin`; known settings: "
                        f"{', '.join(sorted(data))}.",
                    )
                if key not in data:
                    raise WorkspaceError(
                        f"Unknown setting '{key}'.", f"Known settings: {', '.join(sorted(data))}."
                    )
                data[key] = value or None
            try:
                new = validated(data)
            except SettingsError as e:
                raise WorkspaceError(
                    f"Invalid setting: {e}.", "Nothing was changed; fix the value and try again."
                ) from e
            if new.models_dir != ws.settings.models_dir:
                ws.backup()  # a model project switch rebuilds every model: keep the old build
            old = ws.settings
            ws.settings = new
            ws.save_settings()
            until = ("the next `shoplytics run` rebuilds the models with it (until then the "
                     "dashboards and exports show the last run's numbers).")
            if new.time_zone != old.time_zone:
                print(
                    f"Days, weeks and hours of day are now counted in {new.time_zone}: the next "
                    "`shoplytics run` rebuilds the models with them (until then the dashboards "
                    "and exports show the days of the last run).",
                    file=sys.stderr,
                )
            if new.currency != old.currency:
                print(f"Prices without a currency of their own are now in {new.currency}, and "
                      f"the dashboards show {new.currency}: {until}", file=sys.stderr)
            if new.session_timeout_minutes != old.session_timeout_minutes:
                print(f"Sessions without a source session id now end after "
                      f"{new.session_timeout_minutes} minutes without events: {until}",
                      file=sys.stderr)
        for key, value in ws.settings.to_dict().items():
            print(f"{key} = {'' if value is None else value}")
    return 0


def cmd_restore_backup(args: argparse.Namespace) -> int:
    import sys

    from shoplytics_desktop.core.backups import BACKUP_FILE, inspect_database, restore_backup
    from shoplytics_desktop.core.errors import WorkspaceLockedError
    from shoplytics_desktop.core.workspace import Workspace

    folder = workspace_folder(args)
    bak, db = folder / BACKUP_FILE, folder / DB_FILE
    if not bak.exists():
        raise WorkspaceError(f"The workspace {folder} has no backup to restore.")
    backup = inspect_database(bak)  # a backup that does not open is never restored
    current = None
    if db.exists():
        try:
            current = inspect_database(db)
        except WorkspaceLockedError:
            raise
        except WorkspaceError as e:
            print(f"current database: damaged ({e.message})")
    if current is not None:
        print(f"current database: {current.describe()}")
        print(f"backup:           {backup.describe()}")
        if not args.yes:
            if not sys.stdin.isatty():
                raise WorkspaceError(
                    "The workspace database opens fine; restoring would replace its data with "
                    "the backup's.",
                    "Nothing was changed. Run again with --yes to restore anyway (the current "
                    "database is kept as warehouse.duckdb.replaced-<time>).",
                )
            answer = input("Replace the current database with the backup? [y/N] ")
            if answer.strip().lower() not in ("y", "yes"):
                print("Nothing was changed.")
                return 1
    result = restore_backup(folder)
    with Workspace.open(folder, read_only=True):
        pass  # the restored file opens
    print(f"restored {result.database} from its backup ({result.restored.describe()})")
    if result.kept_as is not None:
        print(f"the database it replaced is kept as {result.kept_as}")
    return 0
