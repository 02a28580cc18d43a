"""Who a partner is, and how it proves it: the one authentication of every partner door.

``POST /iso18626``, ``POST /api/v1/messages/`` and the REST API (its DRF authentication class)
all call :func:`authenticate_partner`, so the doors cannot drift apart. A partner proves who
it is with one of its API keys:

- ``Authorization: Bearer <key>`` or ``Authorization: Api-Key <key>``;
- HTTP Basic, for ISO 18626 peers that can do nothing else: user = the partner's symbol in
  our directory, password = one of its API keys.

Its IP allow-list, when it has one, is checked besides. A credential is bound to its library:
on the protocol doors the library the message names as its sender must be the credential's.
Without a credential a partner is accepted only where an administrator opened it, with a
reason (:func:`open_without_credential`), which is recorded.

Every refusal is logged (partner, address, reason; never the key), counted on the partner
(:func:`count_refusal`) and counted against the address: an address that keeps failing is
answered 429 (``throttling``).
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ..models import Library, OutgoingAuthScheme, PartnerApiKey, PolicyChange
from . import credentials, throttling
from .keys import ApiKeyRejected, check_api_key, record_use

logger = logging.getLogger(__name__)

#: Schemes of the Authorization header a partner may use; compared case-insensitively.
KEY_SCHEMES = frozenset({"bearer", "api-key"})
BASIC = "basic"
OPEN = "open"

HOW_TO = _("Send one of the partner's API keys as “Authorization: Bearer <key>”, or HTTP Basic with the "
           "partner's symbol as user name and the key as password.")


@dataclass(frozen=True)
class PartnerCaller:
    """A partner that proved who it is (``key`` is ``None`` for one opened without credential)."""

    library: Library
    key: PartnerApiKey | None
    method: str


class PartnerRefused(Exception):
    """The caller is not accepted as a partner. ``note`` is for the caller, ``reason`` for our log.

    ``code``: ``unknown_sender`` (the message names no active library of ours), ``no_credential``,
    ``bad_credential`` (unreadable, unknown, wrong, revoked or expired), ``wrong_library`` (a good
    credential of another library than the sender named), ``address`` (not on the allow-list).
    """

    UNAUTHENTICATED = frozenset({"no_credential", "bad_credential"})

    def __init__(self, code: str, note: str, reason: str, *, partner: Library | None) -> None:
        super().__init__(reason)
        self.code, self.note, self.reason, self.partner = code, note, reason, partner

    @property
    def unauthenticated(self) -> bool:
        """No usable credential (HTTP 401 where a door tells it apart from 403)."""
        return self.code in self.UNAUTHENTICATED


@dataclass(frozen=True)
class Credential:
    scheme: str  # "bearer", "api-key" or "basic"
    secret: str
    username: str = ""


def read_authorization(header: str) -> Credential | None:
    """The credential in an ``Authorization`` header, ``None`` when there is none.

    Raises ``PartnerRefused`` for a header that is there but is no credential we read.
    """
    header = (header or "").strip()
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    scheme, value = scheme.lower(), value.strip()
    not_readable = gettext("The Authorization header is not readable.")
    unreadable = PartnerRefused("bad_credential", f"{not_readable} {HOW_TO}",
                                f"unreadable {scheme[:20]} header", partner=None)
    if scheme in KEY_SCHEMES:
        if not value or " " in value:
            raise unreadable
        return Credential(scheme, value)
    if scheme == BASIC:
        try:
            decoded = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            raise unreadable from None
        username, colon, password = decoded.partition(":")
        if not colon or not username or not password:
            raise unreadable
        return Credential(BASIC, password, username)
    not_accepted = gettext("The Authorization scheme “%(scheme)s” is not accepted.") % {"scheme": scheme[:20]}
    raise PartnerRefused("bad_credential", f"{not_accepted} {HOW_TO}",
                         f"unknown Authorization scheme {scheme[:20]!r}", partner=None)


def address_allowed(library: Library, address: str) -> bool:
    """Whether ``address`` is on ``library``'s IP allow-list (any address when the list is empty)."""
    networks = library.ip_allowlist.split()
    if not networks:
        return True
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    for network in networks:
        try:
            if ip in ipaddress.ip_network(network, strict=False):
                return True
        except ValueError:
            logger.warning("bad IP allow-list entry %r for %s", network, library.symbol)
    return False


