"""Partner libraries never learn who our patron is: not in the request we send, not in the API."""

from __future__ import annotations

import json

from borrowing.services import rota
from borrowing.states import BorrowingStatus
from requests_app.models import OutboxMessage
from requests_app.partners.outgoing import build_request
from requests_app.workflow import Actor
from tests.factories import LibraryFactory

from .conftest import TRACES_OF_PATRON


def test_the_request_sent_to_a_lender_carries_no_patron_identity(privacy_world):
    LibraryFactory(symbol="LENDR", iso18626_endpoint="https://lender.example/iso")
    request = privacy_world.make_request(days_ago=0, status=BorrowingStatus.SOURCING, partner=None,
                                         patron_note="Diophantus please")
    rota.build_rota(request=request)

    rota.send_to_next_lender(request=request, actor=Actor.system("test"))

    payload = json.dumps(OutboxMessage.objects.get(request=request, summary="request").payload).lower()
    assert [t for t in TRACES_OF_PATRON if t.lower() in payload] == []


def test_the_iso18626_request_has_no_patron_info(privacy_world):
    from django.utils import timezone

    message = build_request(privacy_world.old_request, timestamp=timezone.now())

    assert getattr(message, "patron_info", None) is None
