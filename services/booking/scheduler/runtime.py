"""Process settings of a scheduler worker (the benchmark runs its matcher under the same)."""
from __future__ import annotations

import gc

# CPython collects its youngest generation every 700 net allocations and walks every
# long-lived object on full collections. Matching allocates many short-lived objects
# while the calendar, lab index and tables live for the whole run: collecting that
# often took about a tenth of matching time (bench/matching.py, 100x).
GC_THRESHOLDS = (20_000, 50, 50)


def tune_gc() -> None:
    gc.set_threshold(*GC_THRESHOLDS)
