"""Real-world ILL peers for tests: each writes ISO 18626 in the shape one system does, defects included.

A :class:`LenientPeer` is a :class:`~tests.interop.stub_partner.StubPartner` (it receives our messages on a
loopback port and confirms them) that also sends its own messages to our ``/iso18626`` over real HTTP,
with its key. Its :class:`Shape` says how it writes them: the identifier codes it spells its way, and the
defects lenient intake repairs (an empty ``lastChange``, ``deliveryInfo`` without ``dateSent``, a
CancelResponse without ``statusInfo``, empty elements) and those we read from anyone (an old version
label, empty optional elements of a type that is not a string).
"""

from __future__ import annotations

import datetime as dt
import itertools
import urllib.error
import urllib.request
from dataclasses import dataclass
from xml.sax.saxutils import escape

from requests_app.iso18626 import messages as m
from requests_app.iso18626 import xml
from requests_app.models import IllSystem, Library
from requests_app.partners.outgoing import agency_id
from tests.interop.stub_partner import StubPartner

NS = xml.NS
T0 = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)


@dataclass(frozen=True)
class Shape:
    """How one system writes its messages (the defects among them are what lenient intake repairs)."""

    system: str
    version: str = "1.2"
    #: Empty elements it writes in every header (``<multipleItemRequestId/>`` …).
    empty_in_header: str = ""
    empty_last_change: bool = False
    date_sent_missing: bool = False
    cancel_response_without_status: bool = False
    #: Empty optional elements it writes in messageInfo or a requestingAgencyMessage (``<note/>`` …).
    empty_optional: str = ""
    #: The codes it gives an ISBN, an ISSN and an OCLC number, and how it writes the OCLC number.
    isbn_code: str = "ISBN"
    issn_code: str = "ISSN"
    oclc_code: str = "OCLC"
    oclc_form: str = "{}"
    #: Its confirmations of our messages carry an empty ``<errorData/>`` even when OK.
    empty_error_data: bool = False


RESHARE = Shape(IllSystem.RESHARE, empty_in_header="<multipleItemRequestId/><supplyingAgencyRequestId/>",
                cancel_response_without_status=True, empty_optional="<note/>", isbn_code="isbn", issn_code="issn",
                oclc_code="oclcNumber")
CROSSLINK = Shape(IllSystem.CROSSLINK, version="1.1", empty_in_header="<multipleItemRequestId></multipleItemRequestId>",
                  date_sent_missing=True, empty_optional="<note></note><answerYesNo/>", empty_error_data=True,
                  isbn_code="ISBN-13", issn_code="eISSN", oclc_code="OCoLC", oclc_form="(OCoLC){}")
ALMA = Shape(IllSystem.ALMA, version="1.0", empty_last_change=True, date_sent_missing=True,
             empty_optional="<reasonUnfilled/>", isbn_code="ISBN", issn_code="ISSN", oclc_code="OCLC",
             oclc_form="ocm{:0>8}")
SHAPES = {"reshare": RESHARE, "crosslink": CROSSLINK, "alma": ALMA}


def _agency(library: Library) -> str:
    agency = agency_id(library)
    return (f"<agencyIdType>{escape(agency.type.value)}</agencyIdType>"
            f"<agencyIdValue>{escape(agency.value)}</agencyIdValue>")


