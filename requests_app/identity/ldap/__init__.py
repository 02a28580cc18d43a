"""The LDAP / Active Directory door (docs/authentication.md#ldap--active-directory): the user name and password
typed into our sign-in form are checked by a bind at the institution's directory, on ldap3 (pure Python).

Two ways to find the person's entry:

- **search, then bind**: the service account (``ILLMS_LDAP_BIND_DN``, or an anonymous search when it is empty)
  searches ``ILLMS_LDAP_USER_SEARCH_BASE`` with ``ILLMS_LDAP_USER_SEARCH_FILTER`` (``(uid=%(user)s)``), and the
  one entry found is bound with the password;
- **direct bind**: ``ILLMS_LDAP_USER_DN_TEMPLATE`` makes the bind name from the user name, a DN
  (``uid=%(user)s,ou=people,dc=uni,dc=example``) or, for Active Directory, a user principal name
  (``%(user)s@uni.example.edu``); the person's own connection then reads their entry.

The user name is refused before anything is sent when it holds a character of the filter syntax
(``* ( ) \\`` or NUL) or a control character, and is escaped for the filter (RFC 4515) or the DN (RFC 4514) all the
same. The entry's attributes go through the door's mapping (``ILLMS_LDAP_ATTRIBUTES``); its groups (a group search
under ``ILLMS_LDAP_GROUP_SEARCH_BASE``, else the entry's ``memberOf``) give a patron category
(``ILLMS_LDAP_GROUP_CATEGORIES``) and staff roles (``ILLMS_LDAP_STAFF_GROUPS``).

Every failure is :class:`DirectoryRefused`, whose message is for the person at the form; the technical cause
goes to the log.
"""

from __future__ import annotations

import logging
import re
import ssl
from dataclasses import dataclass, field

from django.conf import settings
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)
DOOR = "ldap"
#: Characters a campus user name never holds: the filter syntax's specials, and control characters.
_FORBIDDEN = re.compile(r"[*()\\\x00-\x1f\x7f]")
MAX_USERNAME_LENGTH = 256
#: Active Directory's reasons for refusing a bind with the right password (the "data NNN" of its message).
_AD_REASONS = {
    "530": "not_permitted", "531": "not_permitted", "532": "password_expired", "533": "disabled",
    "701": "expired", "773": "password_expired", "775": "locked",
}


class DirectoryRefused(Exception):
    """The directory did not sign this person in; ``message`` says why, in words for the person."""

    def __init__(self, message: str, *, code: str):
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass
class DirectoryPerson:
    """What the directory says of the person who signed in: their entry's attributes and their groups."""

    dn: str
    attributes: dict[str, list[str]]
    groups: list[str] = field(default_factory=list)  # the groups' DNs


def configured() -> bool:
    return bool(settings.ILLMS_LDAP_SERVER_URI and (settings.ILLMS_LDAP_USER_DN_TEMPLATE
                                                   or settings.ILLMS_LDAP_USER_SEARCH_BASE))


def check_username(username: str) -> str:
    """The user name as the directory gets it, or ``DirectoryRefused`` for one that cannot be a user name."""
    username = (username or "").strip()
    if not username:
        raise DirectoryRefused(_("Please type your campus user name."), code="no_username")
    if len(username) > MAX_USERNAME_LENGTH or _FORBIDDEN.search(username):
        message = _("A campus user name cannot contain *, (, ), \\ or control characters. Please type your user "
                    "name as you use it at your institution.")
        if "\\" in username:  # Windows' UNI\ada
            message += " " + _("Type it alone, without a domain and \\ before it.")
        raise DirectoryRefused(message, code="bad_username")
    return username


def user_filter(username: str) -> str:
    """``ILLMS_LDAP_USER_SEARCH_FILTER`` with the user name escaped as a filter value (RFC 4515)."""
    from ldap3.utils.conv import escape_filter_chars

    return settings.ILLMS_LDAP_USER_SEARCH_FILTER % {"user": escape_filter_chars(username)}


