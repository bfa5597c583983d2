"""Every test runs as on a computer in UTC: a new workspace takes the computer's time zone
(setting ``time_zone``), and the tests' numbers are worked out in UTC (METRICS.md), so a test
machine in another zone must not change them. Tests of other zones set the zone themselves.
Set at import, before any test, so the command-line and app processes the tests start inherit it.
"""

from __future__ import annotations

import os
import time

os.environ["TZ"] = "UTC"
if hasattr(time, "tzset"):
    time.tzset()
# The tests' workspaces are small; a run updates them all the same (a workspace under 100,000
# events is otherwise rebuilt in full, which is faster there), so that the update paths are
# exercised on data small enough to work out by hand. test_incremental checks the default.
os.environ["SHOPLYTICS_FULL_BELOW_EVENTS"] = "0"
