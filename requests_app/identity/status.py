"""What the ILL administrator's sign-in page reports for each door: switched on or not, what the institution's IT
department must register at its identity provider (our addresses), what the door is configured with (never a
secret, only whether one is set), the attribute mapping, and what stops it working.

Reading the page checks the configuration only; ``live=True`` (the page's "Check the providers now") also asks
each provider over the network, with the doors' own timeouts. A door's report is made by a function registered
with :func:`register_door_report`, so a door added later (LDAP) describes itself.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field

import requests
from django.conf import settings
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import doors
from .fields import FIELDS
from .mapping import attribute_names

FIELD_LABELS = {
    "subject": gettext_lazy("Subject (stable id)"), "username": gettext_lazy("User name"),
    "email": gettext_lazy("E-mail"), "first_name": gettext_lazy("Given name"), "last_name": gettext_lazy("Surname"),
    "display_name": gettext_lazy("Display name"), "affiliation": gettext_lazy("Affiliation (category)"),
    "department": gettext_lazy("Department"), "barcode": gettext_lazy("Library card barcode"),
    "institution_id": gettext_lazy("Institutional id"), "expires_on": gettext_lazy("Expiry date"),
    "library": gettext_lazy("Member library"), "staff": gettext_lazy("Staff marker"),
    "blocked": gettext_lazy("Blocked (yes or no)"), "blocked_reason": gettext_lazy("Reason for the block"),
}
DOOR_TITLES = {"saml": "SAML 2.0", "cas": "CAS", "oidc": "OpenID Connect", "ldap": "LDAP / Active Directory"}


@dataclass
class DoorReport:
    name: str
    title: str
    on: bool
    label: str = ""
    #: What to give the identity provider's administrators: (what, address).
    register: list[tuple[str, str]] = field(default_factory=list)
    #: What the door is configured with: (setting, value in words).
    configured: list[tuple[str, str]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)  # what a live check confirmed
    library: str = ""
    mapping: list[tuple[str, str]] = field(default_factory=list)

    @property
    def state(self) -> str:
        if not self.on:
            return "off"
        return "problem" if self.problems else "works"


Reporter = Callable[[DoorReport, str, bool], None]
_reporters: dict[str, Reporter] = {}


def register_door_report(name: str) -> Callable[[Reporter], Reporter]:
    def decorate(function: Reporter) -> Reporter:
        _reporters[name] = function
        return function
    return decorate


def _url(base: str, name: str) -> str:
    try:
        return base + reverse(name)
    except NoReverseMatch:
        return ""


def _set(value: str) -> str:
    return _("set") if value else _("not set")


def _library_in_words(name: str) -> str:
    door_library = doors.door_library(name)
    if door_library:
        return _("%(symbol)s (ILLMS_%(door)s_LIBRARY)") % {"symbol": door_library, "door": name.upper()}
    default = getattr(settings, "ILLMS_IDENTITY_DEFAULT_LIBRARY", "")
    if default:
        return _("%(symbol)s (ILLMS_IDENTITY_DEFAULT_LIBRARY)") % {"symbol": default}
    return _("named by the provider's library attribute, else the only member library")


def site_base(request: HttpRequest | None) -> str:
    configured = getattr(settings, "ILLMS_SITE_URL", "").rstrip("/")
    if configured or request is None:
        return configured
    return request.build_absolute_uri("/").rstrip("/")


def door_reports(request: HttpRequest | None, *, live: bool = False) -> list[DoorReport]:
    """One report per known door, the switched-on ones first in the sign-in page's order."""
    switched_on = [d for d in getattr(settings, "ILLMS_SIGNIN_DOORS", []) if d in doors.KNOWN]
    shown = {door.name: door for door in doors.enabled_doors()}
    base = site_base(request)
    reports = []
    for name in [*switched_on, *(d for d in doors.KNOWN if d not in switched_on)]:
        report = DoorReport(name=name, title=DOOR_TITLES[name], on=name in switched_on,
                            label=shown[name].label if name in shown else "", library=_library_in_words(name))
        mapping = attribute_names(name)
        report.mapping = [(str(FIELD_LABELS[f]), ", ".join(mapping.get(f, ())) or "—") for f in FIELDS]
        reporter = _reporters.get(name)
        if reporter is not None:
            reporter(report, base, live and report.on)
        if report.on and name not in shown:
            report.problems.append(_("The door's software is not installed, so the sign-in page shows no button."))
        reports.append(report)
    return reports


