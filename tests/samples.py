"""Where the tests find the real event export they check against.

The real sample lives in the project's shared folder beside the repository
(``../shared/data/real/``), or wherever ``SHOPLYTICS_REAL_SAMPLE`` points. Tests that need it are
marked ``needs_real_sample`` and skip cleanly where it is absent.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
_NAME = "multi-category-store-2019-10-sample.csv"


def _find() -> Path:
    env = os.environ.get("SHOPLYTICS_REAL_SAMPLE")
    candidates = [Path(env)] if env else []
    candidates += [REPO.parent / "shared" / "data" / "real" / _NAME,
                   REPO / "shared" / "data" / "real" / _NAME]
    for path in candidates:
        if path.is_file():
            return path
    return candidates[0]


#: The real sample (it may not exist: use ``needs_real_sample``).
REAL_SAMPLE = _find()
needs_real_sample = pytest.mark.skipif(
    not REAL_SAMPLE.is_file(), reason=f"the real sample ({_NAME}) is not beside the repository"
)
#: A small file of our own in the same shape (the store's column names, ` UTC` times, 19-digit
#: category ids, empty brands), for tests that need a realistic file rather than those numbers.
SAME_SHAPE = REPO / "tests" / "fixtures" / "import" / "store_shape.csv"
