"""Completing a citation from its DOI or PMID: the place where a citation look-up plugs in.

A link from PubMed's LinkOut carries only ``id=pmid:…``; one pasted from a reference list may
carry only a DOI. The patron's form asks for the title, journal and year, which a look-up
(PubMed's E-utilities for a PMID, Crossref for a DOI) could fill in. No look-up is configured
yet, so ``complete_citation`` returns the citation it is given, unchanged: the patron fills the
fields in, and the form tells them which (``parse_openurl``'s notices).

A look-up added here must keep to what the OpenURL view relies on:

* it takes and returns the dict ``requests_app.openurl.parse_openurl`` returns (``format``, the
  citation fields, ``referrer``, ``warnings``, ``notices``), and may only add values to fields
  that are empty: what the link gave is never overwritten;
* it may change ``format`` only from ``other`` or ``article`` (a DOI that turns out to be a
  chapter), and removes the notice it answered;
* it never raises and never waits long: a look-up that fails or times out returns the citation
  unchanged, with at most a sentence added to ``warnings``;
* it runs only where a library has configured it (a setting), so a deployment without network
  access to those services behaves as today.
"""

from __future__ import annotations

from typing import Any


def complete_citation(citation: dict[str, Any]) -> dict[str, Any]:
    """``citation`` with the fields a look-up of its DOI or PMID can fill in; unchanged while none is configured."""
    return citation
