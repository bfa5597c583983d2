"""Per-workspace settings, stored as ``settings.json`` beside the DuckDB file.

A plain dataclass validated by hand: every command opens a workspace, and seven fields do not
need pydantic's import time (about 0.1 s of every ``shoplytics`` call).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SETTINGS_FILE = "settings.json"
_UNITS = {"": 1, "B": 1, "BYTES": 1, "K": 1e3, "KB": 1e3, "M": 1e6, "MB": 1e6, "G": 1e9,
          "GB": 1e9, "T": 1e12, "TB": 1e12, "KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "TIB": 2**40}


def memory_bytes(text: str) -> int:
    """'512MB', '4 GiB', … as bytes."""
    m = re.match(r"^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*$", text)
    if not m or m.group(2).upper() not in _UNITS:
        raise ValueError(f"not a memory size: {text!r}")
    return int(float(m.group(1)) * _UNITS[m.group(2).upper()])


#: Without a memory_limit setting, DuckDB may use this share of the machine's memory (spilling
#: the rest to the temp folder), and at least DEFAULT_MEMORY_FLOOR. DuckDB's own default, 80 %,
#: suits a server; a desktop app shares the machine with its own window and the user's other
#: programs. A full run of 100M events within 6 GB took 188 s (peak RSS 6.5 GB), against 172 s
#: and 15 GB unbounded.
DEFAULT_MEMORY_SHARE = 0.25
DEFAULT_MEMORY_FLOOR = 2 * 2**30


def physical_memory() -> int | None:
    """The machine's memory in bytes (None where it cannot be told)."""
    with contextlib.suppress(AttributeError, ValueError, OSError):
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    if os.name == "nt":  # pragma: no cover - Windows
        import ctypes

        class _Status(ctypes.Structure):
            _fields_ = [("length", ctypes.c_ulong), ("load", ctypes.c_ulong),
                        ("total", ctypes.c_ulonglong), ("avail", ctypes.c_ulonglong),
                        ("page_total", ctypes.c_ulonglong), ("page_avail", ctypes.c_ulonglong),
                        ("virtual_total", ctypes.c_ulonglong), ("virtual_avail", ctypes.c_ulonglong),
                        ("extended", ctypes.c_ulonglong)]

        status = _Status()
        status.length = ctypes.sizeof(_Status)
        if ctypes.windll.kernel32.GlobalMemoryStatusEx(ctypes.byref(status)):  # type: ignore[attr-defined]
            return int(status.total)
    return None


def default_memory_limit() -> str | None:
    """DuckDB's memory_limit when the setting is empty: a quarter of the machine's memory, at
    least 2 GiB (never more than the machine has); None where the memory is unknown (DuckDB's
    own default then applies)."""
    total = physical_memory()
    if not total:
        return None
    limit = min(max(int(total * DEFAULT_MEMORY_SHARE), DEFAULT_MEMORY_FLOOR), int(total * 0.8))
    return f"{limit // 2**20}MiB"


