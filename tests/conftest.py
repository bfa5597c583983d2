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
