"""ISO 18626 XML: what a partner may send wrong, and the errorType we answer with."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from requests_app.iso18626.errors import ProtocolError
from requests_app.iso18626.messages import (
    Action,
    ErrorType,
    MessageKind,
    ReasonForMessage,
    Status,
)
from requests_app.iso18626.xml import NS, decode, encode

from .message_examples import BORROWER, LENDER, T0, requesting_agency_message, rich_request, supplying_agency_message

BAD = ErrorType.BADLY_FORMED_MESSAGE


def loaned() -> bytes:
    """A valid supplyingAgencyMessage with status Loaned."""
    return encode(supplying_agency_message(Status.LOANED))


def with_extra_element(data: bytes, parent_path: str, name: str, namespace: str = NS) -> bytes:
    """``data`` with an element ``<name>`` appended to the element at ``parent_path`` (ill: prefixed)."""
    root = etree.fromstring(data)
    parent = root if parent_path == "." else root.find(parent_path, {"ill": NS})
    assert parent is not None, parent_path
    etree.SubElement(parent, f"{{{namespace}}}{name}").text = "blue"
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def without_element(data: bytes, path: str) -> bytes:
    """``data`` without the element at ``path``."""
    root = etree.fromstring(data)
    element = root.find(path, {"ill": NS})
    assert element is not None, path
    element.getparent().remove(element)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def decode_error(data: bytes, **kwargs: int) -> ProtocolError:
    """The ProtocolError that decoding ``data`` raises."""
    with pytest.raises(ProtocolError) as caught:
        decode(data, **kwargs)
    return caught.value


# -- closed lists ----------------------------------------------------------------------


def test_an_unknown_status_is_an_unrecognised_data_value() -> None:
    error = decode_error(loaned().replace(b">Loaned<", b">Shipped<"))

    assert error.error_type is ErrorType.UNRECOGNISED_DATA_VALUE
    assert "Shipped" in error.message


def test_an_unknown_action_is_an_unsupported_action_type() -> None:
    data = encode(requesting_agency_message(Action.RENEW)).replace(b">Renew<", b">Borrow<")

    assert decode_error(data).error_type is ErrorType.UNSUPPORTED_ACTION_TYPE


def test_an_unknown_reason_for_message_is_an_unsupported_reason_for_message_type() -> None:
    data = loaned().replace(b">StatusChange<", b">Gossip<")

    assert decode_error(data).error_type is ErrorType.UNSUPPORTED_REASON_FOR_MESSAGE_TYPE


@pytest.mark.parametrize(
    ("data", "value"),
    [
        (encode(rich_request()).replace(b">CopyOrLoan<", b">Scan<"), "Scan"),
        (encode(rich_request()).replace(b">PatronRequest<", b">VipRequest<"), "VipRequest"),
        (loaned().replace(b"<ill:answerYesNo>Y<", b"<ill:answerYesNo>Maybe<"), "Maybe"),
    ],
    ids=["serviceType", "requestSubType", "answerYesNo"],
)
def test_an_unknown_value_of_any_other_closed_list_is_an_unrecognised_data_value(data: bytes, value: str) -> None:
    error = decode_error(data)

    assert error.error_type is ErrorType.UNRECOGNISED_DATA_VALUE
    assert value in error.message


# -- unexpected elements ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("parent_path", "namespace"),
    [
        ("ill:supplyingAgencyMessage/ill:header", NS),
        ("ill:supplyingAgencyMessage", NS),
        ("ill:supplyingAgencyMessage/ill:deliveryInfo", NS),
        ("ill:supplyingAgencyMessage/ill:statusInfo/ill:status", NS),
        ("ill:supplyingAgencyMessage/ill:messageInfo", "urn:vendor-extension"),
        (".", NS),
    ],
    ids=["in-header", "in-message", "in-deliveryInfo", "inside-a-simple-value", "foreign-namespace", "in-root"],
)
def test_an_unexpected_element_is_an_unrecognised_data_element(parent_path: str, namespace: str) -> None:
    error = decode_error(with_extra_element(loaned(), parent_path, "colour", namespace))

    assert error.error_type is ErrorType.UNRECOGNISED_DATA_ELEMENT
    assert "colour" in error.message


# -- structure -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "ill:supplyingAgencyMessage/ill:statusInfo",
        "ill:supplyingAgencyMessage/ill:statusInfo/ill:lastChange",
        "ill:supplyingAgencyMessage/ill:header/ill:requestingAgencyId",
        "ill:supplyingAgencyMessage/ill:header/ill:supplyingAgencyId/ill:agencyIdValue",
    ],
    ids=["statusInfo", "lastChange", "requestingAgencyId", "agencyIdValue"],
)
def test_a_missing_required_element_is_a_badly_formed_message(path: str) -> None:
    error = decode_error(without_element(loaned(), path))

    assert error.error_type is BAD
    assert path.rsplit(":", 1)[-1] in error.message


def test_an_element_repeated_more_often_than_the_schema_allows_is_a_badly_formed_message() -> None:
    data = loaned().replace(b"<ill:status>Loaned</ill:status>", b"<ill:status>Loaned</ill:status>" * 2)

    assert decode_error(data).error_type is BAD


@pytest.mark.parametrize(
    ("original", "broken"),
    [
        (b"<ill:lastChange>2025-03-14T09:26:53.589Z<", b"<ill:lastChange>yesterday<"),
        (b"<ill:lastChange>2025-03-14T09:26:53.589Z<", b"<ill:lastChange>2025-02-30T09:00:00Z<"),
        (b"<ill:monetaryValue>10.00<", b"<ill:monetaryValue>ten<"),
        (b"<ill:sentToPatron>false<", b"<ill:sentToPatron>nope<"),
    ],
    ids=["not-a-date", "impossible-date", "not-a-decimal", "not-a-boolean"],
)
def test_a_value_of_the_wrong_type_is_a_badly_formed_message(original: bytes, broken: bytes) -> None:
    data = loaned()
    assert original in data

    assert decode_error(data.replace(original, broken)).error_type is BAD


def test_a_negative_sort_order_is_a_badly_formed_message() -> None:
    data = encode(rich_request()).replace(b"<ill:sortOrder>1<", b"<ill:sortOrder>-1<", 1)

    assert decode_error(data).error_type is BAD


@pytest.mark.parametrize(
    "data",
    [
        f'<ill:ISO18626Message xmlns:ill="{NS}" ill:version="1.2"/>'.encode(),
        loaned().replace(b"</ill:supplyingAgencyMessage>", b"</ill:supplyingAgencyMessage><ill:request/>"),
    ],
    ids=["no-message", "two-messages"],
)
def test_a_document_without_exactly_one_message_is_badly_formed(data: bytes) -> None:
    assert decode_error(data).error_type is BAD


def test_a_document_without_a_version_attribute_is_badly_formed() -> None:
    data = loaned().replace(b' ill:version="1.2"', b"")

    error = decode_error(data)

    assert error.error_type is BAD
    assert "version" in error.message


# -- hostile and broken bodies -----------------------------------------------------------

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<ill:ISO18626Message xmlns:ill="http://illtransactions.org/2013/iso18626" ill:version="1.2">
 <ill:requestingAgencyMessage><ill:note>&lol9;</ill:note></ill:requestingAgencyMessage>
</ill:ISO18626Message>
"""


