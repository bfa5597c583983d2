"""What to generate: the user's spec, checked and resolved to concrete values.

Everything the generator produces is a pure function of the resolved spec, so its fingerprint
(a hash of the resolved values and the generator version) identifies a data set: loading the same
fingerprint twice is detected, and the ids of one data set never collide with another's.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import zlib
from dataclasses import dataclass

import numpy as np

from shoplytics_desktop.core.errors import GenerateError

#: The earliest start: the contract's earliest event time (contract.EARLIEST_EVENT_TIME, not
#: imported here to keep pydantic out of the generator's start-up).
EARLIEST_START = dt.date(1990, 1, 1)

#: Bumped whenever the generated data for a given spec changes.
GENERATOR_VERSION = 1

MAX_EVENTS = 500_000_000
MAX_DAYS = 3650
DEFAULT_EVENTS_PER_USER = 12
_ID_ALPHABET = "abcdefghijkmnpqrstuvwxyz"  # no l/o: ids stay legible next to digits


@dataclass(frozen=True)
class GenerateSpec:
    """The user's request. ``users`` and ``start`` may be left to defaults."""

    events: int
    days: int
    users: int | None = None
    seed: int = 42
    start: dt.date | None = None


@dataclass(frozen=True)
class ResolvedSpec:
    """A spec with every default filled in and every value checked."""

    events: int
    days: int
    users: int
    seed: int
    start: dt.date

    @property
    def end(self) -> dt.date:
        """First day after the range (exclusive bound)."""
        return self.start + dt.timedelta(days=self.days)

    @property
    def start_s(self) -> int:
        """Range start in epoch seconds (UTC)."""
        return _epoch_s(self.start)

    @property
    def end_s(self) -> int:
        return _epoch_s(self.end)

    @property
    def fingerprint(self) -> str:
        payload = {
            "generator": GENERATOR_VERSION,
            "events": self.events,
            "days": self.days,
            "users": self.users,
            "seed": self.seed,
            "start": self.start.isoformat(),
        }
        text = json.dumps(payload, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()

    @property
    def batch_id(self) -> str:
        return f"gen-{self.fingerprint[:12]}"

    @property
    def tag(self) -> str:
        """A 3-letter prefix of every id ("abc-e12", "abc-u3"), so that two generated data sets
        never share ids."""
        n = int(self.fingerprint[:12], 16)
        letters = []
        for _ in range(3):
            n, r = divmod(n, len(_ID_ALPHABET))
            letters.append(_ID_ALPHABET[r])
        return "".join(letters)

    def describe(self) -> str:
        last = self.end - dt.timedelta(days=1)
        return (
            f"generator: {self.events:,} events over {self.days} days "
            f"({self.start.isoformat()} to {last.isoformat()}), {self.users:,} users, seed {self.seed}"
        )

    def rng(self, *keys: str | int) -> np.random.Generator:
        """An independent, reproducible random stream per purpose (and per chunk)."""
        words = [self.seed & 0xFFFFFFFF, self.seed >> 32 & 0xFFFFFFFF, GENERATOR_VERSION]
        for key in keys:
            words.append(zlib.crc32(key.encode()) if isinstance(key, str) else int(key))
        return np.random.default_rng(words)


def _epoch_s(day: dt.date) -> int:
    return (day - dt.date(1970, 1, 1)).days * 86_400


def utc_today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def default_users(events: int) -> int:
    return max(1, round(events / DEFAULT_EVENTS_PER_USER))


def _check_int(name: str, value: object, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise GenerateError(
            f"{name} must be a whole number, not {value!r}.", f"Give {name} a whole number."
        )
    v = int(value)
    if v < low:
        raise GenerateError(
            f"{name} must be at least {low:,} (got {v:,}).",
            f"Give {name} a value of {low:,} or more.",
        )
    if v > high:
        raise GenerateError(
            f"{name} must be at most {high:,} (got {v:,}).", f"Give {name} a value up to {high:,}."
        )
    return v


def resolve(spec: GenerateSpec, today: dt.date | None = None) -> ResolvedSpec:
    """Check a spec and fill in its defaults; raise ``GenerateError`` with a fix on bad values.

    The range [start, start + days) must end by today (UTC), so no generated event lies in the
    future. Without ``start`` the range ends today, i.e. its last day is yesterday.
    """
    today = today or utc_today()
    events = _check_int("events", spec.events, 1, MAX_EVENTS)
    days = _check_int("days", spec.days, 1, MAX_DAYS)
    seed = _check_int("seed", spec.seed, 0, 2**63 - 1)
    users = (
        default_users(events) if spec.users is None else _check_int("users", spec.users, 1, events)
    )
    if spec.start is None:
        start = today - dt.timedelta(days=days)
    elif isinstance(spec.start, dt.datetime) or not isinstance(spec.start, dt.date):
        raise GenerateError(f"start must be a date, not {spec.start!r}.", "Give it as YYYY-MM-DD.")
    else:
        start = spec.start
    if start > today:
        raise GenerateError(
            f"The start date {start.isoformat()} is in the future (today is {today.isoformat()} UTC).",
            "Choose a start date in the past.",
        )
    end = start + dt.timedelta(days=days)
    if end > today:
        fit = (today - start).days
        hint = (
            f"Use --days {fit} or less, or an earlier --start; generated events are never in the future."
            if fit >= 1
            else "Choose an earlier --start; generated events are never in the future."
        )
        raise GenerateError(
            f"{days} days from {start.isoformat()} run to {(end - dt.timedelta(days=1)).isoformat()}, "
            f"past yesterday ({(today - dt.timedelta(days=1)).isoformat()} UTC).",
            hint,
        )
    if start < EARLIEST_START:
        raise GenerateError(
            f"The start date {start.isoformat()} is too early: events are from "
            f"{EARLIEST_START.isoformat()} on (the event contract's earliest time).",
            f"Choose {EARLIEST_START.isoformat()} or later.",
        )
    return ResolvedSpec(events=events, days=days, users=users, seed=seed, start=start)
