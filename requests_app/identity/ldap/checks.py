"""``manage.py check`` warns when the LDAP door is switched on but cannot work, or would send passwords
unencrypted (the site starts all the same; the sign-in settings page says the same)."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Warning, register

HINT = "See docs/authentication.md, section LDAP / Active Directory."


@register("illms")
def ldap_door_works(app_configs=None, **kwargs):
    if "ldap" not in getattr(settings, "ILLMS_SIGNIN_DOORS", []):
        return []
    found = []
    if not settings.ILLMS_LDAP_SERVER_URI:
        found.append(Warning("LDAP sign-in is switched on but ILLMS_LDAP_SERVER_URI is not set.", hint=HINT,
                             id="illms.W202"))
    if not (settings.ILLMS_LDAP_USER_SEARCH_BASE or settings.ILLMS_LDAP_USER_DN_TEMPLATE):
        found.append(Warning("LDAP sign-in cannot find people: set ILLMS_LDAP_USER_SEARCH_BASE (search, then bind) "
                             "or ILLMS_LDAP_USER_DN_TEMPLATE (direct bind).", hint=HINT, id="illms.W202"))
    clear = [uri for uri in settings.ILLMS_LDAP_SERVER_URI.split() if uri.lower().startswith("ldap://")]
    if clear and not settings.ILLMS_LDAP_START_TLS:
        found.append(Warning(f"LDAP sign-in sends passwords unencrypted to {', '.join(clear)}: use ldaps:// or "
                             "ILLMS_LDAP_START_TLS=1.", hint=HINT, id="illms.W203"))
    return found