def xxe_payload(url: str, encoding: str = "UTF-8") -> bytes:
    """A requestingAgencyMessage whose request id is an external entity pointing at ``url``."""
    message = encode(requesting_agency_message(Action.STATUS_REQUEST)).decode()
    body = message.split("?>", 1)[1].replace(">EYM-2025-000123<", ">&xxe;<")
    return (
        f'<?xml version="1.0" encoding="{encoding}"?>\n'
        f'<!DOCTYPE ill:ISO18626Message [<!ENTITY xxe SYSTEM "{url}">]>\n{body}'
    ).encode(encoding)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"this is not XML",
        b'{"request": {}}',
        f'<ill:ISO18626Message xmlns:ill="{NS}" ill:version="1.2"><ill:request>'.encode(),
        loaned().replace(NS.encode(), b"http://illtransactions.org/2013/iso18626/wrong"),
        loaned().replace(b'xmlns:ill="' + NS.encode() + b'"', b'xmlns:ill="urn:other"'),
        b'<ISO18626Message version="1.2"><request/></ISO18626Message>',
        loaned().replace(b"ill:ISO18626Message", b"ill:ISO18626Msg"),
        b'<html xmlns="http://www.w3.org/1999/xhtml"><body>502 Bad Gateway</body></html>',
        BILLION_LAUGHS,
        xxe_payload("file:///etc/passwd"),
        xxe_payload("http://127.0.0.1:9/evil"),
        b'<?xml version="1.0"?><!DOCTYPE x SYSTEM "http://127.0.0.1:9/evil.dtd"><x/>',
        xxe_payload("file:///etc/passwd", "UTF-16"),
    ],
    ids=[
        "empty",
        "plain-text",
        "json",
        "truncated",
        "wrong-namespace",
        "another-namespace",
        "no-namespace",
        "wrong-root",
        "html-error-page",
        "billion-laughs",
        "xxe-file",
        "xxe-network",
        "external-dtd",
        "xxe-utf16",
    ],
)
def test_a_body_that_is_not_an_iso18626_document_is_a_badly_formed_message(data: bytes) -> None:
    assert decode_error(data).error_type is BAD


