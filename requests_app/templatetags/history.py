"""``{% request_history ill_request "staff" as lines %}``: a request's history in words (``requests_app.history``),
and ``{% request_conditions ill_request as offer %}``: the conditions it is offered (``requests_app.conditions``).

Both read the request's prefetched events: no query of their own.
"""

from __future__ import annotations

from django import template

from requests_app import conditions, history

register = template.Library()


@register.simple_tag
def request_history(ill_request, audience: str = history.STAFF) -> list[history.HistoryLine]:
    return history.lines(ill_request, audience=audience)


@register.simple_tag
def request_conditions(ill_request) -> conditions.Offer | None:
    return conditions.latest_offer(ill_request)