@register_door_report("saml")
def _saml(report: DoorReport, base: str, live: bool) -> None:
    report.configured = [
        ("ILLMS_SAML_IDP_METADATA", settings.ILLMS_SAML_IDP_METADATA or _("not set")),
        ("ILLMS_SAML_ENTITY_ID", settings.ILLMS_SAML_ENTITY_ID or _("our metadata address (the default)")),
        ("ILLMS_SAML_CERT_FILE", settings.ILLMS_SAML_CERT_FILE or _("not set")),
        ("ILLMS_SAML_KEY_FILE", _set(settings.ILLMS_SAML_KEY_FILE)),
        ("ILLMS_SAML_XMLSEC_BINARY", settings.ILLMS_SAML_XMLSEC_BINARY or "xmlsec1"),
    ]
    if not base:
        return
    from .saml import config  # pysaml2 is imported only for the SAML door

    report.register = [(_("Entity id"), config.entity_id(base)),
                       (_("Metadata"), _url(base, "saml-metadata")),
                       (_("Assertion consumer service (HTTP-POST)"), _url(base, "saml-acs")),
                       (_("Single logout service (HTTP-Redirect)"), _url(base, "saml-sls"))]
    if not report.on:
        return
    remote = settings.ILLMS_SAML_IDP_METADATA.startswith(("https://", "http://"))
    if remote and not live:
        try:
            config.xmlsec_binary()
        except config.SamlUnavailable as problem:
            report.problems.append(problem.reason)
        return  # reading a remote metadata file waits for the network: only when asked
    try:
        loaded = config.service_provider(base)
    except config.SamlUnavailable as problem:
        report.problems.append(problem.reason)
        return
    report.checked.append(_("The metadata describes the identity provider %(entity)s.")
                          % {"entity": config.identity_provider(loaded)})


@register_door_report("cas")
def _cas(report: DoorReport, base: str, live: bool) -> None:
    server = settings.ILLMS_CAS_SERVER_URL
    report.configured = [("ILLMS_CAS_SERVER_URL", server or _("not set")),
                         ("ILLMS_CAS_VERSION", settings.ILLMS_CAS_VERSION),
                         ("ILLMS_CAS_TIMEOUT", _("%(seconds)s s") % {"seconds": settings.ILLMS_CAS_TIMEOUT}),
                         ("ILLMS_CAS_LOGOUT", _("yes") if settings.ILLMS_CAS_LOGOUT else _("no"))]
    if base:
        report.register = [(_("Service (register this address at the CAS server)"), _url(base, "cas-callback")),
                           (_("Back-channel logout"), _url(base, "cas-callback"))]
    if not report.on:
        return
    if not server:
        report.problems.append(_("ILLMS_CAS_SERVER_URL is not set (the CAS server's address)."))
        return
    if live:
        login = server.rstrip("/") + "/login"
        try:
            answer = requests.get(login, timeout=settings.ILLMS_CAS_TIMEOUT, allow_redirects=False)
        except requests.RequestException as exc:
            report.problems.append(_("The CAS server did not answer at %(url)s: %(error)s")
                                   % {"url": login, "error": exc.__class__.__name__})
            return
        if answer.status_code >= 400:
            report.problems.append(_("The CAS server's login page %(url)s answered HTTP %(status)s.")
                                   % {"url": login, "status": answer.status_code})
        else:
            report.checked.append(_("The CAS server's login page answers at %(url)s.") % {"url": login})


@register_door_report("oidc")
def _oidc(report: DoorReport, base: str, live: bool) -> None:
    report.configured = [("ILLMS_OIDC_ISSUER", settings.ILLMS_OIDC_ISSUER or _("not set")),
                         ("ILLMS_OIDC_CLIENT_ID", settings.OIDC_RP_CLIENT_ID or _("not set")),
                         ("ILLMS_OIDC_CLIENT_SECRET", _set(settings.OIDC_RP_CLIENT_SECRET)),
                         ("ILLMS_OIDC_SCOPES", settings.OIDC_RP_SCOPES),
                         ("ILLMS_OIDC_SIGN_ALGO", settings.OIDC_RP_SIGN_ALGO)]
    if base:
        report.register = [(_("Redirect URI"), _url(base, "oidc_authentication_callback")),
                           (_("Post-logout redirect URI"), base + "/")]
    if not report.on:
        return
    from .oidc import provider

    if not provider.configured():
        report.problems.append(_("ILLMS_OIDC_CLIENT_ID and ILLMS_OIDC_ISSUER (or every ILLMS_OIDC_*_ENDPOINT) "
                                 "must be set."))
        return
    if live:
        try:
            found = provider.endpoints()
        except provider.ProviderUnavailable as problem:
            report.problems.append(_("The provider's endpoints could not be found: %(reason)s") % {"reason": problem})
            return
        report.checked.append(_("The provider's endpoints were found (authorisation at %(url)s).")
                              % {"url": found.authorization})


