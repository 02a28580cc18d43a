"""ISO 18626 XML: what we write validates against the official schema and reads back equal."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest
from lxml import etree

from requests_app.iso18626.messages import (
    BibliographicInfo,
    Message,
    PatronInfo,
    Status,
    StatusInfo,
    SupplyingAgencyMessage,
    TypedValue,
)
from requests_app.iso18626.xml import NS, decode, decode_envelope, encode

from .message_examples import (
    T0,
    every_message_kind,
    minimal_and_maximal,
    minimal_request,
    rich_request,
    supplying_agency_message,
)

EXAMPLES = every_message_kind()
SIX_KINDS = minimal_and_maximal()
VERSIONS = ["1.2", "2021-2"]


def what_1_2_keeps(message: Message) -> Message:
    """``message`` less what version 1.2 has no room for (version_1_2's docstring lists it)."""
    if isinstance(message, SupplyingAgencyMessage) and message.delivery_info is not None:
        return replace(message, delivery_info=replace(message.delivery_info, address=None))
    errors = getattr(message, "error_data", ())
    if len(errors) > 1:
        first, *others = errors
        joined = "; ".join([first.error_value or first.error_type.value] + [
            f"{error.error_type.value}: {error.error_value}" if error.error_value else error.error_type.value
            for error in others])
        return replace(message, error_data=(replace(first, error_value=joined),))
    return message


def kept_by(version: str, message: Message) -> Message:
    return what_1_2_keeps(message) if version == "1.2" else message


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("message", [message for _, message in EXAMPLES], ids=[name for name, _ in EXAMPLES])
def test_every_message_kind_encodes_to_xml_the_schema_of_its_version_accepts(
    message: Message, version: str, schema_errors: Callable[[bytes], list[str]]
) -> None:
    assert schema_errors(encode(message, version=version)) == []


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("message", [message for _, message in EXAMPLES], ids=[name for name, _ in EXAMPLES])
def test_every_message_kind_decodes_back_to_all_its_version_can_carry(message: Message, version: str) -> None:
    assert decode(encode(message, version=version)) == kept_by(version, message)


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("message", [message for _, message in SIX_KINDS], ids=[name for name, _ in SIX_KINDS])
def test_the_six_kinds_minimal_and_maximal_are_valid_in_both_versions_and_read_back(
    message: Message, version: str, schema_errors: Callable[[bytes], list[str]]
) -> None:
    data = encode(message, version=version)

    assert schema_errors(data) == []
    assert decode(data) == kept_by(version, message)


@pytest.mark.parametrize("version", VERSIONS)
def test_the_version_attribute_is_written_as_asked_and_read_back(
    version: str, schema_errors: Callable[[bytes], list[str]]
) -> None:
    data = encode(rich_request(), version=version)

    assert etree.fromstring(data).get(f"{{{NS}}}version") == version
    assert decode_envelope(data).version == version
    assert schema_errors(data) == []


def test_the_version_written_by_default_is_1_2() -> None:
    assert decode_envelope(encode(minimal_request())).version == "1.2"


def test_encoded_messages_use_the_ill_prefix_for_every_element() -> None:
    root = etree.fromstring(encode(rich_request()))

    assert {element.prefix for element in root.iter()} == {"ill"}
    assert {etree.QName(element).namespace for element in root.iter()} == {NS}


@pytest.mark.parametrize("version", VERSIONS)
def test_pretty_printed_output_decodes_to_the_same_message(
    version: str, schema_errors: Callable[[bytes], list[str]]
) -> None:
    data = encode(rich_request(), version=version, pretty_print=True)

    assert schema_errors(data) == []
    assert decode(data) == rich_request()


@pytest.mark.parametrize(
    "text",
    [
        "  leading and trailing spaces  ",
        "line one\r\nline two\rline three\n",
        "tabs\tand ]]> and <tags> & ampersands &amp;",
        "Ünïcödé — 日本語 — 🙂",
        "",
    ],
    ids=["spaces", "newlines", "markup", "unicode", "empty"],
)
@pytest.mark.parametrize("version", VERSIONS)
def test_strings_survive_the_round_trip_exactly(text: str, version: str) -> None:
    message = replace(
        rich_request(),
        bibliographic_info=BibliographicInfo(title=text, volumes=(text, text)),
        patron_info=PatronInfo(surname=text, patron_type=TypedValue(value=text, scheme="urn:x")),
    )

    decoded = decode(encode(message, version=version))

    assert decoded.bibliographic_info.title == text
    assert decoded.bibliographic_info.volumes == (text, text)
    assert decoded == message


def test_timestamps_in_any_time_zone_decode_to_the_same_instant() -> None:
    tokyo = timezone(timedelta(hours=9))
    original = supplying_agency_message(Status.LOANED)
    message = replace(original, status_info=StatusInfo(status=Status.LOANED, last_change=T0.astimezone(tokyo)))

    decoded = decode(encode(message, version="2021-2"))

    assert decoded == message
    assert decoded.status_info.last_change.utcoffset() == timedelta(0)


def test_microseconds_survive_the_round_trip() -> None:
    stamp = datetime(2025, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
    message = replace(minimal_request(), header=replace(minimal_request().header, timestamp=stamp))

    assert decode(encode(message)).header.timestamp == stamp


def test_a_message_cannot_be_built_with_a_naive_datetime() -> None:
    with pytest.raises(ValueError, match="aware datetime"):
        StatusInfo(status=Status.LOANED, last_change=datetime(2025, 1, 1))


def test_lists_given_to_a_message_are_stored_as_tuples() -> None:
    info = BibliographicInfo(volumes=["1", "2"])  # type: ignore[arg-type]

    assert info.volumes == ("1", "2")
    assert hash(info)


def test_encode_refuses_a_value_outside_a_closed_list() -> None:
    message = replace(
        supplying_agency_message(Status.LOANED), status_info=StatusInfo(status="Shipped", last_change=T0)  # type: ignore[arg-type]
    )

    with pytest.raises(ValueError, match="Shipped"):
        encode(message)


def test_encode_refuses_something_that_is_not_a_message() -> None:
    with pytest.raises(TypeError):
        encode(rich_request().header)  # type: ignore[arg-type]
