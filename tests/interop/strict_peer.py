"""A partner ILL system that speaks one ISO 18626 version strictly, over real HTTP on a loopback port.

Like a ReShare that validates against the 1.2 schema it ships: every document it receives (a
message, or the confirmation answering one it sent) is validated against the schema of *its*
version, whatever the document's label says, and a label of another version is refused too.
An invalid message is answered with an ERROR confirmation (``BadlyFormedMessage``, the problems
as errorValue) and recorded in ``refused``; a valid one is decoded into ``received`` and answered
OK. It sends only messages valid in its version (it checks each before sending).
"""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from datetime import UTC, datetime
from http.server import ThreadingHTTPServer
from pathlib import Path

from requests_app.iso18626 import messages as m
from requests_app.iso18626 import xml
from requests_app.iso18626.confirmations import confirmation_for, error_confirmation
from requests_app.iso18626.errors import ProtocolError

from .stub_partner import QuietHandler

SCHEMA_OF = {xml.VERSION_1_2: xml.SCHEMA_FILENAME_1_2, xml.VERSION_2021_2: xml.SCHEMA_FILENAME}


class StrictPeer:
    def __init__(self, version: str, schema_dir: Path, *, agency: m.AgencyId) -> None:
        self.version, self.schema_dir, self.agency = version, schema_dir, agency
        self.endpoint = ""  # ours, where it sends
        self.key = ""  # the key we issued to it
        self.received: list[m.Message] = []
        self.refused: list[list[str]] = []
        self.lock = threading.Lock()
        peer = self

        class Handler(QuietHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                self.answer_xml(peer.receive(body))

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/iso18626"

    def __enter__(self) -> StrictPeer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    # What it checks -----------------------------------------------------------------------

    def problems(self, data: bytes) -> list[str]:
        """Why a document is not valid in this peer's version (nothing: it is)."""
        found = xml.validate(data, self.schema_dir, schema_file=SCHEMA_OF[self.version])
        try:
            label = xml.decode_envelope(data).version
        except ProtocolError as exc:
            return found or [exc.message]
        if xml.form_of(label) != self.version:
            found.append(f"ill:version {label!r} is not {self.version}")
        return found

    def receive(self, body: bytes) -> bytes:
        received = datetime.now(UTC)
        problems = self.problems(body)
        try:
            message = xml.decode(body)
        except ProtocolError as exc:
            with self.lock:
                self.refused.append(problems or [exc.message])
            return xml.encode(error_confirmation(exc, timestamp_received=received), version=self.version)
        if problems:
            with self.lock:
                self.refused.append(problems)
            error = m.ErrorData(error_type=m.ErrorType.BADLY_FORMED_MESSAGE, error_value="; ".join(problems)[:900])
            return xml.encode(confirmation_for(message, errors=[error], timestamp_received=received),
                              version=self.version)
        with self.lock:
            self.received.append(message)
        return xml.encode(confirmation_for(message, timestamp_received=received), version=self.version)

    # What it sends -------------------------------------------------------------------------

    def send(self, message: m.IncomingMessage) -> m.Confirmation:
        """POST ``message`` to our endpoint in this peer's version; the confirmation, checked like anything received."""
        body = xml.encode(message, version=self.version)
        assert self.problems(body) == [], "a strict peer sends only what its schema accepts"
        request = urllib.request.Request(self.endpoint, data=body, method="POST", headers={
            "Content-Type": "application/xml", "Authorization": f"Bearer {self.key}"})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                answer = response.read()
        except urllib.error.HTTPError as exc:
            answer = exc.read()
        problems = self.problems(answer)
        if problems:
            with self.lock:
                self.refused.append(problems)
        assert problems == [], f"our confirmation is not valid {self.version}: {problems}"
        return xml.decode(answer)

    def last(self, kind: type) -> m.Message:
        """The last message of ``kind`` it received."""
        with self.lock:
            return next(message for message in reversed(self.received) if isinstance(message, kind))

    def actions(self) -> list[m.Action]:
        with self.lock:
            return [message.action for message in self.received if isinstance(message, m.RequestingAgencyMessage)]

    def statuses(self) -> list[m.Status]:
        with self.lock:
            return [message.status_info.status for message in self.received
                    if isinstance(message, m.SupplyingAgencyMessage)]

    # Messages it writes, as a lender and as a borrower -------------------------------------

    def answer(self, request: m.Request, status: m.Status, *, reason: m.ReasonForMessage,
               due: datetime | None = None, delivery: m.DeliveryInfo | None = None,
               shipping: m.ShippingInfo | None = None, note: str | None = None,
               answer: m.YesNo | None = None) -> m.SupplyingAgencyMessage:
        """Its supplying agency message about ``request`` (ours, which it received)."""
        now = datetime.now(UTC)
        return m.SupplyingAgencyMessage(
            header=m.SupplyingAgencyMessageHeader(
                supplying_agency_id=self.agency, requesting_agency_id=request.header.requesting_agency_id,
                timestamp=now, requesting_agency_request_id=request.header.requesting_agency_request_id,
                supplying_agency_request_id="PEER-77"),
            message_info=m.MessageInfo(reason_for_message=reason, note=note, answer_yes_no=answer),
            status_info=m.StatusInfo(status=status, due_date=due, last_change=now),
            delivery_info=delivery, shipping_info=shipping,
        )

    def request(self, lender: m.AgencyId, request_id: str, service: m.ServiceType) -> m.Request:
        """Its request to ``lender`` (our member library)."""
        return m.Request(
            header=m.RequestHeader(supplying_agency_id=lender, requesting_agency_id=self.agency,
                                   timestamp=datetime.now(UTC), requesting_agency_request_id=request_id),
            bibliographic_info=m.BibliographicInfo(
                title="Braiding Sweetgrass", author="Kimmerer, Robin Wall",
                bibliographic_item_ids=(m.BibliographicItemId(code=m.TypedValue(value="ISBN"),
                                                              value="9781571313560"),)),
            service_info=m.ServiceInfo(request_type=m.RequestType.NEW, service_type=service),
            requested_delivery_infos=(m.RequestedDeliveryInfo(address=m.ElectronicAddress(
                type=m.TypedValue(value="Email"), data="ill@peer.example")),),
        )

    def act(self, lender: m.AgencyId, request_id: str, action: m.Action, note: str | None = None
            ) -> m.RequestingAgencyMessage:
        """Its requesting agency message about its request ``request_id`` at ``lender``."""
        return m.RequestingAgencyMessage(
            header=m.RequestingAgencyMessageHeader(
                supplying_agency_id=lender, requesting_agency_id=self.agency, timestamp=datetime.now(UTC),
                requesting_agency_request_id=request_id),
            action=action, note=note,
        )
