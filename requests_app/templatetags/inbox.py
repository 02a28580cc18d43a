"""``{% inbox_unread as n %}``: how many notes wait in the signed-in staff member's inbox (one COUNT query)."""

from __future__ import annotations

from django import template

from requests_app import messaging, selectors
from requests_app.workflow import registry

register = template.Library()


@register.simple_tag(takes_context=True)
def inbox_unread(context) -> int:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return 0
    roles = messaging.staff_roles(user)
    library = selectors.staff_library(user) if roles else None
    if library is None:
        return 0
    return messaging.unread_count(library=library, roles=roles)


@register.simple_tag
def desk_url(ill_request) -> str:
    """The desk page of ``ill_request`` (the borrowing or the lending desk)."""
    return registry.get(ill_request.role).desk_request_url(ill_request.pk)
