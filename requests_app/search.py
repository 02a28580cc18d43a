"""Staff search of requests: words by one indexed column, ids and barcodes by exact look-up.

Every word staff type must appear in the request's ``search_text`` (its title, author, journal or book
title, ISBN, ISSN, OCLC number, DOI, PMID and the ISO 18626 request ids, lower-cased in one column the
database keeps). On PostgreSQL a trigram index (pg_trgm, GIN) answers ``search_text LIKE '%word%'``
without reading the table; SQLite, the embedded default, reads the column as ``icontains`` always has.
A word that is a request's number (``123``, ``B123``, ``L123``, the barcode on its slips) also finds that
request by its primary key, a partner's request id by its own index, and an ISBN-10 or unhyphenated ISSN
its stored ISBN-13 or ISSN, so none of them needs an index of its own.
"""

from __future__ import annotations

import re

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Q, QuerySet

from . import identifiers
from .models import Library, PatronProfile

#: At most this many words of one search count (each costs a look-up in the index).
MAX_WORDS = 6
_NUMBER = re.compile(r"^[BbLl]?(\d{1,18})$")


def words(text: str) -> list[str]:
    return text.split()[:MAX_WORDS]


def _contains(value: str) -> Q:
    """``search_text`` holds ``value``: a plain ``LIKE`` on the lower-cased text where the trigram index can
    answer it (PostgreSQL), ``icontains`` elsewhere."""
    if connection.vendor == "postgresql":
        return Q(search_text__contains=value.lower())
    return Q(search_text__icontains=value)


def word_condition(word: str) -> Q:
    """One word: in the searched text, as itself or the stored form of the identifier it is; or the request
    it numbers; or a partner's request id, exactly."""
    condition = _contains(word) | Q(requesting_agency_request_id=word)
    for field in ("isbn", "issn", "oclc_number", "doi", "pmid"):
        try:
            stored = identifiers.NORMALIZERS[field](word)
        except ValidationError:
            continue
        if stored.lower() != word.lower():
            condition |= _contains(stored)
    number = _NUMBER.match(word)
    if number:
        condition |= Q(pk=int(number.group(1)))
    return condition


def requests_matching(queryset: QuerySet, text: str, *, patrons: bool = False, partners: bool = False) -> QuerySet:
    """``queryset`` narrowed to the requests every word of ``text`` finds (all of them when it has none).

    ``patrons``: a word also finds the requests of patrons with that user name or library card barcode
    (exactly) or a first or last name holding it: the patrons are looked up first (one query per word, at
    most ``MAX_PATRONS`` of them), so the requests are still found by their indexes. ``partners``: a word
    that is a library's symbol (case aside) also finds the requests with that partner (one query per word).
    """
    condition = Q()
    for word in words(text):
        found = word_condition(word)
        if patrons:
            found |= Q(patron_id__in=patrons_named(word))
        if partners:
            found |= Q(partner_id__in=Library.objects.filter(symbol__iexact=word).values_list("pk", flat=True)[:1])
        condition &= found
    return queryset.filter(condition)


#: The patrons one word finds at most (a common surname); the search says nothing of the rest.
MAX_PATRONS = 500


def patrons_named(word: str) -> list[int]:
    """The users ``word`` names: by user name, a first or last name holding it, or their card barcode. One query,
    the names' and the cards' look-ups joined by ``UNION`` so each keeps its own index (an ``OR`` with the card's
    subquery made PostgreSQL read every user; migration 0046 has the indexes)."""
    named = get_user_model().objects.filter(
        Q(username=word) | Q(first_name__icontains=word) | Q(last_name__icontains=word)).order_by().values_list("pk")
    carded = PatronProfile.objects.filter(card_barcode__iexact=word).order_by().values_list("user_id")
    return [pk for (pk,) in named.union(carded)[:MAX_PATRONS]]
