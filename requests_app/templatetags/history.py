"""``{% request_history ill_request "staff" as lines %}``: a request's history in words (``requests_app.history``),
``{% request_conditions ill_request as offer %}``: the conditions it is offered (``requests_app.conditions``), and
``{% request_renewal ill_request as renewal %}``: its renewals (``requests_app.renewals``).

They read the request's prefetched events: no query of their own (the renewal limit reads the library's policy).
"""

from __future__ import annotations

from django import template

from requests_app import conditions, history, renewals

register = template.Library()


@register.simple_tag
def request_history(ill_request, audience: str = history.STAFF) -> list[history.HistoryLine]:
    return history.lines(ill_request, audience=audience)


@register.simple_tag
def request_conditions(ill_request) -> conditions.Offer | None:
    return conditions.latest_offer(ill_request)


@register.simple_tag
def request_renewal(ill_request) -> renewals.Renewal | None:
    return renewals.renewal_of(ill_request)