def _group_map_in_words(groups: dict[str, tuple[str, ...]]) -> str:
    return "; ".join(f"{group} → {', '.join(values)}" for group, values in groups.items()) or _("none")


@register_door_report("ldap")
def _ldap(report: DoorReport, base: str, live: bool) -> None:
    uri = settings.ILLMS_LDAP_SERVER_URI
    clear = bool(uri) and not settings.ILLMS_LDAP_START_TLS and \
        any(u.lower().startswith("ldap://") for u in uri.split())
    report.configured = [
        ("ILLMS_LDAP_SERVER_URI", uri or _("not set")),
        ("ILLMS_LDAP_START_TLS", _("no: passwords go to an ldap:// address unencrypted") if clear
         else (_("yes") if settings.ILLMS_LDAP_START_TLS else _("no"))),
        ("ILLMS_LDAP_CA_FILE", settings.ILLMS_LDAP_CA_FILE or _("the system's CAs")),
        ("ILLMS_LDAP_BIND_DN", settings.ILLMS_LDAP_BIND_DN or _("none (an anonymous search)")),
        ("ILLMS_LDAP_BIND_PASSWORD", _set(settings.ILLMS_LDAP_BIND_PASSWORD)),
        ("ILLMS_LDAP_USER_SEARCH_BASE", settings.ILLMS_LDAP_USER_SEARCH_BASE or _("not set")),
        ("ILLMS_LDAP_USER_SEARCH_FILTER", settings.ILLMS_LDAP_USER_SEARCH_FILTER),
        ("ILLMS_LDAP_USER_DN_TEMPLATE", settings.ILLMS_LDAP_USER_DN_TEMPLATE or _("not set (search, then bind)")),
        ("ILLMS_LDAP_DISABLED_FILTER", settings.ILLMS_LDAP_DISABLED_FILTER or _("none")),
        ("ILLMS_LDAP_GROUP_SEARCH_BASE", settings.ILLMS_LDAP_GROUP_SEARCH_BASE or _("none (the entry's memberOf)")),
        ("ILLMS_LDAP_GROUP_SEARCH_FILTER", settings.ILLMS_LDAP_GROUP_SEARCH_FILTER),
        ("ILLMS_LDAP_GROUP_CATEGORIES", _group_map_in_words(settings.ILLMS_LDAP_GROUP_CATEGORIES)),
        ("ILLMS_LDAP_STAFF_GROUPS", _group_map_in_words(settings.ILLMS_LDAP_STAFF_GROUPS)),
        ("ILLMS_LDAP_TIMEOUT", _("%(seconds)s s") % {"seconds": settings.ILLMS_LDAP_TIMEOUT}),
    ]
    if not report.on:
        return
    if not uri:
        report.problems.append(_("ILLMS_LDAP_SERVER_URI is not set (the directory's ldap:// or ldaps:// address)."))
    if not (settings.ILLMS_LDAP_USER_SEARCH_BASE or settings.ILLMS_LDAP_USER_DN_TEMPLATE):
        report.problems.append(_("Set ILLMS_LDAP_USER_SEARCH_BASE (search, then bind) or "
                                 "ILLMS_LDAP_USER_DN_TEMPLATE (direct bind) to find people's entries."))
    ca_file = settings.ILLMS_LDAP_CA_FILE
    if ca_file and not os.access(ca_file, os.R_OK):
        report.problems.append(_("The CA file %(path)s cannot be read.") % {"path": ca_file})
    if report.problems or not live:
        return
    from . import ldap as directory

    try:
        report.checked.append(directory.check_service_account())
    except directory.DirectoryRefused as problem:
        report.problems.append(problem.message)
