"""Who holds an item: every partner catalogue configured for SRU, asked at once, within a hard time limit.

``find_holdings`` builds one CQL query for the item (``sru.build_cql``), asks each directory entry that
names an SRU base URL in its own thread, and waits at most ``ILLMS_SRU_TIME_LIMIT_SECONDS`` for all of
them together: a catalogue that has not answered by then (or failed) is reported *unknown* and the
look-up returns without it; its thread ends by the same deadline. What a catalogue answered is cached
for ``ILLMS_SRU_CACHE_SECONDS`` (per catalogue, address, schema and query); failures are not.

A library's own catalogue names only that library. A union catalogue (``sru_union_catalogue``) names
its holders by code: its ``sru_holder_symbols`` lines first, then any directory entry whose symbol or
agency id is that code (case-insensitive). Two queries whatever the number of catalogues: the
catalogues, and the libraries their holder codes name.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import Q
from django.db.models.functions import Upper

from ..catalogue import OwnedItem
from ..models import Library
from . import sru

CACHE_PREFIX = "illms:sru:v1:"


@dataclass(frozen=True)
class PartnerHolding:
    """One copy a partner holds, as its catalogue (or the union catalogue ``source``) described it."""

    library_id: int
    source: str
    call_number: str = ""
    location: str = ""
    available: bool | None = None
    status: str = ""


@dataclass
class HoldingsLookup:
    query: str = ""
    #: Directory library id → the holdings its catalogue (or a union catalogue) listed.
    holdings: dict[int, list[PartnerHolding]] = field(default_factory=dict)
    #: Symbols of the catalogues that answered, and of those that did not (with why).
    answered: list[str] = field(default_factory=list)
    unknown: dict[str, str] = field(default_factory=dict)
    #: Holder codes a union catalogue named that no directory entry or mapping line matches.
    unmatched_codes: list[str] = field(default_factory=list)

    @property
    def holder_ids(self) -> set[int]:
        return set(self.holdings)

    def holding_for(self, library_id: int) -> PartnerHolding | None:
        """The best copy ``library_id`` holds: one on the shelf first, then one not said, then any."""
        copies = self.holdings.get(library_id) or []
        rank = {True: 0, None: 1, False: 2}
        return min(copies, key=lambda h: rank[h.available]) if copies else None


def sru_targets(*, exclude: Library | None = None) -> list[Library]:
    """Active directory entries whose catalogue we search (one query)."""
    targets = Library.objects.filter(active=True).exclude(sru_base_url="")
    if exclude is not None:
        targets = targets.exclude(pk=exclude.pk)
    return list(targets.order_by("symbol"))


def _cache_key(target: Library, query: str) -> str:
    raw = "\n".join((str(target.pk), target.sru_base_url, target.sru_version, target.sru_record_schema, query))
    return CACHE_PREFIX + hashlib.sha256(raw.encode()).hexdigest()


def _ask(target: Library, query: str, timeout: float) -> list[dict]:
    """What ``target``'s catalogue says about ``query``, as plain data that can be cached."""
    result = sru.search_retrieve(base_url=target.sru_base_url, query=query, version=target.sru_version,
                                 schema=target.sru_record_schema, max_records=settings.ILLMS_SRU_MAX_RECORDS,
                                 timeout=timeout)
    return [{"holder": h.holder, "location": h.location, "call_number": h.call_number, "available": h.available,
             "status": h.status, "record": r.title}
            for r in result.records for h in (r.holdings or [sru.HoldingStatement()])]


