"""``{% ncip_calls ill_request as calls %}``: the request's NCIP calls, oldest first (one query)."""

from __future__ import annotations

from django import template

from ..models import NcipCall

register = template.Library()


@register.simple_tag
def ncip_calls(ill_request) -> list[NcipCall]:
    return list(NcipCall.objects.filter(request=ill_request).order_by("pk"))