class SettingsError(ValueError):
    """Invalid settings: ``problems`` holds (setting, what is wrong) pairs."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{key}: {msg}" for key, msg in problems))


@dataclass(frozen=True)
class SettingInfo:
    default: Any
    description: str


#: Every setting with its default and what it does (the CLI, the dialog and the docs show these).
FIELDS: dict[str, SettingInfo] = {
    "memory_limit": SettingInfo(
        None, "DuckDB memory_limit, e.g. '4GB'; what does not fit spills to the temp folder. "
        "Empty: a quarter of the machine's memory, at least 2 GiB."
    ),
    "import_memory_limit": SettingInfo(
        "512MB",
        "DuckDB memory while importing or generating data: what does not fit spills to the "
        "temp folder, so a load needs the same memory whatever its size. Empty: memory_limit.",
    ),
    "threads": SettingInfo(None, "DuckDB threads. Empty: all cores."),
    "temp_directory": SettingInfo(None, "Where DuckDB spills. Empty: the workspace's tmp/ folder."),
    "session_timeout_minutes": SettingInfo(
        30, "A new session starts after a longer gap, for events without a session id (1–1440)."
    ),
    "models_dir": SettingInfo(
        None, "A model project to use instead of the one shipped with the app."
    ),
    "currency": SettingInfo("USD", "The currency code the dashboards show (three letters)."),
    "time_zone": SettingInfo(
        "UTC",
        "The reporting time zone (an IANA name such as Europe/Berlin): days, weeks and hours of "
        "day are counted in it. New workspaces take the computer's; a workspace whose settings "
        "name none keeps UTC. A change applies at the next pipeline run.",
    ),
    "run_on": SettingInfo(
        None,
        "Where the pipeline runs: empty for this computer (DuckDB), postgresql://user@host:port/db "
        "or sc://host:port (Spark Connect). Never a password: the app keeps it in the system "
        "keyring; the command line reads PGPASSWORD or SHOPLYTICS_ENGINE_PASSWORD.",
    ),
}


@dataclass
class WorkspaceSettings:
    memory_limit: str | None = FIELDS["memory_limit"].default
    import_memory_limit: str | None = FIELDS["import_memory_limit"].default
    threads: int | None = FIELDS["threads"].default
    temp_directory: str | None = FIELDS["temp_directory"].default
    session_timeout_minutes: int = FIELDS["session_timeout_minutes"].default
    models_dir: str | None = FIELDS["models_dir"].default
    currency: str = FIELDS["currency"].default
    time_zone: str = FIELDS["time_zone"].default
    run_on: str | None = FIELDS["run_on"].default

    def __post_init__(self) -> None:
        problems: list[tuple[str, str]] = []

        def check(key: str, fn: Any) -> None:
            try:
                setattr(self, key, fn(getattr(self, key)))
            except ValueError as e:
                problems.append((key, str(e)))

        check("memory_limit", _size)
        check("import_memory_limit", _size)
        check("threads", lambda v: _int(v, 1, 1024, optional=True))
        check("temp_directory", _text)
        check("session_timeout_minutes", lambda v: _int(v, 1, 24 * 60, optional=False))
        check("models_dir", _text)
        check("currency", _currency)
        check("time_zone", _time_zone)
        check("run_on", _engine_url)
        if problems:
            raise SettingsError(problems)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> WorkspaceSettings:
        """Settings from a mapping (unknown keys are ignored; missing ones take defaults)."""
        if not isinstance(data, Mapping):
            raise SettingsError([("settings", "expected an object of settings")])
        return cls(**{k: v for k, v in data.items() if k in FIELDS})

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError("expected text")
    return value.strip() or None


def _size(value: Any) -> str | None:
    text = _text(value)
    if text is None:
        return None
    try:
        size = memory_bytes(text)
    except ValueError:
        raise ValueError("write a size such as 512MB or 4GB") from None
    if size < 16_000_000:
        raise ValueError("at least 16MB is needed")
    return text


def _int(value: Any, low: int, high: int, optional: bool) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if optional:
            return None
        raise ValueError("a whole number is needed")
    if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
        raise ValueError("a whole number is needed")
    try:
        number = int(value.strip()) if isinstance(value, str) else int(value)
    except (TypeError, ValueError):
        raise ValueError("a whole number is needed") from None
    if not low <= number <= high:
        raise ValueError(f"a whole number from {low} to {high} is needed")
    return number


def _currency(value: Any) -> str:
    text = _text(value)
    if text is None:
        return str(FIELDS["currency"].default)
    if not re.fullmatch(r"[A-Za-z]{3}", text):
        raise ValueError("a three-letter currency code (e.g. USD, EUR) is needed")
    return text.upper()


def _engine_url(value: Any) -> str | None:
    text = _text(value)
    if text is None or text.lower() in ("local", "duckdb", "this computer"):
        return None
    from shoplytics_desktop.core.engines.base import EngineError, parse_url

    try:
        url = parse_url(text)
    except EngineError as e:
        raise ValueError(f"{e.message} {e.hint}") from None
    if url.password is not None:
        # The message must not repeat the password.
        raise ValueError(
            "the URL holds a password, which would be saved in clear text: remove it (the app "
            "keeps passwords in the system keyring; the command line reads PGPASSWORD or "
            "SHOPLYTICS_ENGINE_PASSWORD)"
        )
    return url.redacted()


def _time_zone(value: Any) -> str:
    text = _text(value)
    if text is None:
        return str(FIELDS["time_zone"].default)
    name = canonical_time_zone(text)
    if name is None:
        raise ValueError(
            f"{text!r} is not a time zone name; write an IANA name such as Europe/Berlin, "
            "America/Los_Angeles or UTC"
        )
    return name


def canonical_time_zone(text: str) -> str | None:
    """The IANA name ``text`` stands for (spelled as the time zone database spells it, so
    ``europe/berlin`` is ``Europe/Berlin``), or None if Python's zoneinfo knows no such zone."""
    import zoneinfo

    text = text.strip()
    if text.upper() in ("UTC", "Z"):
        return "UTC"
    if text.lower() in _NOT_ZONES:
        return None
    # Names only: no paths (zoneinfo would refuse them anyway) and no POSIX TZ rules.
    if not re.fullmatch(r"[A-Za-z0-9_+\-]+(/[A-Za-z0-9_+\-]+)*", text):
        return None
    with contextlib.suppress(ValueError, OSError, zoneinfo.ZoneInfoNotFoundError):
        zoneinfo.ZoneInfo(text)
        return text
    folded = {name.lower(): name for name in available_time_zones()}
    return folded.get(text.lower())


