"""The sign-in page's institutional doors: ``{% signin_doors as doors %}``."""

from django import template

from requests_app.identity.doors import enabled_doors

register = template.Library()


@register.simple_tag
def signin_doors():
    return enabled_doors()