def test_a_body_over_the_size_cap_is_refused_before_parsing() -> None:
    data = encode(supplying_agency_message(Status.LOANED), version="2021-2")  # the form that carries all of it
    padded = data.replace(b"</ill:ISO18626Message>", b" " * 1_000_001 + b"</ill:ISO18626Message>")

    assert decode_error(padded).error_type is BAD
    assert decode_error(data, max_bytes=len(data) - 1).error_type is BAD
    assert decode(data, max_bytes=len(data)) == supplying_agency_message(Status.LOANED)


def secret_lines(path: Path) -> list[str]:
    """The lines of ``path`` long enough that finding one in a message is not a coincidence."""
    return [line for line in path.read_text(errors="replace").splitlines() if len(line) >= 8]


@pytest.mark.parametrize("encoding", ["UTF-8", "UTF-16"])
@pytest.mark.parametrize("target", ["/etc/passwd", "secret-file"])
def test_an_xxe_payload_never_leaks_the_referenced_file_into_the_error(
    target: str, encoding: str, tmp_path: Path
) -> None:
    if target == "secret-file":
        secret = tmp_path / "secret.txt"
        secret.write_text("TOP-SECRET-7f3a9c1e-do-not-leak\n")
    else:
        secret = Path(target)
        if not secret.is_file():
            pytest.skip("no /etc/passwd on this machine; the secret-file case covers the same ground")

    error = decode_error(xxe_payload(secret.as_uri(), encoding))

    assert error.error_type is BAD
    seen = " ".join([str(error), error.message, repr(error), repr(error.partial_header), repr(error.__cause__)])
    for line in secret_lines(secret):
        assert line not in seen


def test_a_str_body_is_a_programming_error_not_a_protocol_error() -> None:
    with pytest.raises(TypeError):
        decode(loaned().decode())  # type: ignore[arg-type]


# -- what the error tells the caller ----------------------------------------------------------


def test_the_error_carries_the_header_fields_that_could_be_read() -> None:
    error = decode_error(loaned().replace(b">Loaned<", b">Shipped<"))

    header = error.partial_header
    assert header.kind is MessageKind.SUPPLYING_AGENCY_MESSAGE
    assert header.version == "1.2"
    assert header.supplying_agency_id == LENDER
    assert header.requesting_agency_id == BORROWER
    assert header.timestamp == T0
    assert header.requesting_agency_request_id == "EYM-2025-000123"
    assert header.supplying_agency_request_id == "MIU-77"
    assert header.reason_for_message is ReasonForMessage.STATUS_CHANGE


def test_the_error_for_a_broken_header_still_carries_the_fields_that_were_fine() -> None:
    data = without_element(
        encode(requesting_agency_message(Action.CANCEL)), "ill:requestingAgencyMessage/ill:header/ill:timestamp"
    )

    error = decode_error(data)

    assert error.error_type is BAD
    assert error.partial_header.kind is MessageKind.REQUESTING_AGENCY_MESSAGE
    assert error.partial_header.requesting_agency_id == BORROWER
    assert error.partial_header.timestamp is None
    assert error.partial_header.action is Action.CANCEL


def test_the_error_for_a_body_that_is_not_xml_carries_an_empty_header() -> None:
    error = decode_error(b"not xml")

    assert error.partial_header.kind is None
    assert error.partial_header.requesting_agency_id is None


def test_error_messages_quote_at_most_a_short_excerpt_of_the_offending_value() -> None:
    error = decode_error(loaned().replace(b">Loaned<", b">" + b"X" * 5000 + b"<"))

    assert len(error.message) < 400

