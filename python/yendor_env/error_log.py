"""The env server's log of env errors, rate-limited: an env that raises on every step would otherwise
log a line per step (4,104 lines in a 20K-step run)."""
from __future__ import annotations

import traceback
from typing import Callable, Dict, Tuple

#: Occurrences of each distinct env error logged in full (the first with its traceback); later ones go
#: into a summary line at most every ERROR_SUMMARY_SECONDS.
ERRORS_IN_FULL = 3
ERROR_SUMMARY_SECONDS = 10.0


def _raised_at(e: BaseException, text: Callable[[BaseException], str]) -> Tuple[str, ...]:
    """Where `e` was raised (file and line of its innermost frame), or its text when it has no traceback."""
    tb = e.__traceback__
    if tb is None:
        return (text(e),)
    while tb.tb_next is not None:
        tb = tb.tb_next
    return (tb.tb_frame.f_code.co_filename, str(tb.tb_lineno))


class ErrorLog:
    """The env errors' log, rate-limited. Errors are the same when they have the same exception type and
    were raised at the same place: their texts often differ only by a step count or a position."""

    def __init__(self, log: Callable[[str], None], clock: Callable[[], float], text: Callable[[BaseException], str]):
        self.log, self.clock, self.text = log, clock, text
        self.logged: Dict[Tuple[str, ...], int] = {}
        # The errors not logged in full since the last summary: how many, which, the first one and when.
        self.held = 0
        self.held_kinds: set = set()
        self.held_first = ""
        self.held_since = 0.0

    def error(self, line: str, e: BaseException):
        kind = (type(e).__qualname__,) + _raised_at(e, self.text)
        n = self.logged.get(kind, 0)
        if n < ERRORS_IN_FULL:
            self.logged[kind] = n + 1
            if n == 0:
                line += "\n" + "".join(traceback.format_exception(type(e), e, e.__traceback__)).rstrip()
            if n + 1 == ERRORS_IN_FULL:
                line += (f"\n(logged {ERRORS_IN_FULL} times: from now on it is only counted, in a line at most "
                         f"every {ERROR_SUMMARY_SECONDS:g} s)")
            self.log(line)
            return
        if not self.held:
            self.held_first, self.held_since = line.splitlines()[0], self.clock()
        self.held += 1
        self.held_kinds.add(kind)
        self.tick()

    def tick(self):
        """Logs the summary when the first error it counts is ERROR_SUMMARY_SECONDS old."""
        if self.held and self.clock() - self.held_since >= ERROR_SUMMARY_SECONDS:
            self.flush()

    def flush(self):
        if self.held:
            self.log(f"env errors in the last {self.clock() - self.held_since:.1f} s, not logged above: {self.held} "
                     f"({len(self.held_kinds)} distinct); first: {self.held_first}")
            self.held, self.held_kinds = 0, set()
