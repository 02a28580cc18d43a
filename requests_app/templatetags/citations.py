"""``{% load citations %}``: a request's citation with its parts labelled (``requests_app.citations``).

``{{ ill_request|citation }}`` is the whole line, ``{{ ill_request|citation_source }}`` the journal or
book with volume, issue and pages (``Science, vol. 185, no. 4157, pp. 1124–1131``), and
``{{ ill_request|citation_publication }}`` edition, imprint and date.
"""

from __future__ import annotations

from django import template

from requests_app import citations

register = template.Library()


@register.filter
def citation(value) -> str:
    return citations.citation_line(value)


@register.filter
def citation_source(value) -> str:
    return citations.source(value)


@register.filter
def citation_publication(value) -> str:
    return citations.publication(value)