def bind_name(username: str) -> str:
    """``ILLMS_LDAP_USER_DN_TEMPLATE`` for ``username``: escaped as an RDN value when the template is a DN."""
    from ldap3.utils.dn import escape_rdn

    return settings.ILLMS_LDAP_USER_DN_TEMPLATE % {"user": escape_rdn(username) if template_is_dn() else username}


def template_is_dn() -> bool:
    """Whether ``ILLMS_LDAP_USER_DN_TEMPLATE`` is a DN (``uid=%(user)s,…``), not a UPN (``%(user)s@…``)."""
    return "=" in settings.ILLMS_LDAP_USER_DN_TEMPLATE.split("%(user)s", 1)[0]


def ad_reason(message: str) -> str:
    """The code for Active Directory's "data NNN" in a refused bind's message, or ``""``."""
    found = re.search(r"\bdata ([0-9a-f]{3})\b", message or "", re.IGNORECASE)
    return _AD_REASONS.get(found.group(1).lower(), "") if found else ""


def _whole_seconds() -> int:
    """ILLMS_LDAP_TIMEOUT for what takes whole seconds (ldap3's receive timeout, the server's search limit)."""
    return max(1, round(settings.ILLMS_LDAP_TIMEOUT))


def _servers():
    from ldap3 import FIRST, Server, ServerPool, Tls

    # The certificate and the host name are always checked: against ILLMS_LDAP_CA_FILE, else the system's CAs.
    tls = Tls(validate=ssl.CERT_REQUIRED, ca_certs_file=settings.ILLMS_LDAP_CA_FILE or None)
    uris = settings.ILLMS_LDAP_SERVER_URI.split()
    servers = [Server(uri, tls=tls, get_info="NO_INFO", connect_timeout=settings.ILLMS_LDAP_TIMEOUT) for uri in uris]
    if len(servers) == 1:
        return servers[0]
    return ServerPool(servers, FIRST, active=1, exhaust=False)


def _unreachable(exc: Exception) -> DirectoryRefused:
    text = str(exc)
    if "certificate" in text.lower() or "ssl" in text.lower() or "tls" in text.lower():
        logger.warning("The LDAP server's TLS was refused (%s): %s", settings.ILLMS_LDAP_SERVER_URI, text)
    else:
        logger.warning("The LDAP server %s did not answer: %s: %s", settings.ILLMS_LDAP_SERVER_URI,
                       type(exc).__name__, text)
    return DirectoryRefused(_("Your institution's directory cannot be reached just now, so your campus password "
                              "cannot be checked. Please try again in a few minutes; if it goes on, contact your "
                              "library."), code="unreachable")


def _connection(user: str | None = None, password: str | None = None):
    """An open, bound connection (StartTLS first when asked); raises ldap3's exceptions."""
    from ldap3 import Connection

    connection = Connection(_servers(), user=user or None, password=password or None, auto_bind="NONE",
                            receive_timeout=_whole_seconds(), auto_referrals=False,
                            raise_exceptions=False, read_only=True)
    connection.open()
    if settings.ILLMS_LDAP_START_TLS and not connection.server.ssl:
        connection.start_tls()
    return connection


def _service_connection():
    from ldap3.core.exceptions import LDAPException

    try:
        connection = _connection(settings.ILLMS_LDAP_BIND_DN, settings.ILLMS_LDAP_BIND_PASSWORD)
        bound = connection.bind()
    except LDAPException as exc:
        raise _unreachable(exc) from exc
    if not bound:
        logger.error("The LDAP service account %r was refused by the directory: %s",
                     settings.ILLMS_LDAP_BIND_DN or "(anonymous)", connection.result.get("description"))
        connection.unbind()
        raise DirectoryRefused(_("This site cannot use your institution's directory just now (its service "
                                 "account was refused). Please contact your library."), code="service_refused")
    return connection


def _wanted_attributes() -> list[str]:
    from ..mapping import attribute_names

    names = {name for names in attribute_names(DOOR).values() for name in names}
    return sorted(names | {"memberOf"})


def _entries(connection) -> list[dict]:
    return [entry for entry in connection.response or [] if entry.get("type") == "searchResEntry"]


