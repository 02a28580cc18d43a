"""``manage.py check`` warns about role names in the sign-in settings that no role has (a typo requires nothing)."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Warning, register


@register("illms")
def role_names_are_roles(app_configs=None, **kwargs):
    from requests_app import roles

    problems = []
    unknown = [name for name in settings.ILLMS_2FA_REQUIRED_ROLES if name not in roles.ROLES]
    if unknown:
        problems.append(Warning(
            f"ILLMS_2FA_REQUIRED_ROLES names no role: {', '.join(map(repr, unknown))}; nobody in it is asked for two "
            "factors.", hint=f"Roles: {', '.join(roles.ROLES)}.", id="illms.W301"))
    not_member = sorted({name for name in settings.ILLMS_IDENTITY_STAFF_ROLES.values()
                         if name not in roles.MEMBER_LIBRARY_ROLES})
    if not_member:
        problems.append(Warning(
            f"ILLMS_IDENTITY_STAFF_ROLES maps to {', '.join(map(repr, not_member))}, which a provider never gives.",
            hint=f"A member library's roles: {', '.join(roles.MEMBER_LIBRARY_ROLES)}.", id="illms.W302"))
    return problems
