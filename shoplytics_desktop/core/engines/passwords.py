"""Engine passwords: kept in the system keyring (the optional ``keyring`` package) when one is
usable, else for the app's session only; never in settings.json, logs or messages.

Without a usable keyring (a Linux machine without a Secret Service, a server) a password typed
in the app lasts until it quits; the command line reads PGPASSWORD or SHOPLYTICS_ENGINE_PASSWORD.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from shoplytics_desktop.core.engines.base import EngineURL

#: The keyring "service" every engine password is filed under; the account is the URL without
#: its password (postgresql://user@host:port/db).
SERVICE = "shoplytics-desktop"
ENV_HINT = "set PGPASSWORD or SHOPLYTICS_ENGINE_PASSWORD in the environment"

log = logging.getLogger(__name__)
_session: dict[str, str] = {}
_lock = threading.Lock()


def _backend() -> Any | None:
    """The keyring module if a real backend is there (not keyring's "fail" or "null" one)."""
    try:
        import keyring
        from keyring.backends import fail
    except ImportError:
        return None
    try:
        backend = keyring.get_keyring()
    except Exception:  # a broken keyring configuration: behave as if there were none
        log.debug("no usable keyring backend", exc_info=True)
        return None
    if isinstance(backend, fail.Keyring) or getattr(backend, "priority", 1) <= 0:
        return None
    return keyring


def keyring_available() -> bool:
    return _backend() is not None


def where_kept() -> str:
    """A sentence for the settings: where a password typed there goes."""
    if keyring_available():
        return "The password is kept in the system keyring."
    return (
        "No system keyring is available: a password typed here lasts until the app quits. "
        f"To keep one, {ENV_HINT} before starting the app."
    )


def store_password(url: EngineURL, password: str) -> bool:
    """Keep the password for the URL's server and user. True: in the system keyring; False:
    for this session only (no keyring, or it refused)."""
    account = url.redacted()
    with _lock:
        _session[account] = password
    kr = _backend()
    if kr is None:
        return False
    try:
        kr.set_password(SERVICE, account, password)
    except Exception as e:  # a locked or read-only keyring
        log.warning("the system keyring refused the password for %s: %s", account, type(e).__name__)
        return False
    return True


def stored_password(url: EngineURL) -> str | None:
    """The password kept for the URL (this session's, else the keyring's), or None."""
    account = url.redacted()
    with _lock:
        if account in _session:
            return _session[account]
    kr = _backend()
    if kr is None:
        return None
    try:
        found = kr.get_password(SERVICE, account)
        return found if isinstance(found, str) else None
    except Exception as e:
        log.warning("cannot read the system keyring: %s", type(e).__name__)
        return None


def forget_password(url: EngineURL) -> None:
    account = url.redacted()
    with _lock:
        _session.pop(account, None)
    kr = _backend()
    if kr is None:
        return
    try:
        kr.delete_password(SERVICE, account)
    except Exception:  # nothing stored, or a locked keyring
        log.debug("no keyring entry removed for %s", account)
