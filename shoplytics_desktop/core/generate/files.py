"""``generate_frames`` and ``write_files``: a generated data set as polars frames or files."""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
from pydantic import BaseModel

from shoplytics_desktop.core import contract
from shoplytics_desktop.core.errors import GenerateError
from shoplytics_desktop.core.generate.dataset import DataSet, duckdb_errors, fill
from shoplytics_desktop.core.generate.formats import FORMATS, VENDOR_FILES
from shoplytics_desktop.core.generate.spec import GenerateSpec, ResolvedSpec, resolve
from shoplytics_desktop.core.generate.vendor import write_vendor_export
from shoplytics_desktop.core.progress import NullReporter, Reporter
from shoplytics_desktop.core.sqlutil import to_polars

if TYPE_CHECKING:
    import polars as pl

_COPY_OPTIONS = {
    "parquet": "FORMAT parquet",
    "csv": "FORMAT csv, HEADER true",
    "ndjson": "FORMAT json",
}
_CONTRACT_MODELS: dict[str, type[BaseModel]] = {
    "events": contract.Event,
    "products": contract.Product,
    "users": contract.UserSnapshot,
}


@dataclass(frozen=True)
class GeneratedData:
    """Generated tables with the contract's columns (no lineage columns)."""

    events: pl.DataFrame
    products: pl.DataFrame
    users: pl.DataFrame


def _in_memory(rs: ResolvedSpec, reporter: Reporter) -> duckdb.DuckDBPyConnection:
    """The generated tables in a private in-memory DuckDB, with contract columns only."""
    con = duckdb.connect()
    try:
        for table, model in _CONTRACT_MODELS.items():
            columns = ", ".join(f'"{c.name}" {c.sql_type}' for c in contract.columns_of(model))
            con.execute(f"CREATE TABLE {table} ({columns})")
        ds = DataSet(rs, reporter)
        fill(con, ds, {t: f"INSERT INTO {t} BY NAME" for t in _CONTRACT_MODELS})
    except BaseException:
        con.close()
        raise
    return con


def generate_frames(spec: GenerateSpec, reporter: Reporter | None = None) -> GeneratedData:
    rs = resolve(spec)
    reporter = reporter or NullReporter()
    with duckdb_errors("Generating data", reporter):
        con = _in_memory(rs, reporter)
        try:
            return GeneratedData(
                events=to_polars(con.table("events")),
                products=to_polars(con.table("products")),
                users=to_polars(con.table("users")),
            )
        finally:
            con.close()


def check_format(fmt: str) -> str:
    key = fmt.lower().strip()
    if key not in FORMATS and key not in VENDOR_FILES:
        raise GenerateError(f"Unknown file format '{fmt}'.",
                            f"Use one of: {', '.join([*FORMATS, *VENDOR_FILES])}.")
    return key


def _files(fmt: str) -> list[tuple[str, str]]:
    """(table, file name) of each file ``write_files`` writes in format ``fmt``: the contract's
    three tables, or a vendor's export of the events alone."""
    key = check_format(fmt)
    if key in VENDOR_FILES:
        return [("events", VENDOR_FILES[key])]
    return [(table, f"{table}{FORMATS[key]}") for table in ("events", "products", "users")]


def check_out_dir(out_dir: Path) -> Path:
    """Create the folder if needed and prove it is writable, before any work is done."""
    out_dir = Path(out_dir).expanduser()
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        probe = out_dir / f".shoplytics-write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as e:
        raise GenerateError(
            f"Cannot write to the folder {out_dir}: {e.strerror or e}.",
            "Choose a folder you can write to.",
        ) from e
    return out_dir


def target_files(out_dir: Path, fmt: str) -> list[Path]:
    """The files ``write_files`` writes into ``out_dir``."""
    out = Path(out_dir).expanduser()
    return [out / name for _, name in _files(fmt)]


def check_targets(out_dir: Path, fmt: str, force: bool = False) -> None:
    """Refuse to replace existing files unless ``force``; never replace a folder."""
    existing = [p for p in target_files(out_dir, fmt) if p.exists() or p.is_symlink()]
    folders = [p for p in existing if p.is_dir()]
    if folders:
        raise GenerateError(f"{folders[0]} is a folder; it cannot be replaced by a file.",
                            "Choose another --out folder.")
    if existing and not force:
        names = ", ".join(p.name for p in existing)
        raise GenerateError(
            f"{out_dir} already holds {names}; nothing was written.",
            "Choose another --out folder, or add --force to replace them.",
        )


def write_files(
    spec: GenerateSpec, out_dir: Path, fmt: str, reporter: Reporter | None = None,
    force: bool = False,
) -> list[Path]:
    """Write events, products and users files (contract columns) into ``out_dir``; with a
    vendor's shape as ``fmt`` (``VENDOR_FILES``), the events alone as that vendor exports them.

    Files are written under temporary names and renamed at the end, so a cancel or an error leaves
    no partial file behind. Existing files of those names are replaced only with ``force``.
    """
    rs = resolve(spec)
    key = check_format(fmt)
    check_targets(out_dir, key, force)
    out = check_out_dir(out_dir)
    reporter = reporter or NullReporter()
    written: list[tuple[Path, Path]] = []
    try:
        with duckdb_errors("Writing generated files", reporter):
            con = _in_memory(rs, reporter)
            try:
                for table, name in _files(key):
                    reporter.check_cancelled()
                    final, tmp = out / name, out / f".{name}.partial"
                    written.append((tmp, final))
                    if key in VENDOR_FILES:
                        write_vendor_export(con, table, key, tmp)
                        continue
                    con.execute(
                        f"COPY {table} TO '{tmp.as_posix().replace(chr(39), chr(39) * 2)}' ({_COPY_OPTIONS[key]})"
                    )
            finally:
                con.close()
        for tmp, final in written:
            os.replace(tmp, final)
    except BaseException:
        for tmp, _ in written:
            with contextlib.suppress(OSError):
                tmp.unlink()
        raise
    reporter.update(rs.events, rs.events, "Done")
    return [final for _, final in written]