def client_address(meta: dict) -> str:
    """The caller's address: ``REMOTE_ADDR``, or behind ``ILLMS_TRUSTED_PROXY_COUNT`` reverse proxies the address
    the outermost of them saw (the last of ``X-Forwarded-For`` each appends to, counted from the right), as the
    sign-in lockout reads it."""
    proxies = int(getattr(settings, "ILLMS_TRUSTED_PROXY_COUNT", 0) or 0)
    if proxies > 0:
        forwarded = [part.strip() for part in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= proxies:
            return forwarded[-proxies][:64]
    return meta.get("REMOTE_ADDR", "")


def authenticate_partner(*, authorization: str, address: str, sender: Library | None = None,
                         sender_named: bool = False, door: str, defer_use: bool = False) -> PartnerCaller:
    """The partner behind a call with ``authorization`` (the header) from ``address``.

    ``sender_named``: the call is a protocol message naming its sender, ``sender`` (``None`` when the
    named agency is no active library of ours); the credential must be that library's, and a sender
    opened without credential needs none. Otherwise (the REST API) the credential alone says who calls.

    The key's last use is written now, or with ``defer_use`` left to the caller (``keys.check_api_key``).

    Raises ``PartnerRefused`` (counted, logged) or ``throttling.Throttled`` (refused, and the address has
    failed too often lately). Changes nothing else. A good credential is never held back by the failures
    of others at its address (behind a proxy every caller may share one).
    """
    try:
        caller = _authenticate(authorization, address, sender, sender_named, defer_use)
    except PartnerRefused as refused:
        refuse(refused, address=address, door=door)
        raise
    return caller


def refuse(refused: PartnerRefused, *, address: str, door: str) -> None:
    """Log and count a refusal, and count it against ``address`` (raising ``Throttled`` when over the rate)."""
    who = refused.partner.symbol if refused.partner is not None else "(unknown)"
    logger.warning("partner call refused on %s: partner=%s address=%s reason=%s", door, who, address or "-",
                   refused.reason)
    if refused.partner is not None:
        count_refusal(refused.partner, refused.reason)
    throttling.hit("unauthenticated", address or "-")


def _authenticate(authorization: str, address: str, sender: Library | None, sender_named: bool,
                  defer_use: bool = False) -> PartnerCaller:
    if sender_named and sender is None:
        raise PartnerRefused("unknown_sender", gettext("The sending agency is not a known, active partner."),
                             "unknown sending agency", partner=None)
    try:
        credential = read_authorization(authorization)
    except PartnerRefused as refused:
        refused.partner = sender
        raise
    if credential is None:
        if sender is not None and sender.open_without_credential:
            _check_address(sender, address)
            return PartnerCaller(library=sender, key=None, method=OPEN)
        must = gettext("This partner must authenticate.")
        raise PartnerRefused("no_credential", f"{must} {HOW_TO}", "no credential",
                             partner=sender)
    try:
        key = check_api_key(credential.secret, defer_use=defer_use)
    except ApiKeyRejected as rejected:
        raise PartnerRefused("bad_credential",
                             gettext("The credential is not accepted: unknown, revoked or expired key, or a wrong "
                                     "password."),
                             rejected.reason, partner=sender or rejected.library) from None
    try:
        return _bound(key, credential, address, sender, sender_named)
    except PartnerRefused:
        if defer_use:  # a good key, refused here: nobody stores a message to record its use with
            record_use(key)
        raise


def _bound(key: PartnerApiKey, credential: Credential, address: str, sender: Library | None,
           sender_named: bool) -> PartnerCaller:
    """``key``'s caller, when the credential names its library, the message's sender is it and the address is
    allowed."""
    library = key.library
    if credential.scheme == BASIC and credential.username.upper() != library.symbol.upper():
        raise PartnerRefused("bad_credential",
                             gettext("The credential is not accepted: the user name is not the key's library."),
                             f"Basic user {credential.username[:40]!r} with a key of {library.symbol}",
                             partner=sender or library)
    if sender_named and sender.pk != library.pk:
        raise PartnerRefused("wrong_library", gettext("The credential is not one of the sending library's."),
                             f"key {key.prefix}… of {library.symbol} for a message naming {sender.symbol}",
                             partner=sender)
    _check_address(library, address)
    return PartnerCaller(library=library, key=key, method=credential.scheme)


def _check_address(library: Library, address: str) -> None:
    if not address_allowed(library, address):
        raise PartnerRefused("address", gettext("Messages from this address are not accepted for this partner."),
                             f"address {address or '-'} not on the IP allow-list", partner=library)


def throttle(caller: PartnerCaller) -> None:
    """Count one call of an authenticated partner; raise ``throttling.Throttled`` when over a rate."""
    hits = [("partner", str(caller.library.pk))]
    if caller.key is not None:
        hits.insert(0, ("api_key", str(caller.key.pk)))
    throttling.hit_all(*hits)


def count_refusal(library: Library, reason: str) -> None:
    """One more refused call for ``library``, when and why (an UPDATE with F(): no lost count)."""
    Library.objects.filter(pk=library.pk).update(refused_messages=F("refused_messages") + 1,
                                                 last_refused_at=timezone.now(), last_refused_reason=reason[:200])


# What administrators decide -------------------------------------------------------------------

AUDIT_AREA = "partner credentials"


def open_without_credential(*, library: Library, actor, reason: str) -> Library:
    """Accept ``library``'s protocol messages without a credential, because of ``reason`` (required).

    Records who, when and why on the library and as a ``PolicyChange``. Raises ``ValueError``
    without a reason.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ValueError("Say why this partner may send messages without a credential.")
    with transaction.atomic():
        locked = Library.objects.select_for_update().get(pk=library.pk)
        before = [locked.open_without_credential, locked.opened_without_credential_reason]
        now = timezone.now()
        fields = {"open_without_credential": True, "opened_without_credential_at": now,
                  "opened_without_credential_by": actor if getattr(actor, "pk", None) else None,
                  "opened_without_credential_reason": reason}
        Library.objects.filter(pk=library.pk).update(**fields)
        PolicyChange.objects.create(library=library, area=AUDIT_AREA, changed_by=fields["opened_without_credential_by"],
                                    changed_at=now, changes={"accepts messages without a credential": [before[0], True],
                                                             "reason": [before[1], reason]})
    for name, value in fields.items():
        setattr(library, name, value)
    return library


def require_credential(*, library: Library, actor) -> Library:
    """Refuse ``library``'s messages without a credential again (the default); recorded like the opening."""
    with transaction.atomic():
        locked = Library.objects.select_for_update().get(pk=library.pk)
        if not locked.open_without_credential:
            return library
        Library.objects.filter(pk=library.pk).update(open_without_credential=False)
        PolicyChange.objects.create(library=library, area=AUDIT_AREA, changed_by=actor if getattr(actor, "pk", None)
                                    else None, changes={"accepts messages without a credential": [True, False]})
    library.open_without_credential = False
    return library


def set_outgoing_credential(*, library: Library, actor, secret: str | None = None, clear: bool = False) -> Library:
    """Store (encrypted) the key or password we send to ``library``, or clear it; recorded, never the secret."""
    if not clear and not secret:
        return library
    token = "" if clear else credentials.encrypt(secret)
    with transaction.atomic():
        locked = Library.objects.select_for_update().only("pk", "outgoing_secret").get(pk=library.pk)
        before = "set" if locked.outgoing_secret else "not set"
        Library.objects.filter(pk=library.pk).update(outgoing_secret=token)
        PolicyChange.objects.create(library=library, area=AUDIT_AREA,
                                    changed_by=actor if getattr(actor, "pk", None) else None,
                                    changes={"our credential at the partner": [before, "cleared" if clear
                                                                              else "replaced"]})
    library.outgoing_secret = token
    return library


def outgoing_authorization(library: Library) -> dict[str, str]:
    """The ``Authorization`` header we send to ``library`` (none without a stored secret).

    Raises ``credentials.CredentialError`` when the stored secret cannot be decrypted.
    """
    secret = credentials.decrypt(library.outgoing_secret)
    if not secret:
        return {}
    if library.outgoing_auth_scheme == OutgoingAuthScheme.BASIC:
        pair = f"{library.outgoing_username}:{secret}".encode()
        return {"Authorization": "Basic " + base64.b64encode(pair).decode("ascii")}
    if library.outgoing_auth_scheme == OutgoingAuthScheme.API_KEY:
        return {"Authorization": f"Api-Key {secret}"}
    return {"Authorization": f"Bearer {secret}"}
