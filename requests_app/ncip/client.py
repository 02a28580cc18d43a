"""The NCIP client: one ILS endpoint, its profile, and the calls ILL makes. No Django.

Every message is validated against the schema before it is sent (an invalid one is our bug:
``InvalidMessage``, never sent), every response is validated before it is read (an invalid one is
``NcipUnavailable``, tried again later), and Problem elements come back as the typed errors of
:mod:`.errors`. A service the profile says the ILS does not offer raises ``UnsupportedService``
without a network call.
"""

from __future__ import annotations

import base64
import datetime as dt
import http.client
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from . import codec
from .codec import Header, Id, ItemRecord, Response
from .errors import (
    InvalidMessage,
    NcipConfigurationError,
    NcipProblem,
    NcipUnavailable,
    Problem,
    UnsupportedService,
    problem_class,
)
from .profiles import AuthScheme, Profile, Service


@dataclass(frozen=True)
class Endpoint:
    """Where and how to reach one library's ILS."""

    url: str
    from_agency: str
    to_agency: str
    auth: str = AuthScheme.NONE
    username: str = ""
    secret: str = ""
    timeout: float = 20.0


@dataclass(frozen=True)
class Exchange:
    """One call as it went: what we sent and what came back (for the request's page)."""

    service: str
    sent: bytes
    received: bytes = b""


