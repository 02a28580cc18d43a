"""Two ILLMS installations over real HTTP: where the borrower asks a loan to be shipped reaches the lender's desk.

A's patron picks up at a desk with an address of its own; A sends the request (ISO 18626 XML, or our
JSON form), and B's lending desk page and shipping label, fetched over HTTP by B's staff, show that
address as the one from their request.
"""

from __future__ import annotations

import io
import json

from pypdf import PdfReader

from tests.interop import test_two_installations as two

#: The two installations on loopback ports, each reaching the other by ISO 18626 or our JSON (that module's fixture).
installations = two.installations

#: A's pickup desk with an address, and A's own address; ``%d`` is the borrowing request's id.
PICKUP_AT_THE_SCIENCE_DESK = """
from requests_app.models import IllRequest, Library, PickupLocation
me = Library.objects.get(symbol="{me}")
Library.objects.filter(pk=me.pk).update(address_line1="1 University Plaza", city="Springfield", country="US",
                                        contact_name="ILL Office", phone="+1 217 555 0100")
desk = PickupLocation.objects.create(library=me, code="science", name="Science library",
                                     address_line1="45 Laboratory Lane", address_line2="Loading Dock B",
                                     city="Springfield", region="IL", postal_code="62705", country="US")
IllRequest.objects.filter(pk=%d).update(pickup_location=desk)
print("ok")
"""

LENDING_REQUEST = """
import json
from requests_app.models import IllRequest
print(json.dumps(IllRequest.objects.filter(role="lending").values_list("pk", flat=True).get()))
"""


def fetch(installation, path: str) -> bytes:
    return installation.opener.open(installation.base + path, timeout=60).read()


def test_the_ship_to_address_a_borrower_sends_is_shown_on_the_lenders_desk_over_http(installations):
    a, b = installations
    borrowing_id = int(a.shell(two.BORROWING_REQUEST))
    a.shell(PICKUP_AT_THE_SCIENCE_DESK % borrowing_id)

    a.act("borrowing", borrowing_id, "send_to_lender")

    lending_id = json.loads(b.shell(LENDING_REQUEST))
    desk = fetch(b, f"/lending/requests/{lending_id}/").decode()
    assert "45 Laboratory Lane" in desk and "Loading Dock B" in desk and "Springfield IL 62705" in desk
    assert "From their request: the shipping label and pull slip print this address." in desk
    assert "ILL Office" in desk and "+1 217 555 0100" in desk
    label = PdfReader(io.BytesIO(fetch(b, f"/lending/labels.pdf?ids={lending_id}"))).pages[0].extract_text()
    assert "45 Laboratory Lane" in label and "ship-to address from their request" in label