class LenientPeer(StubPartner):
    """A partner system of ``shape`` on a loopback port, speaking to our installation at ``base_url``."""

    def __init__(self, shape: Shape, base_url: str) -> None:
        super().__init__()
        self.shape, self.base_url = shape, base_url
        self.library: Library | None = None
        self.key = ""
        self._clock = itertools.count(1)

    def dress(self, answer: bytes) -> bytes:
        if not self.shape.empty_error_data:
            return answer
        return answer.replace(b"</ill:confirmationHeader>", b"</ill:confirmationHeader><ill:errorData/>", 1)

    # Sending ------------------------------------------------------------------------------------

    def post(self, body: bytes) -> tuple[int, m.Confirmation]:
        """POST ``body`` to our ``/iso18626`` with the peer's key; the HTTP status and our confirmation."""
        request = urllib.request.Request(f"{self.base_url}/iso18626", data=body, method="POST", headers={
            "Content-Type": "application/xml", "Authorization": f"Bearer {self.key}"})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - the live server on loopback
                code, answer = response.status, response.read()
        except urllib.error.HTTPError as error:
            code, answer = error.code, error.read()
        return code, xml.decode(answer)

    def _now(self) -> str:
        return (T0 + dt.timedelta(minutes=next(self._clock))).strftime("%Y-%m-%dT%H:%M:%SZ")

    def _document(self, kind: str, inner: str) -> bytes:
        return (f'<?xml version="1.0" encoding="UTF-8"?>\n<ISO18626Message xmlns="{NS}" xmlns:ill="{NS}" '
                f'ill:version="{self.shape.version}"><{kind}>{inner}</{kind}></ISO18626Message>').encode()

    # The peer as lender: supplyingAgencyMessages about our borrowing request -----------------------

    def supplying(self, request, status: m.Status | None, *, reason: str = "StatusChange", answer: str = "",
                  due: str = "", url: str = "") -> bytes:
        shape, now = self.shape, self._now()
        header = (f"<header><supplyingAgencyId>{_agency(self.library)}</supplyingAgencyId>"
                  f"<requestingAgencyId>{_agency(request.library)}</requestingAgencyId>{shape.empty_in_header}"
                  f"<timestamp>{now}</timestamp>"
                  f"<requestingAgencyRequestId>{escape(request.requesting_agency_request_id)}"
                  "</requestingAgencyRequestId></header>")
        info = (f"<messageInfo><reasonForMessage>{reason}</reasonForMessage>"
                + (f"<answerYesNo>{answer}</answerYesNo>" if answer else "")
                + (shape.empty_optional.replace("<answerYesNo/>", "") if answer else shape.empty_optional)
                + "</messageInfo>")
        status_info = ""
        if status is not None and not (reason == "CancelResponse" and shape.cancel_response_without_status):
            last_change = "<lastChange/>" if shape.empty_last_change else f"<lastChange>{now}</lastChange>"
            status_info = (f"<statusInfo><status>{status.value}</status>"
                           + (f"<dueDate>{due}</dueDate>" if due else "<dueDate/>") + last_change + "</statusInfo>")
        delivery = ""
        if url or status is m.Status.LOANED:
            date_sent = "" if shape.date_sent_missing else f"<dateSent>{now}</dateSent>"
            delivery = (f"<deliveryInfo>{date_sent}<itemId>ITEM-{next(self._clock)}</itemId>"
                        + (f"<URL>{escape(url)}</URL>" if url else "") + "</deliveryInfo>")
        return self._document("supplyingAgencyMessage", header + info + status_info + delivery)

    # The peer as borrower: its request and requestingAgencyMessages about our lending request ------

    def request(self, library: Library, rid: str, *, copy: bool) -> bytes:
        shape, now = self.shape, self._now()
        header = (f"<header><supplyingAgencyId>{_agency(library)}</supplyingAgencyId>"
                  f"<requestingAgencyId>{_agency(self.library)}</requestingAgencyId>{shape.empty_in_header}"
                  f"<timestamp>{now}</timestamp><requestingAgencyRequestId>{rid}</requestingAgencyRequestId></header>")
        oclc = (f"<bibliographicRecordId><bibliographicRecordIdentifierCode>{shape.oclc_code}"
                f"</bibliographicRecordIdentifierCode><bibliographicRecordIdentifier>{shape.oclc_form.format(1827184)}"
                "</bibliographicRecordIdentifier></bibliographicRecordId>"
                "<bibliographicRecordId><bibliographicRecordIdentifierCode>LCCN</bibliographicRecordIdentifierCode>"
                "<bibliographicRecordIdentifier>2001012345</bibliographicRecordIdentifier></bibliographicRecordId>")
        if copy:
            bib = ("<bibliographicInfo><title>Nature</title><titleOfComponent>Molecular structure of nucleic acids"
                   "</titleOfComponent><authorOfComponent>Watson, J. D.</authorOfComponent><volume>171</volume>"
                   "<pagesRequested>737-738</pagesRequested>"
                   f"<bibliographicItemId><bibliographicItemIdentifierCode>{shape.issn_code}"
                   "</bibliographicItemIdentifierCode><bibliographicItemIdentifier>0028-0836"
                   f"</bibliographicItemIdentifier></bibliographicItemId>{oclc}<subtitle/></bibliographicInfo>"
                   "<publicationInfo><publicationType>Article</publicationType><publisher/></publicationInfo>")
        else:
            bib = ("<bibliographicInfo><title>The Hobbit</title><author>Tolkien, J. R. R.</author>"
                   f"<bibliographicItemId><bibliographicItemIdentifierCode>{shape.isbn_code}"
                   "</bibliographicItemIdentifierCode><bibliographicItemIdentifier>978-0-261-10221-7"
                   f"</bibliographicItemIdentifier></bibliographicItemId>{oclc}<edition/></bibliographicInfo>")
        service = (f"<serviceInfo><serviceType>{'Copy' if copy else 'Loan'}</serviceType><needBeforeDate/>"
                   "<note/></serviceInfo>")
        return self._document("request", header + bib + service)

    def requesting(self, request, action: m.Action) -> bytes:
        shape, now = self.shape, self._now()
        header = (f"<header><supplyingAgencyId>{_agency(request.library)}</supplyingAgencyId>"
                  f"<requestingAgencyId>{_agency(self.library)}</requestingAgencyId>"
                  f"<timestamp>{now}</timestamp>"
                  f"<requestingAgencyRequestId>{escape(request.requesting_agency_request_id)}"
                  "</requestingAgencyRequestId>"
                  f"<supplyingAgencyRequestId>{escape(request.supplying_agency_request_id)}</supplyingAgencyRequestId>"
                  "</header>")
        return self._document("requestingAgencyMessage",
                              header + f"<action>{action.value}</action>" + ("<note/>" if shape.empty_optional else ""))
