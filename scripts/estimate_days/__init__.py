"""The parts of `scripts/estimate-days.py`, an outside oracle for qcall's wait
estimate: the hall from its config (`hall`), one generated day (`day`), the
daemon and its HTTP API (`daemon`), playing the day through it (`play`), the
figures and the report (`report`), and the harness's check of itself
(`selftest`). The entry point and its `--help` are in `estimate-days.py`.

This package holds what every part shares: the constants of issue 17's days
and the one error type. It imports none of its modules, so they import it.
"""

from __future__ import annotations



SHAPES = ("peak", "calm", "afternoon")
# The ten-minute unplanned pause and the no-show's two minutes (issue 17).
PAUSE_MS = 10 * 60_000
NO_SHOW_WAIT_MS = 2 * 60_000
LUNCH_RATE = 0.15
GREEN_SHARE = 0.12
NO_SHOW_SHARE = 0.05
OCCUPANCY = 0.90
LONG_WAIT_S = 300
START_CLOCK = (7, 55)


class HarnessError(Exception):
    """What went wrong, said so that a person can act on it."""
