"""Ids typed into addresses and forms, read only as numbers the database can hold as an id.

An id comes from outside as text: ``/lending/requests/<id>/``, the ticked boxes of a queue
(``ids=12,13``), a note to mark read. Text that is not one is no id, and is refused where it
enters, before it reaches a query:

* only ASCII digits (``str.isdigit`` also accepts ``²``, which ``int()`` then refuses with a
  ``ValueError``);
* from 1 to the largest value of the id column (``DEFAULT_AUTO_FIELD``, a 64-bit integer on
  PostgreSQL and SQLite). A larger number can be no row's id; passed on, SQLite cannot even bind
  it (``OverflowError: Python int too large to convert to SQLite INTEGER`` in an ``IN (…)`` or a
  foreign-key lookup) and PostgreSQL refuses to store it.

``IdConverter`` is the ``<id:…>`` of every URL pattern (a number out of range matches no pattern:
404); ``parse_id`` and ``parse_ids`` read ids from form and query values (one out of range is
left out, as an id of no row would be: the page then says nothing was chosen);
``number_past_ids`` finds one in query values that go to the database as they are (the admin's
list filters).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

from django.conf import settings
from django.db import connection
from django.utils.module_loading import import_string

#: Digits of a positive id, ASCII only. Twenty digits hold every 64-bit number; longer text is no id.
_ID_TEXT = re.compile(r"[0-9]{1,20}")
_DIGITS = re.compile(r"[0-9]+")
#: The most ids one form may carry (a queue page's ticks, a batch of pull slips).
MAX_IDS = 500
#: A key the REST API takes in its paths besides ids: a library's symbol (``DE-LND1``) or an invoice's number
#: (``NFC-000042``); the same characters for both, so a router gives the same shape to each.
PATH_KEY_PATTERN = r"[A-Za-z0-9:\-_.]+"


@functools.cache
def _id_type() -> str:
    return import_string(settings.DEFAULT_AUTO_FIELD)().get_internal_type()


def largest_id() -> int:
    """The largest value the database stores in an id column."""
    return connection.ops.integer_field_range(_id_type())[1]


def parse_id(text: object) -> int | None:
    """``text`` as an id, or ``None`` when it is not one (not digits, 0, or past ``largest_id``)."""
    text = str(text).strip()
    if not _ID_TEXT.fullmatch(text):
        return None
    number = int(text)
    return number if 1 <= number <= largest_id() else None


def parse_ids(values: Iterable[object], *, limit: int = MAX_IDS) -> list[int]:
    """The ids in ``values`` (each may hold several, separated by commas), in order; the others left out."""
    ids = []
    for value in values:
        for part in str(value).split(","):
            number = parse_id(part)
            if number is not None:
                ids.append(number)
    return ids[:limit]


def number_past_ids(values: Iterable[object]) -> int | None:
    """The first number in ``values`` (each may hold several, separated by commas) that no id can be."""
    for value in values:
        for part in str(value).split(","):
            part = part.strip()
            if _DIGITS.fullmatch(part) and int(part) > largest_id():
                return int(part)
    return None


class IdConverter:
    """``<id:pk>``: like Django's ``<id:pk>``, but a number no id can be matches no URL (a 404, not a 500)."""

    regex = "[0-9]+"

    def to_python(self, value: str) -> int:
        number = parse_id(value)
        if number is None:
            raise ValueError(f"{value} is no id")
        return number

    def to_url(self, value: int | str) -> str:
        return str(value)