class NcipClient:
    def __init__(self, endpoint: Endpoint, profile: Profile, *, schema_dir: Path | str,
                 max_bytes: int = codec.MAX_MESSAGE_BYTES,
                 on_exchange: Callable[[Exchange], None] | None = None) -> None:
        self.endpoint = endpoint
        self.profile = profile
        self.schema_dir = Path(schema_dir)
        self.max_bytes = max_bytes
        self.on_exchange = on_exchange

    # ---- plumbing -------------------------------------------------------------------

    @property
    def header(self) -> Header:
        secret = self.endpoint.secret if self.endpoint.auth == AuthScheme.FROM_AGENCY else ""
        return Header(from_agency=self.endpoint.from_agency, to_agency=self.endpoint.to_agency,
                      from_agency_authentication=secret)

    def _url_and_headers(self) -> tuple[str, dict[str, str]]:
        headers = {"Content-Type": "application/xml; charset=utf-8", "Accept": "application/xml",
                   "User-Agent": "ILLMS NCIP"}
        url = self.endpoint.url
        if self.endpoint.auth == AuthScheme.BASIC:
            pair = f"{self.endpoint.username}:{self.endpoint.secret}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
        elif self.endpoint.auth == AuthScheme.BEARER:
            headers["Authorization"] = f"Bearer {self.endpoint.secret}"
        elif self.endpoint.auth == AuthScheme.API_KEY_QUERY:
            separator = "&" if urllib.parse.urlsplit(url).query else "?"
            url = f"{url}{separator}{urllib.parse.urlencode({'apikey': self.endpoint.secret})}"
        return url, headers

    def _check_schema(self) -> None:
        if not codec.schema_path(self.schema_dir).is_file():
            raise NcipConfigurationError(
                f"The NCIP 2.02 schema is not installed: expected {codec.schema_path(self.schema_dir)} "
                "(ILLMS_NCIP_SCHEMA_DIR). Messages are only sent once they can be checked against it.")

    def post(self, service: str, message: bytes) -> bytes:
        """Send ``message``; the raw answer. Raises ``NcipUnavailable`` for anything but an HTTP 200 in time."""
        url, headers = self._url_and_headers()
        request = urllib.request.Request(url, data=message, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.endpoint.timeout) as answer:  # noqa: S310 - configured ILS
                body = answer.read(self.max_bytes + 1)
        except urllib.error.HTTPError as exc:
            raise NcipUnavailable(f"the ILS answered HTTP {exc.code} to {service}") from None
        except TimeoutError:
            raise NcipUnavailable(f"the ILS did not answer {service} within {self.endpoint.timeout:g} s") from None
        except urllib.error.URLError as exc:
            reason = exc.reason
            if isinstance(reason, TimeoutError):
                raise NcipUnavailable(
                    f"the ILS did not answer {service} within {self.endpoint.timeout:g} s") from None
            raise NcipUnavailable(f"the ILS cannot be reached: {reason}") from None
        except (ConnectionError, http.client.HTTPException, OSError) as exc:
            raise NcipUnavailable(f"the ILS cannot be reached: {exc}") from None
        if len(body) > self.max_bytes:
            raise NcipUnavailable(f"the ILS's answer to {service} is longer than {self.max_bytes} bytes")
        return body

    def call(self, service: str, message: bytes) -> Response:
        """Validate, send, validate the answer, read it (raising its Problems)."""
        if not self.profile.offers(service):
            raise UnsupportedService([Problem(type="Unsupported Service",
                                              detail=f"{self.profile.label} does not offer {service}")],
                                     service=service)
        self._check_schema()
        problems = codec.validate(message, self.schema_dir)
        if problems:
            raise InvalidMessage(f"our {service} message is not valid NCIP 2.02: {'; '.join(problems[:3])}")
        answer = b""
        try:
            answer = self.post(service, message)
            problems = codec.validate(answer, self.schema_dir, max_bytes=self.max_bytes)
            if problems:
                raise NcipUnavailable(
                    f"the ILS's answer to {service} is not valid NCIP 2.02: {'; '.join(problems[:3])}")
            return codec.read_response(answer, service, max_bytes=self.max_bytes)
        finally:
            if self.on_exchange is not None:
                self.on_exchange(Exchange(service=service, sent=message, received=answer))

    # ---- identifiers ----------------------------------------------------------------

    def user(self, value: str) -> Id:
        return Id(value=value, scheme=self.profile.user_id_type)

    def item(self, barcode: str) -> Id:
        agency = self.endpoint.to_agency if self.profile.sends_agency_in_item_id else ""
        return Id(value=barcode, scheme=self.profile.item_id_type, agency=agency)

    def request_id(self, value: str) -> Id:
        return Id(value=value, agency=self.endpoint.from_agency)

    # ---- services -------------------------------------------------------------------

    def lookup_user(self, user_id: str) -> Response:
        return self.call(Service.LOOKUP_USER, codec.lookup_user(self.header, user=self.user(user_id)))

    def accept_item(self, *, request_id: str, barcode: str, user_id: str, title: str, author: str = "",
                    due_date: dt.date | None = None, pickup_location: str = "") -> Response:
        date_for_return = due_date if self.profile.due_date_in_accept_item() else None
        user = self.user(user_id) if self.profile.sends_user_in_accept_item else None
        return self.call(Service.ACCEPT_ITEM, codec.accept_item(
            self.header, request=self.request_id(request_id), item=self.item(barcode), user=user, title=title,
            author=author, date_for_return=date_for_return, pickup_location=pickup_location))

    def check_out_item(self, *, user_id: str, barcode: str, due_date: dt.date | None = None,
                       request_id: str = "") -> Response:
        desired = due_date if self.profile.due_date_in_check_out() else None
        return self.call(Service.CHECK_OUT_ITEM, codec.check_out_item(
            self.header, user=self.user(user_id), item=self.item(barcode),
            request=self.request_id(request_id) if request_id else None, desired_date_due=desired))

    def check_in_item(self, *, barcode: str) -> Response:
        return self.call(Service.CHECK_IN_ITEM, codec.check_in_item(self.header, item=self.item(barcode)))

    def renew_item(self, *, user_id: str, barcode: str, due_date: dt.date | None = None) -> Response:
        desired = due_date if self.profile.due_date_in_check_out() else None
        return self.call(Service.RENEW_ITEM, codec.renew_item(
            self.header, user=self.user(user_id), item=self.item(barcode), desired_date_due=desired))

    def delete_item(self, *, barcode: str) -> Response:
        return self.call(Service.DELETE_ITEM, codec.delete_item(self.header, item=self.item(barcode)))

    def lookup_item(self, *, barcode: str, current_borrower: bool = False) -> Response:
        return self.call(Service.LOOKUP_ITEM, codec.lookup_item(self.header, item=self.item(barcode),
                                                                current_borrower=current_borrower))

    def lookup_item_set(self, *, barcodes: list[str], current_borrower: bool = False) -> Response:
        return self.call(Service.LOOKUP_ITEM_SET, codec.lookup_item_set(
            self.header, items=[self.item(barcode) for barcode in barcodes], current_borrower=current_borrower))

    def lookup_items(self, barcodes: list[str], *, current_borrower: bool = False,
                     chunk: int = 50) -> dict[str, ItemRecord | NcipProblem]:
        """What the ILS says of each of ``barcodes``: its record, or the problem the ILS gave for that item.

        With ``LookupItemSet`` (where the profile offers it) in messages of ``chunk`` items; without it, or when
        the ILS answers that it does not offer it after all, one ``LookupItem`` per item. Raises
        ``NcipUnavailable`` when the ILS does not answer (nothing is known then).
        """
        wanted = list(dict.fromkeys(barcode for barcode in barcodes if barcode))
        found: dict[str, ItemRecord | NcipProblem] = {}
        if self.profile.offers(Service.LOOKUP_ITEM_SET):
            try:
                for start in range(0, len(wanted), chunk):
                    part = wanted[start:start + chunk]
                    answer = self.lookup_item_set(barcodes=part, current_borrower=current_borrower)
                    by_id = {record.item_id: record for record in answer.items if record.item_id}
                    for barcode in part:
                        record = by_id.get(barcode) or ItemRecord(item_id=barcode, problem_type="Unknown Item",
                                                                   problem=f"{barcode} is not in the ILS's answer")
                        found[barcode] = problem_class(record.problem_type)(
                            [Problem(type=record.problem_type, detail=record.problem)],
                            service=Service.LOOKUP_ITEM_SET) if record.problem else record
                return found
            except UnsupportedService:
                found = {}  # the ILS does not offer it after all: item by item
        for barcode in wanted:
            try:
                answer = self.lookup_item(barcode=barcode, current_borrower=current_borrower)
            except UnsupportedService:
                raise
            except NcipProblem as exc:
                found[barcode] = exc
                continue
            found[barcode] = answer.item or ItemRecord(item_id=barcode)
        return found

    def recall_item(self, *, barcode: str, due_date: dt.date) -> Response:
        return self.call(Service.RECALL_ITEM, codec.recall_item(self.header, item=self.item(barcode),
                                                                desired_date_due=due_date))

    def request_item(self, *, user_id: str, request_id: str, barcode: str = "", isbn: str = "",
                     pickup_location: str = "", need_before: dt.date | None = None) -> Response:
        return self.call(Service.REQUEST_ITEM, codec.request_item(
            self.header, user=self.user(user_id), request=self.request_id(request_id),
            item=self.item(barcode) if barcode else None, isbn=isbn, scope=self.profile.request_scope,
            pickup_location=pickup_location, need_before=need_before))

    def cancel_request_item(self, *, user_id: str, request_id: str, barcode: str = "") -> Response:
        return self.call(Service.CANCEL_REQUEST_ITEM, codec.cancel_request_item(
            self.header, user=self.user(user_id), request=self.request_id(request_id),
            item=self.item(barcode) if barcode else None))
