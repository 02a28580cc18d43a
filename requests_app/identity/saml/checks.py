"""``manage.py check`` warns when the SAML door is switched on but cannot work (the site starts all the same)."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Warning, register


@register("illms")
def saml_door_works(app_configs=None, **kwargs):
    if "saml" not in getattr(settings, "ILLMS_SIGNIN_DOORS", []):
        return []
    from .config import SamlUnavailable, service_provider, site_base  # pysaml2 only when the door is on

    try:
        service_provider(site_base(None) or "http://localhost")
    except SamlUnavailable as problem:
        return [Warning(f"SAML sign-in is not available: {problem.reason}",
                        hint="See docs/authentication.md, section SAML.", id="illms.W201")]
    return []
