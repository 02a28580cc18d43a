"""The sign-in doors a site has switched on, in the order the sign-in page shows them.

``ILLMS_SIGNIN_DOORS`` lists them (``saml,cas,ldap,oidc``); each door's start URL is named ``signin-<door>``
and its button reads ``ILLMS_<DOOR>_LABEL``. LDAP has no start page of its own: it checks the user name and
password typed into the sign-in form, so it shows no button but a hint beside the form.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

KNOWN = ("saml", "cas", "oidc", "ldap")
DEFAULT_LABELS = {
    "saml": _("Sign in with your institution"),
    "cas": _("Sign in with your campus account"),
    "oidc": _("Sign in with your institution's account"),
    "ldap": _("Use your campus user name and password in the form below"),
}
#: Doors that use the sign-in form (no redirect to a provider).
FORM_DOORS = frozenset({"ldap"})


@dataclass(frozen=True)
class Door:
    name: str
    label: str
    url: str  # "" for a form door

    @property
    def uses_form(self) -> bool:
        return self.name in FORM_DOORS


def enabled_doors() -> list[Door]:
    doors = []
    labels = getattr(settings, "ILLMS_SIGNIN_LABELS", {})
    for name in getattr(settings, "ILLMS_SIGNIN_DOORS", []):
        if name not in KNOWN:
            continue
        url = ""
        if name not in FORM_DOORS:
            try:
                url = reverse(f"signin-{name}")
            except NoReverseMatch:
                continue  # the door's package is not installed: show no dead button
        doors.append(Door(name=name, label=str(labels.get(name) or DEFAULT_LABELS[name]), url=url))
    return doors


def door_library(name: str) -> str:
    """The member library a door signs its patrons in to (``ILLMS_<DOOR>_LIBRARY``), or ``""``."""
    return getattr(settings, "ILLMS_SIGNIN_LIBRARIES", {}).get(name, "")
