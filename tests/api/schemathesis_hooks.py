"""Schemathesis hooks for the run against our OpenAPI document (loaded by ``SCHEMATHESIS_HOOKS``).

The document names the identifier formats a partner writes (``isbn``, ``issn``, ``doi``, ``pmid``,
``oclc-number``; its descriptions say what each accepts, check digits included): these strategies teach
schemathesis what a valid one is, in the forms people type, so schema-valid data is valid data.

A staff session sends its CSRF token as a browser does: the ``csrftoken`` cookie and the
``X-CSRFToken`` header (``ILLMS_CSRF_TOKEN``), beside the session cookie schemathesis sends itself.
"""

from __future__ import annotations

import os

import schemathesis
from hypothesis import strategies as st
from stdnum import ean, issn


@st.composite
def _isbns(draw) -> str:
    if draw(st.booleans()):
        prefix = draw(st.sampled_from(["978", "9791", "9798"]))
        body = prefix + draw(st.text("0123456789", min_size=12 - len(prefix), max_size=12 - len(prefix)))
        number = body + ean.calc_check_digit(body)
        spelled = draw(st.sampled_from([number, f"{number[:3]}-{number[3:4]}-{number[4:9]}-{number[9:12]}-"
                                                f"{number[12]}"]))
    else:
        body = draw(st.text("0123456789", min_size=9, max_size=9))
        check = (11 - sum((10 - i) * int(digit) for i, digit in enumerate(body))) % 11
        spelled = body + ("X" if check == 10 else str(check))
    return draw(st.sampled_from(["", "ISBN ", "urn:isbn:"])) + spelled


@st.composite
def _issns(draw) -> str:
    body = draw(st.text("0123456789", min_size=7, max_size=7))
    number = body + issn.calc_check_digit(body)
    return draw(st.sampled_from([number, f"{number[:4]}-{number[4:]}"]))


@st.composite
def _dois(draw) -> str:
    registrant = draw(st.text("0123456789", min_size=4, max_size=9))
    suffix = draw(st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=40))
    return draw(st.sampled_from(["", "doi:", "https://doi.org/"])) + f"10.{registrant}/{suffix}"


def _numbers(digits: int, prefixes: list[str]) -> st.SearchStrategy[str]:
    return st.builds(lambda prefix, number: f"{prefix}{number}", st.sampled_from(prefixes),
                     st.integers(min_value=1, max_value=10**digits - 1))


schemathesis.openapi.format("isbn", _isbns())
schemathesis.openapi.format("issn", _issns())
schemathesis.openapi.format("doi", _dois())
schemathesis.openapi.format("pmid", _numbers(9, ["", "pmid:"]))
schemathesis.openapi.format("oclc-number", _numbers(12, ["", "ocm", "(OCoLC)"]))

CSRF_TOKEN = os.environ.get("ILLMS_CSRF_TOKEN", "")


@schemathesis.hook
def before_call(context, case, kwargs) -> None:
    if CSRF_TOKEN:
        case.headers["X-CSRFToken"] = CSRF_TOKEN
        case.cookies["csrftoken"] = CSRF_TOKEN