def _decode(raw: dict) -> dict[str, list[str]]:
    return {name: [v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v) for v in values]
            for name, values in raw.items()}


def _refused_bind(connection) -> DirectoryRefused:
    message = connection.result.get("message", "")
    reason = ad_reason(message)
    logger.info("LDAP bind refused: %s %s", connection.result.get("description"), message)
    if reason in {"disabled", "expired"}:
        return _disabled()
    if reason == "password_expired":
        return DirectoryRefused(_("Your campus password has expired or must be changed. Please change it at your "
                                  "institution first, then sign in here."), code="password_expired")
    if reason == "locked":
        return DirectoryRefused(_("Your campus account is locked at your institution after too many wrong "
                                  "passwords. Please wait or contact your institution's IT help desk."),
                                code="locked")
    if reason == "not_permitted":
        return DirectoryRefused(_("Your institution does not allow your campus account to sign in from here or "
                                  "at this time. Please contact your institution's IT help desk."),
                                code="not_permitted")
    return _wrong_password()


def _wrong_password() -> DirectoryRefused:
    return DirectoryRefused(_("Your user name or password was not accepted. Please use your campus user name "
                              "and password (or your library account's)."), code="invalid_credentials")


def _disabled() -> DirectoryRefused:
    return DirectoryRefused(_("Your campus account is disabled at your institution, so it cannot sign in here. "
                              "Please contact your institution's IT help desk."), code="disabled")


def _find_entry(connection, base: str, search_filter: str, *, scope: str = "SUBTREE"):
    """The one entry ``search_filter`` finds, ``None`` for none; several are a refusal."""
    connection.search(base, search_filter, search_scope=scope, attributes=_wanted_attributes(),
                      size_limit=2, time_limit=_whole_seconds())
    found = _entries(connection)
    if connection.result.get("result") not in (0, 4, 32) and not found:  # 4: size limit; 32: no such object
        logger.warning("LDAP search under %r with %r failed: %s", base, search_filter, connection.result)
        raise DirectoryRefused(_("Your institution's directory could not look your account up just now. Please "
                                 "try again later, or contact your library."), code="search_failed")
    if len(found) > 1:
        logger.warning("LDAP search under %r with %r found several entries", base, search_filter)
        raise DirectoryRefused(_("Your user name matches more than one account in your institution's "
                                 "directory. Please contact your library."), code="ambiguous")
    return found[0] if found else None


def _is_disabled(connection, dn: str) -> bool:
    disabled = settings.ILLMS_LDAP_DISABLED_FILTER
    if not disabled:
        return False
    connection.search(dn, f"(&(objectClass=*){disabled})", search_scope="BASE", attributes=["1.1"])
    return bool(_entries(connection))


def _groups(connection, dn: str, username: str, entry_attributes: dict[str, list[str]]) -> list[str]:
    from ldap3.utils.conv import escape_filter_chars

    base = settings.ILLMS_LDAP_GROUP_SEARCH_BASE
    if not base:
        lowered = {k.lower(): v for k, v in entry_attributes.items()}
        return list(lowered.get("memberof", []))
    group_filter = settings.ILLMS_LDAP_GROUP_SEARCH_FILTER % {"dn": escape_filter_chars(dn),
                                                             "user": escape_filter_chars(username)}
    connection.search(base, group_filter, attributes=["1.1"], time_limit=_whole_seconds())
    return [entry["dn"] for entry in _entries(connection)]


def authenticate(username: str, password: str) -> DirectoryPerson:
    """Check ``password`` for ``username`` at the directory and read the person; raises ``DirectoryRefused``."""
    from ldap3.core.exceptions import LDAPException

    username = check_username(username)
    if not password:
        raise DirectoryRefused(_("Please type your campus password."), code="no_password")
    if not configured():
        raise DirectoryRefused(_("Signing in with your campus user name is not set up on this site yet. Please "
                                 "contact your library."), code="not_configured")
    try:
        if settings.ILLMS_LDAP_USER_DN_TEMPLATE:
            return _direct_bind(username, password)
        return _search_then_bind(username, password)
    except LDAPException as exc:
        raise _unreachable(exc) from exc