def available_time_zones() -> list[str]:
    """Every IANA zone name Python's zoneinfo knows, sorted (UTC included)."""
    import zoneinfo

    names = {n for n in zoneinfo.available_timezones() if n.lower() not in _NOT_ZONES}
    return sorted(names | {"UTC"})


#: Files of the time zone database that are not zones one would choose.
_NOT_ZONES = frozenset({"localtime", "posixrules", "factory", "posix", "right"})


def computer_time_zone() -> str:
    """The computer's IANA time zone: the TZ variable when it names one, else what
    /etc/localtime links to (or /etc/timezone says), else the name Python's local time carries
    when that is an IANA name; UTC when none of these says."""
    candidates: list[str] = []
    tz = os.environ.get("TZ", "").strip().lstrip(":")
    if tz:
        candidates.append(tz)
    with contextlib.suppress(OSError):
        target = os.path.realpath("/etc/localtime")
        if "zoneinfo/" in target:
            candidates.append(target.split("zoneinfo/", 1)[1])
    with contextlib.suppress(OSError):
        candidates.append(Path("/etc/timezone").read_text(encoding="utf-8").strip())
    import datetime as dt

    with contextlib.suppress(Exception):
        local = dt.datetime.now().astimezone().tzinfo
        candidates.append(str(getattr(local, "key", None) or (local.tzname(None) if local else "")))
    for candidate in candidates:
        # posixrules and the like are files, not zones; "Etc/UTC" and friends are UTC.
        name = canonical_time_zone(candidate) if candidate else None
        if name in ("Etc/UTC", "Etc/UCT", "Etc/Universal", "Etc/Zulu", "UCT", "Universal", "Zulu"):
            return "UTC"
        if name:
            return name
    return "UTC"


def duckdb_problems(settings: WorkspaceSettings) -> list[tuple[str, str]]:
    """The settings DuckDB itself refuses (e.g. a memory size out of its range), found by
    applying each to a throw-away in-memory database. Defaults are known to pass: with nothing
    else to check (as in most workspaces), no database is opened, which saves every open (and
    so every command) about 20 ms."""
    checks = [(key, option) for key, option in (("memory_limit", "memory_limit"),
                                                ("import_memory_limit", "memory_limit"),
                                                ("threads", "threads"))
              if getattr(settings, key) not in (None, FIELDS[key].default)]
    problems = (_refused_by_duckdb(settings, checks)
                if checks or settings.time_zone != "UTC" else [])
    temp = settings.temp_directory
    if temp and Path(temp).expanduser().exists() and not Path(temp).expanduser().is_dir():
        problems.append(("temp_directory", f"{temp} is a file, not a folder"))
    return problems


