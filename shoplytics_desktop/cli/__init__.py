"""The ``shoplytics`` command line: everything the app does, headless, on the same core.

Each command group lives in its own module with a ``register(subparsers)`` function. Errors a user
can act on are printed as one line on stderr with exit code 1; usage errors exit 2 (argparse).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import logging
import os
import sys
from collections.abc import Sequence

from shoplytics_desktop import __version__
from shoplytics_desktop.cli import (
    common,
    generate_cmd,
    import_cmd,
    pipeline,
    selftest_cmd,
    workspace_cmd,
)
from shoplytics_desktop.core.cancel import Outcome, classify
from shoplytics_desktop.core.errors import Cancelled, ShoplyticsError

_GROUPS = (workspace_cmd, generate_cmd, import_cmd, pipeline, selftest_cmd)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="shoplytics",
        description="Shoplytics: e-commerce event analytics on an embedded DuckDB.",
    )
    parser.add_argument("--version", action="version", version=f"shoplytics {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for group in _GROUPS:
        group.register(sub)
    return parser


def _printable_output() -> None:
    """A console or redirect that cannot encode every character (Windows' cp1252, a C locale)
    shows a replacement for it: a command whose work is done must not then fail on a file name
    or an arrow it prints."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            with contextlib.suppress(ValueError, OSError):
                reconfigure(errors="replace")


def main(argv: Sequence[str] | None = None) -> int:
    _printable_output()
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        with common.ctrl_c_stops_statements():
            result = args.func(args)
        return int(result or 0)
    except Cancelled as e:
        print(e.message, file=sys.stderr)
        return 130
    except ShoplyticsError as e:
        if common.CTRL_C.cancelled:  # the statement Ctrl+C stopped failed as interrupted
            print("Interrupted; nothing was changed.", file=sys.stderr)
            return 130
        damaged = common.damaged_workspace(args, e.__cause__) if e.__cause__ else None
        print(f"error: {(damaged or e).one_line()}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("Interrupted; nothing was changed.", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`shoplytics query … | head`): stop quietly, as `cat` does.
        _drop_stdout()
        return 141
    except Exception as e:  # the last line of defence: no traceback reaches a user
        if classify(e) is Outcome.INTERRUPTED or common.CTRL_C.cancelled:
            # Ctrl+C during a DuckDB statement: its transaction rolled back
            print("Interrupted; nothing was changed.", file=sys.stderr)
            return 130
        if isinstance(e, RuntimeError) and "home directory" in str(e):
            # Path.expanduser of ~name for a user that does not exist.
            print("error: A path starts with ~name, and there is no user of that name (or no "
                  "home folder) to expand it to. Write the path in full.", file=sys.stderr)
            return 1
        damaged = common.damaged_workspace(args, e)
        if damaged is not None:
            print(f"error: {damaged.one_line()}", file=sys.stderr)
            return 1
        log_file = common.log_exception(e)
        print(
            f"error: unexpected {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''} "
            f"(details in {log_file})",
            file=sys.stderr,
        )
        logging.shutdown()
        return 1


def _drop_stdout() -> None:
    """Point stdout at the null device, so that flushing it at exit raises nothing more."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError, io.UnsupportedOperation):
        pass  # not a real file (a test's buffer, say)


if __name__ == "__main__":
    raise SystemExit(main())