def find_holdings(*, requester: Library | None = None, isbn: str = "", issn: str = "", oclc_number: str = "",
                  title: str = "", author: str = "", time_limit: float | None = None) -> HoldingsLookup:
    """Ask every configured catalogue (but ``requester``'s own) who holds the item; never longer than the limit.

    An item with nothing to search by (no valid identifier, no title) gives an empty look-up.
    """
    try:
        query = sru.build_cql(isbn=isbn, issn=issn, oclc_number=oclc_number, title=title, author=author)
    except ValueError:
        return HoldingsLookup()
    lookup = HoldingsLookup(query=query)
    targets = sru_targets(exclude=requester)
    if not targets:
        return lookup
    limit = settings.ILLMS_SRU_TIME_LIMIT_SECONDS if time_limit is None else time_limit
    keys = {target.pk: _cache_key(target, query) for target in targets}
    cached = cache.get_many(list(keys.values()))
    answers: dict[int, list[dict]] = {t.pk: cached[keys[t.pk]] for t in targets if keys[t.pk] in cached}
    pending = [t for t in targets if t.pk not in answers]
    if pending:
        executor = ThreadPoolExecutor(max_workers=max(1, min(len(pending), settings.ILLMS_SRU_MAX_PARALLEL)),
                                      thread_name_prefix="sru")
        futures = {executor.submit(_ask, target, query, limit): target for target in pending}
        done, _ = wait(futures, timeout=limit)
        # Never wait for a catalogue past the limit: its thread ends by its own deadline, unobserved.
        executor.shutdown(wait=False, cancel_futures=True)
        fresh: dict[str, list[dict]] = {}
        for future, target in futures.items():
            if future not in done:
                lookup.unknown[target.symbol] = f"No answer within {limit:g} seconds."
                continue
            error = future.exception()
            if error is not None:
                lookup.unknown[target.symbol] = error.message if isinstance(error, sru.SruError) else \
                    f"The catalogue's answer could not be read ({error.__class__.__name__})."
                continue
            answers[target.pk] = future.result()
            fresh[keys[target.pk]] = answers[target.pk]
        if fresh:
            cache.set_many(fresh, timeout=settings.ILLMS_SRU_CACHE_SECONDS)
    _attribute(lookup, [t for t in targets if t.pk in answers], answers)
    return lookup


def _attribute(lookup: HoldingsLookup, targets: list[Library], answers: dict[int, list[dict]]) -> None:
    """Give each answered catalogue's holdings to the library they belong to (one query for the union codes)."""
    union_codes: set[str] = set()
    for target in targets:
        lookup.answered.append(target.symbol)
        if target.sru_union_catalogue:
            mapping = target.holder_symbol_map
            union_codes |= {mapping.get(h["holder"].upper(), h["holder"]).upper()
                            for h in answers[target.pk] if h["holder"]}
    by_code: dict[str, int] = {}
    if union_codes:
        rows = (Library.objects.filter(active=True).annotate(upper_symbol=Upper("symbol"),
                                                             upper_agency=Upper("agency_id_value"))
                .filter(Q(upper_symbol__in=union_codes) | Q(upper_agency__in=union_codes))
                .values_list("pk", "upper_symbol", "upper_agency"))
        for pk, symbol, agency in rows:
            by_code.setdefault(symbol, pk)
            by_code.setdefault(agency, pk)
    unmatched: set[str] = set()
    for target in targets:
        mapping = target.holder_symbol_map if target.sru_union_catalogue else {}
        for h in answers[target.pk]:
            if target.sru_union_catalogue:
                code = mapping.get(h["holder"].upper(), h["holder"]).upper()
                library_id = by_code.get(code)
                if library_id is None:
                    if code:
                        unmatched.add(h["holder"])
                    continue
            else:
                library_id = target.pk
            lookup.holdings.setdefault(library_id, []).append(PartnerHolding(
                library_id=library_id, source=target.symbol, call_number=h["call_number"], location=h["location"],
                available=h["available"], status=h["status"]))
    lookup.unmatched_codes = sorted(unmatched)


_NOT_CIRCULATING = ("not for loan", "library use", "reference", "in-library use")


def own_catalogue_items(*, library: Library, citation: Mapping[str, Any]) -> list[OwnedItem]:
    """What member ``library``'s own catalogue (its SRU base URL) lists for ``citation``, asked before borrowing.

    A finder for ``requests_app.catalogue`` (registered at start-up): nothing without a base URL or
    anything to search by; at most ``ILLMS_SRU_TIME_LIMIT_SECONDS``; a catalogue that fails or is slow
    finds nothing (the patron's request goes on). Answers are cached as the rota's look-ups are.
    """
    if not library.sru_base_url:
        return []
    copy = citation.get("format") in ("article", "chapter")
    try:
        query = sru.build_cql(isbn=str(citation.get("isbn") or ""), issn=str(citation.get("issn") or ""),
                              oclc_number=str(citation.get("oclc_number") or ""),
                              title=str((citation.get("container_title") if copy else "") or citation.get("title")
                                        or ""),
                              author="" if copy else str(citation.get("author") or ""))
    except ValueError:
        return []
    key = _cache_key(library, query)
    answer = cache.get(key)
    if answer is None:
        try:
            answer = _ask(library, query, settings.ILLMS_SRU_TIME_LIMIT_SECONDS)
        except sru.SruError:
            return []
        cache.set(key, answer, timeout=settings.ILLMS_SRU_CACHE_SECONDS)
    return [OwnedItem(title=h["record"], call_number=h["call_number"], location=h["location"],
                      circulates=not any(word in (h["status"] or "").lower() for word in _NOT_CIRCULATING))
            for h in answer]
