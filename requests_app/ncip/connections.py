"""A member library's NCIP connection: reading it, saving it from the Policies page, and the client it makes."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext

from ..models import Library, NcipConnection
from ..policies import record_change
from ..utilities import credentials
from .client import Endpoint, NcipClient

#: Fields of the form that are recorded in the policy history as they are (the secret only as set/cleared).
RECORDED_FIELDS = ("enabled", "ils", "endpoint", "our_agency_id", "ils_agency_id", "auth_scheme", "username",
                   "timeout_seconds", "lookup_timeout_seconds", "check_patrons", "borrowing", "ils_checks_out",
                   "lending", "lending_patron_id", "lending_pickup_code", "pickup_codes")


def connection_for(library: Library) -> NcipConnection | None:
    """The library's connection when it is switched on and complete, else ``None`` (one query)."""
    connection = NcipConnection.objects.filter(library=library).first()
    return connection if connection is not None and connection.ready else None


def save_connection(*, library: Library, values: dict, actor, secret: str = "",
                    clear_secret: bool = False) -> NcipConnection:
    """Save the form's ``values`` (validated by it) on ``library``'s connection and record the change.

    ``secret``, when given, replaces the stored one (encrypted); ``clear_secret`` removes it.
    """
    with transaction.atomic():
        connection, _ = NcipConnection.objects.select_for_update().get_or_create(library=library)
        changes = {}
        for name in RECORDED_FIELDS:
            if name not in values:
                continue
            old, new = getattr(connection, name), values[name]
            if old != new:
                changes[name] = [old, new]
            setattr(connection, name, new)
        if secret:
            connection.secret = credentials.encrypt(secret)
            changes["secret"] = ["…", "replaced"]
        elif clear_secret and connection.secret:
            connection.secret = ""
            changes["secret"] = ["…", "cleared"]
        connection.updated_by = actor if getattr(actor, "pk", None) else None
        connection.full_clean()
        connection.save()
        record_change(library=library, area="ncip", changes=changes, actor=actor)
    return connection


def client_for(connection: NcipConnection, *, timeout: float | None = None, on_exchange=None) -> NcipClient:
    """The client of ``connection`` (its secret decrypted; ``CredentialError`` when no key reads it)."""
    endpoint = Endpoint(url=connection.endpoint, from_agency=connection.our_agency_id,
                        to_agency=connection.ils_agency_id, auth=connection.auth_scheme,
                        username=connection.username, secret=credentials.decrypt(connection.secret),
                        timeout=float(timeout if timeout is not None else connection.timeout_seconds))
    return NcipClient(endpoint, connection.profile, schema_dir=settings.ILLMS_NCIP_SCHEMA_DIR,
                      max_bytes=settings.ILLMS_NCIP_MAX_BODY_BYTES, on_exchange=on_exchange)


def probe(connection: NcipConnection, *, user_id: str) -> dict:
    """Ask the ILS about ``user_id`` now (LookupUser, the patron check's time limit), for the Policies page:
    ``{"ok": bool, "words": str}``; never raises."""
    from .errors import NcipError

    if not connection.pk or not connection.ready:
        return {"ok": False, "words": gettext("Switch NCIP on and save the address and both agency ids first.")}
    ils = gettext(connection.profile.label)
    try:
        answer = client_for(connection, timeout=connection.lookup_timeout_seconds).lookup_user(user_id)
    except credentials.CredentialError as exc:
        return {"ok": False, "words": str(exc)}
    except NcipError as exc:
        return {"ok": False, "words": gettext("%(ils)s answered: %(error)s") % {"ils": ils, "error": exc}}
    user = answer.user
    details = [part for part in (
        user.name, user.category and gettext("category %(category)s") % {"category": user.category},
        user.block_reason() and gettext("blocked: %(reason)s") % {"reason": user.block_reason()},
    ) if part] if user else []
    known = answer.user_id or user_id
    if details:
        words = gettext("%(ils)s knows %(user)s (%(details)s).") % {"ils": ils, "user": known,
                                                                   "details": ", ".join(details)}
    else:
        words = gettext("%(ils)s knows %(user)s.") % {"ils": ils, "user": known}
    return {"ok": True, "words": words}
