"""Settings written one a line in a text box (``CA = 5``, ``Elsevier = 31.50``, ``DE-1a = BERLIN``)."""

from __future__ import annotations

from collections.abc import Iterator


def setting_lines(text: str | None) -> Iterator[tuple[int, str]]:
    """``(line number, line)`` for each line of ``text`` that says something: a ``#`` comment is cut off,
    blank lines are skipped; numbers count every line, as the person sees them in the box."""
    for number, line in enumerate((text or "").splitlines(), start=1):
        line = line.split("#", 1)[0]
        if line.strip():
            yield number, line