def _search_then_bind(username: str, password: str) -> DirectoryPerson:
    service = _service_connection()
    try:
        entry = _find_entry(service, settings.ILLMS_LDAP_USER_SEARCH_BASE, user_filter(username))
        if entry is None:
            logger.info("LDAP: no entry for %r under %s", username, settings.ILLMS_LDAP_USER_SEARCH_BASE)
            raise _wrong_password()
        dn = entry["dn"]
        person = _connection(dn, password)
        try:
            if not person.bind():
                raise _refused_bind(person)
        finally:
            person.unbind()
        return _read_person(service, dn, username, _decode(entry["raw_attributes"]))
    finally:
        service.unbind()


def _direct_bind(username: str, password: str) -> DirectoryPerson:
    name = bind_name(username)
    person = _connection(name, password)
    try:
        if not person.bind():
            raise _refused_bind(person)
        if template_is_dn():
            entry = _find_entry(person, name, "(objectClass=*)", scope="BASE")
        elif settings.ILLMS_LDAP_USER_SEARCH_BASE:
            entry = _find_entry(person, settings.ILLMS_LDAP_USER_SEARCH_BASE, user_filter(username))
        else:
            entry = None
        if entry is None:
            logger.warning("LDAP: %r bound but its entry cannot be read (set ILLMS_LDAP_USER_SEARCH_BASE)", name)
            raise DirectoryRefused(_("Your institution's directory accepted your password but does not let this "
                                     "site read your account. Please contact your library."), code="unreadable")
        return _read_person(person, entry["dn"], username, _decode(entry["raw_attributes"]))
    finally:
        person.unbind()


def _read_person(connection, dn: str, username: str, attributes: dict[str, list[str]]) -> DirectoryPerson:
    if _is_disabled(connection, dn):
        logger.info("LDAP: %s matches ILLMS_LDAP_DISABLED_FILTER", dn)
        raise _disabled()
    return DirectoryPerson(dn=dn, attributes=attributes, groups=_groups(connection, dn, username, attributes))


def check_service_account() -> str:
    """The settings page's live check: bind the service account (or anonymously) and read the user search base.

    Returns what was confirmed, in words for the ILL administrator; raises ``DirectoryRefused`` whose message
    names the technical reason (for the administrator, not a patron).
    """
    from ldap3.core.exceptions import LDAPException

    uri, who = settings.ILLMS_LDAP_SERVER_URI, settings.ILLMS_LDAP_BIND_DN or _("an anonymous bind")
    base = settings.ILLMS_LDAP_USER_SEARCH_BASE
    try:
        connection = _connection(settings.ILLMS_LDAP_BIND_DN, settings.ILLMS_LDAP_BIND_PASSWORD)
    except LDAPException as exc:
        raise DirectoryRefused(_("The directory did not answer at %(uri)s: %(error)s")
                               % {"uri": uri, "error": f"{type(exc).__name__}: {exc}"}, code="unreachable") from exc
    try:
        if not connection.bind():
            raise DirectoryRefused(_("The directory at %(uri)s refused %(who)s: %(why)s")
                                   % {"uri": uri, "who": who, "why": connection.result.get("description", "")},
                                   code="service_refused")
        if not base:
            return _("The directory at %(uri)s accepted %(who)s.") % {"uri": uri, "who": who}
        connection.search(base, "(objectClass=*)", search_scope="BASE", attributes=["1.1"],
                          time_limit=_whole_seconds())
        if not _entries(connection):
            raise DirectoryRefused(_("%(who)s cannot read the user search base %(base)s: %(why)s")
                                   % {"who": who, "base": base, "why": connection.result.get("description", "")},
                                   code="no_base")
    except LDAPException as exc:
        raise DirectoryRefused(_("The directory at %(uri)s stopped answering: %(error)s")
                               % {"uri": uri, "error": f"{type(exc).__name__}: {exc}"}, code="unreachable") from exc
    finally:
        connection.unbind()
    return _("The directory at %(uri)s accepted %(who)s and shows the user search base %(base)s.") % {
        "uri": uri, "who": who, "base": base}
