"""From an identity provider's attributes (or a patron load's columns) to the fields of a patron.

A door's mapping names, for each of our fields, the attribute names to try in order: SAML releases
``eduPersonPrincipalName`` or its OID, CAS ``uid``, OpenID Connect ``preferred_username``, a directory ``uid``
or ``sAMAccountName``. The defaults below follow each protocol's usual names; a library changes one field with
``ILLMS_<DOOR>_ATTRIBUTES="barcode=libraryBarcode;category=eduPersonScopedAffiliation"`` (``field=name,name``
pairs separated by ``;``), which replaces the default names of the fields it lists and keeps the others.

Affiliations become patron categories through ``ILLMS_IDENTITY_CATEGORIES`` (``value=category`` pairs); the
first affiliation with a known category wins, in the order of :data:`CATEGORY_PRIORITY`, so a member who is both
``staff`` and ``student`` is counted as staff. Scoped values (``faculty@example.edu``) match by their part
before the ``@``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from requests_app.models import PatronCategory

from .fields import FIELDS, parse_mapping  # noqa: F401  (parse_mapping is part of this module's interface)

_OID = {  # The attributes' OIDs (SAML 2.0 "urn:oid" names) beside their friendly names.
    "eduPersonPrincipalName": "urn:oid:1.3.6.1.4.1.5923.1.1.1.6",
    "eduPersonAffiliation": "urn:oid:1.3.6.1.4.1.5923.1.1.1.1",
    "eduPersonScopedAffiliation": "urn:oid:1.3.6.1.4.1.5923.1.1.1.9",
    "uid": "urn:oid:0.9.2342.19200300.100.1.1",
    "mail": "urn:oid:0.9.2342.19200300.100.1.3",
    "givenName": "urn:oid:2.5.4.42",
    "sn": "urn:oid:2.5.4.4",
    "displayName": "urn:oid:2.16.840.1.113730.3.1.241",
    "ou": "urn:oid:2.5.4.11",
    "employeeNumber": "urn:oid:2.16.840.1.113730.3.1.3",
}


def _with_oids(*names: str) -> tuple[str, ...]:
    """Each friendly name followed by its OID, as IdPs release either."""
    return tuple(n for name in names for n in (name, _OID.get(name)) if n)


DEFAULT_ATTRIBUTES: dict[str, dict[str, tuple[str, ...]]] = {
    "saml": {
        "subject": _with_oids("eduPersonPrincipalName", "uid"), "username": _with_oids("eduPersonPrincipalName", "uid"),
        "email": _with_oids("mail"), "first_name": _with_oids("givenName"), "last_name": _with_oids("sn"),
        "display_name": _with_oids("displayName"),
        "affiliation": _with_oids("eduPersonAffiliation", "eduPersonScopedAffiliation"),
        "department": _with_oids("ou"), "barcode": ("libraryBarcode", "barcode"),
        "institution_id": _with_oids("employeeNumber"), "expires_on": ("libraryExpiry", "expires"),
        "library": ("librarySymbol",), "staff": ("illStaff",),
    },
    "cas": {
        "subject": ("user", "uid"), "username": ("user", "uid"), "email": ("mail", "email"),
        "first_name": ("givenName", "first_name"), "last_name": ("sn", "last_name"), "display_name": ("displayName",),
        "affiliation": ("eduPersonAffiliation", "affiliation"), "department": ("ou", "department"),
        "barcode": ("libraryBarcode", "barcode"), "institution_id": ("employeeNumber",),
        "expires_on": ("libraryExpiry",), "library": ("librarySymbol",), "staff": ("illStaff",),
    },
    "ldap": {
        "subject": ("uid", "sAMAccountName"), "username": ("uid", "sAMAccountName"),
        "email": ("mail",), "first_name": ("givenName",), "last_name": ("sn",), "display_name": ("displayName", "cn"),
        "affiliation": ("eduPersonAffiliation", "employeeType"), "department": ("ou", "department"),
        "barcode": ("libraryBarcode", "pager"), "institution_id": ("employeeNumber", "employeeID"),
        "expires_on": ("libraryExpiry",), "library": ("librarySymbol",), "staff": ("illStaff",),
    },
    "oidc": {
        "subject": ("sub",), "username": ("preferred_username", "email"), "email": ("email",),
        "first_name": ("given_name",), "last_name": ("family_name",), "display_name": ("name",),
        "affiliation": ("eduperson_affiliation", "affiliation", "groups"), "department": ("department",),
        "barcode": ("library_barcode", "barcode"), "institution_id": ("employee_number",),
        "expires_on": ("library_expiry",), "library": ("library_symbol",), "staff": ("ill_staff",),
    },
    "load": {
        "subject": ("institution_id", "id", "barcode"), "username": ("username", "institution_id", "barcode"),
        "email": ("email", "mail"), "first_name": ("first_name", "given_name", "givenName"),
        "last_name": ("last_name", "family_name", "surname", "sn"), "display_name": ("name",),
        "affiliation": ("category", "affiliation", "patron_type"), "department": ("department",),
        "barcode": ("barcode", "card_barcode"), "institution_id": ("institution_id", "id"),
        "expires_on": ("expires_on", "expiry", "expiry_date", "expires", "expirationDate"), "library": ("library",),
        "staff": (), "blocked": ("blocked", "block", "barred"),
        "blocked_reason": ("blocked_reason", "block_reason", "block_note"),
    },
}

DEFAULT_CATEGORIES: dict[str, str] = {
    "faculty": PatronCategory.FACULTY, "professor": PatronCategory.FACULTY, "teacher": PatronCategory.FACULTY,
    "graduate": PatronCategory.GRADUATE, "postgraduate": PatronCategory.GRADUATE, "phd": PatronCategory.GRADUATE,
    "student": PatronCategory.UNDERGRADUATE, "undergraduate": PatronCategory.UNDERGRADUATE,
    "staff": PatronCategory.STAFF, "employee": PatronCategory.STAFF,
    "affiliate": PatronCategory.PUBLIC, "member": PatronCategory.PUBLIC, "public": PatronCategory.PUBLIC,
    "library-walk-in": PatronCategory.PUBLIC, "alum": PatronCategory.PUBLIC,
}
#: When an account has several affiliations, the category that counts.
CATEGORY_PRIORITY = (PatronCategory.FACULTY, PatronCategory.STAFF, PatronCategory.GRADUATE,
                     PatronCategory.UNDERGRADUATE, PatronCategory.PUBLIC)

_TRUE = {"1", "true", "yes", "y", "staff", "on"}


class UnreadableAttribute(ValueError):
    """An attribute the door cannot use (an expiry date that is no date); the message names it, ``field`` our
    field it was read for."""

    def __init__(self, message: str, *, field: str = "", value: str = ""):
        super().__init__(message)
        self.field = field
        self.value = value


@dataclass
class IdentityAttributes:
    """What an identity provider (or a load row) says of a person, in our fields; empty strings when unsaid."""

    door: str
    subject: str
    username: str = ""
    email: str = ""
    first_name: str = ""
    last_name: str = ""
    department: str = ""
    barcode: str = ""
    institution_id: str = ""
    category: str = ""
    affiliations: tuple[str, ...] = ()
    expires_on: dt.date | None = None
    library: str = ""
    staff: bool = False
    #: ``None`` when the provider (or the load's file) says nothing of a block.
    blocked: bool | None = None
    blocked_reason: str = ""
    #: The staff roles (group names) the provider gives, when it manages them: the account's member-library
    #: roles become exactly these at every sign-in, and a first sign-in with some makes a staff account.
    #: ``None``: the provider says nothing of roles, and they are kept as the library set them.
    staff_roles: tuple[str, ...] | None = None
    raw: dict[str, list[str]] = field(default_factory=dict, repr=False)


def attribute_names(door: str, overrides: Mapping[str, tuple[str, ...]] | None = None) -> dict[str, tuple[str, ...]]:
    """The door's mapping: the defaults with the library's ``ILLMS_<DOOR>_ATTRIBUTES`` laid over them, and then
    ``overrides`` (a member library's own column names for its patron loads)."""
    mapping = dict(DEFAULT_ATTRIBUTES.get(door, DEFAULT_ATTRIBUTES["saml"]))
    mapping.update(getattr(settings, "ILLMS_IDENTITY_ATTRIBUTES", {}).get(door, {}))
    mapping.update(overrides or {})
    return mapping


def category_map(overrides: Mapping[str, str] | None = None) -> dict[str, str]:
    configured = getattr(settings, "ILLMS_IDENTITY_CATEGORIES", {})
    return {**DEFAULT_CATEGORIES, **{k.lower(): v for k, v in configured.items()},
            **{k.lower(): v for k, v in (overrides or {}).items()}}


def _values(raw: Mapping[str, Any], name: str) -> list[str]:
    value = raw.get(name)
    if value is None:
        lowered = {k.lower(): v for k, v in raw.items()}
        value = lowered.get(name.lower())
    if value is None:
        return []
    if isinstance(value, str | bytes | int | bool | dt.date):
        value = [value]
    out = []
    for item in value:
        if isinstance(item, bytes):
            item = item.decode("utf-8", "replace")
        text = str(item).strip()
        if text:
            out.append(text)
    return out


def _has(raw: Mapping[str, Any], name: str) -> bool:
    """Whether ``raw`` has the attribute at all (an empty cell counts: the column is there)."""
    return name in raw or name.lower() in {k.lower() for k in raw}


def _first(raw: Mapping[str, Any], names: Iterable[str]) -> str:
    for name in names:
        found = _values(raw, name)
        if found:
            return found[0]
    return ""


def _all(raw: Mapping[str, Any], names: Iterable[str]) -> list[str]:
    return [v for name in names for v in _values(raw, name)]


_DATE_FORMATS = ("%Y-%m-%d", "%Y%m%d", "%Y%m%d%H%M%SZ", "%Y-%m-%dT%H:%M:%SZ", "%d/%m/%Y")


def parse_date(text: str) -> dt.date:
    """An expiry date as systems write it: ``2027-06-30``, ``20270630``, LDAP's ``20270630000000Z``, ISO times."""
    text = text.strip()
    for pattern in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    try:
        return dt.datetime.fromisoformat(text).date()
    except ValueError:
        raise UnreadableAttribute(_("The expiry date %(value)r is not a date (write it as YYYY-MM-DD).")
                                  % {"value": text}, field="expires_on", value=text) from None


_YES = {"1", "true", "yes", "y", "x", "t", "blocked", "barred"}
_NO = {"0", "false", "no", "n", "f", "", "-"}


def parse_yes_no(text: str, *, field: str) -> bool:
    """``yes``/``no`` as exports write it (``1``, ``true``, ``Y``, ``x``; ``0``, ``false``, ``N``, empty)."""
    value = text.strip().lower()
    if value in _YES:
        return True
    if value in _NO:
        return False
    raise UnreadableAttribute(_("%(value)r is not yes or no.") % {"value": text}, field=field, value=text)


def category_for(affiliations: Iterable[str], categories: Mapping[str, str] | None = None) -> str:
    """The patron category for a person's affiliations (``categories``: value → category, default
    :func:`category_map`), or ``""`` when none is known."""
    known = category_map() if categories is None else categories
    found = set()
    for affiliation in affiliations:
        value = affiliation.strip().lower().split("@", 1)[0]
        if value in known:
            found.add(known[value])
        elif value in PatronCategory.values:
            found.add(value)
    for category in CATEGORY_PRIORITY:
        if category in found:
            return category
    return ""


def roles_for(values: Iterable[str]) -> tuple[str, ...] | None:
    """The member-library roles ``ILLMS_IDENTITY_STAFF_ROLES`` gives for a person's staff values and affiliations
    (compared in lower case, whole or by the part before ``@``), in the roles table's order; ``None`` when no
    mapping is set (the provider then says nothing of roles). Roles that are not a member library's are never
    given, whatever the setting says."""
    from requests_app.roles import MEMBER_LIBRARY_ROLES

    mapping = getattr(settings, "ILLMS_IDENTITY_STAFF_ROLES", {})
    if not mapping:
        return None
    wanted = set()
    for value in values:
        value = value.strip().lower()
        for candidate in (value, value.split("@", 1)[0]):
            if candidate in mapping:
                wanted.add(mapping[candidate])
    return tuple(role for role in MEMBER_LIBRARY_ROLES if role in wanted)


_SPACES = re.compile(r"\s+")


def read_attributes(raw: Mapping[str, Any], *, door: str, names: Mapping[str, tuple[str, ...]] | None = None,
                    categories: Mapping[str, str] | None = None) -> IdentityAttributes:
    """``raw`` (attribute name → value or list of values) read through the door's mapping (or ``names``, and
    ``categories`` for the affiliations' values).

    Raises ``UnreadableAttribute`` for a value we cannot use; a missing subject is the caller's refusal.
    """
    names = attribute_names(door) if names is None else names
    display = _first(raw, names.get("display_name", ()))
    first, last = _first(raw, names.get("first_name", ())), _first(raw, names.get("last_name", ()))
    if display and not (first or last):
        first, _sep, last = _SPACES.sub(" ", display).rpartition(" ")
        if not first:
            first, last = last, ""
    affiliations = tuple(_all(raw, names.get("affiliation", ())))
    expiry = _first(raw, names.get("expires_on", ()))
    staff_values = {v.lower() for v in _all(raw, names.get("staff", ()))}
    staff_affiliations = {v.lower() for v in getattr(settings, "ILLMS_IDENTITY_STAFF_AFFILIATIONS", ())}
    subject = _first(raw, names.get("subject", ()))
    staff_roles = roles_for([*_all(raw, names.get("staff", ())), *affiliations])
    blocked_names = names.get("blocked", ())
    blocked = None
    if blocked_names and any(_has(raw, name) for name in blocked_names):
        blocked = parse_yes_no(_first(raw, blocked_names), field="blocked")
    blocked_reason = _first(raw, names.get("blocked_reason", ()))[:200]
    if blocked is None and blocked_reason:
        blocked = True  # a reason without a yes/no column is a block
    return IdentityAttributes(
        door=door, subject=subject[:255], username=_first(raw, names.get("username", ()))[:150] or subject[:150],
        email=_first(raw, names.get("email", ()))[:254], first_name=first[:150], last_name=last[:150],
        department=_first(raw, names.get("department", ()))[:100], barcode=_first(raw, names.get("barcode", ()))[:32],
        institution_id=_first(raw, names.get("institution_id", ()))[:100],
        category=category_for(affiliations, categories), affiliations=affiliations,
        expires_on=parse_date(expiry) if expiry else None, library=_first(raw, names.get("library", ()))[:32],
        staff=bool(staff_values & _TRUE) or bool(staff_affiliations & {a.lower().split("@")[0] for a in affiliations})
        or bool(staff_roles), staff_roles=staff_roles,
        blocked=blocked, blocked_reason=blocked_reason if blocked else "",
        raw={k: _values(raw, k) for k in raw},
    )