def _refused_by_duckdb(
    settings: WorkspaceSettings, checks: list[tuple[str, str]]
) -> list[tuple[str, str]]:
    """Apply each (setting, DuckDB option) of ``checks``, and look the time zone up, in a
    throw-away in-memory database: what it refuses."""
    import duckdb

    problems: list[tuple[str, str]] = []
    con = duckdb.connect(":memory:")
    try:
        for key, option in checks:
            value = getattr(settings, key)
            try:
                con.execute(f"SET {option} = '{str(value).replace(chr(39), '')}'")
            except duckdb.Error as e:
                text = str(e).splitlines()[0]
                problems.append((key, f"DuckDB refuses {value!r}: {text.split(': ', 1)[-1]}"))
        if settings.time_zone != "UTC":
            # The models convert with DuckDB's ICU time zones: it must know the name too.
            known = con.execute(
                "SELECT count(*) FROM pg_timezone_names() WHERE name = ?", [settings.time_zone]
            ).fetchone()
            if not known or not known[0]:
                problems.append(("time_zone", f"DuckDB does not know the time zone "
                                              f"{settings.time_zone!r}; choose another name"))
    finally:
        con.close()
    return problems


def validated(data: Mapping[str, Any]) -> WorkspaceSettings:
    """Settings from a mapping, checked by our rules and by DuckDB: SettingsError if any fails."""
    settings = WorkspaceSettings.from_dict(data)
    problems = duckdb_problems(settings)
    if problems:
        raise SettingsError(problems)
    return settings


@dataclass(frozen=True)
class LoadedSettings:
    settings: WorkspaceSettings
    #: One line per value that could not be used (the default is used instead).
    warnings: tuple[str, ...] = ()
    #: The settings the file names (valid or not); empty when there is no file.
    named: frozenset[str] = frozenset()


def load_settings_checked(folder: Path) -> LoadedSettings:
    """The workspace's settings. A value that is invalid, or that DuckDB refuses, never keeps
    the workspace from opening: it is named in ``warnings`` and its default is used."""
    path = folder / SETTINGS_FILE
    if not path.exists():
        return LoadedSettings(WorkspaceSettings())
    fix = "change it in Settings or with `shoplytics settings KEY=VALUE`"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise ValueError("expected an object of settings")
    except (OSError, ValueError) as e:
        return LoadedSettings(WorkspaceSettings(), (
            f"The settings file {path} could not be read ({str(e).splitlines()[0]}); defaults "
            f"are used until the settings are saved again (the file is kept as "
            f"{SETTINGS_FILE}.invalid then).",
        ))
    data = {k: v for k, v in data.items() if k in FIELDS}
    named = frozenset(data)
    warnings: list[str] = []
    for _ in range(len(FIELDS) + 1):
        try:
            settings = WorkspaceSettings.from_dict(data)
        except SettingsError as e:
            problems = e.problems
        else:
            problems = duckdb_problems(settings)
            if not problems:
                return LoadedSettings(settings, tuple(warnings), named)
        for key, msg in problems:
            warnings.append(
                f"The setting {key} = {data.get(key)!r} is not valid ({msg}); the default is "
                f"used instead: {fix}."
            )
            data.pop(key, None)
    return LoadedSettings(WorkspaceSettings(), tuple(warnings), named)


def load_settings(folder: Path) -> WorkspaceSettings:
    return load_settings_checked(folder).settings


def save_settings(folder: Path, settings: WorkspaceSettings) -> None:
    """Write atomically: a temporary file in the same folder, then rename."""
    folder.mkdir(parents=True, exist_ok=True)
    _keep_unreadable(folder / SETTINGS_FILE)
    fd, tmp = tempfile.mkstemp(prefix=".settings-", suffix=".json", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(settings.to_json())
        os.replace(tmp, folder / SETTINGS_FILE)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _keep_unreadable(path: Path) -> None:
    """A settings file that does not parse is the user's text: keep it before replacing it."""
    try:
        json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return
    except (OSError, ValueError):
        with contextlib.suppress(OSError):
            # settings.json.invalid, else -2, -3 …: an earlier kept file is never overwritten.
            keep, n = path.with_name(SETTINGS_FILE + ".invalid"), 2
            while keep.exists():
                keep, n = path.with_name(f"{SETTINGS_FILE}.invalid-{n}"), n + 1
            os.replace(path, keep)
