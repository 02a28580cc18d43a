"""Serializers of the REST API: they validate and shape, they never decide (the services do).

Two families of request representations: the *partner* ones carry no patron data and
only the history a partner may read; the *staff* ones add the patron's name (borrowing
requests only), who acted and the internal notes of events.
"""

from __future__ import annotations

from typing import Any

from django.core.validators import RegexValidator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiSerializerExtension, OpenApiSerializerFieldExtension
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from requests_app import identifiers
from requests_app.iso18626 import messages as m
from requests_app.models import (
    ActorKind,
    Event,
    IllRequest,
    Library,
    Note,
    NoteVisibility,
    Role,
)
from requests_app.partners.members import active_member
from requests_app.partners.outgoing import sends_message
from requests_app.services import available_actions
from requests_app.workflow import Actor, Transition

from .document_fields import AmountField, ModelSerializer, TextField
from .rows_from_values import ONCE_PER_PAGE

#: The citation fields a request carries, in the order a client reads them.
CITATION_FIELDS = [
    "format", "title", "author", "container_title", "volume", "issue", "pages", "publication_date", "edition",
    "publisher", "place_of_publication", "isbn", "issn", "oclc_number", "doi", "pmid", "need_by", "max_cost",
    "max_cost_currency",
]

#: Keys of an action's ``data`` that are dates (the workflow effects read them).
DATE_DATA_KEYS = ("due_date", "patron_due_date")


class ErrorSerializer(serializers.Serializer):
    """Every error the API answers: a stable code, a message for people, and per-field errors on bad input."""

    code = serializers.CharField(help_text="Stable machine-readable code, e.g. `not_found`, `not_allowed`, "
                                           "`forbidden`, `conflict`, `invalid`, `not_authenticated`.")
    message = serializers.CharField(help_text="What went wrong, in words a person can act on.")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()), required=False,
        help_text="On invalid input: the messages for each field (`non_field_errors` for the whole body).",
    )


CURRENCY_CODE = RegexValidator(r"^[A-Z]{3}$", message=_("Give an ISO 4217 currency code: three capital letters."))
#: A text that is not only spaces (DRF trims a text, and refuses it blank): the document's ``pattern``.
NOT_ONLY_SPACES = RegexValidator(r"\S", message=_("This field may not be blank."))


class IdentifierField(TextField):
    """An identifier as people write it, checked and normalised by ``requests_app.identifiers``.

    The document names its ``format`` (``isbn``, ``issn``, ``doi``, ``pmid``, ``oclc-number``) and says in words
    what it accepts: a check digit is not something a pattern can say. Empty counts as not given.
    """

    def __init__(self, format_name: str, max_length: int, description: str, **kwargs: Any) -> None:
        super().__init__(required=False, allow_blank=True, max_length=max_length, help_text=description, **kwargs)
        self.format_name = format_name


class IdentifierFieldSchema(OpenApiSerializerFieldExtension):
    target_class = IdentifierField
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        # drf-spectacular adds the field's maxLength, and the empty string as the other choice (empty: not given).
        return {"type": "string", "format": self.target.format_name}


# Directory ---------------------------------------------------------------------------------

class LibrarySerializer(ModelSerializer):
    """A member library's directory entry and lending policy (never its secrets)."""

    reciprocal_groups = serializers.SerializerMethodField(
        help_text="Networks this library lends in without fees.")
    loan_fee = serializers.DecimalField(max_digits=9, decimal_places=2, coerce_to_string=True, read_only=True)
    copy_fee = serializers.DecimalField(max_digits=9, decimal_places=2, coerce_to_string=True, read_only=True)
    lenient_intake = serializers.BooleanField(
        source="reads_leniently", read_only=True,
        help_text="Its ISO 18626 messages are repaired where they have a small, well-known defect instead of "
                  "refused (as staff set it, or as the profile of its `ill_system` says).")

    class Meta:
        model = Library
        fields = [
            "symbol", "name", "address_line1", "address_line2", "city", "region", "postal_code", "country",
            "contact_name", "email", "phone", "billing_email", "timezone", "currency", "language",
            "agency_id_type", "agency_id_value", "iso18626_endpoint", "iso18626_version", "rest_endpoint",
            "ill_system", "lenient_intake",
            "lends_loans", "lends_copies", "loan_period_days", "loan_fee", "copy_fee", "reciprocal_groups",
            "max_loans_outstanding", "lending_notes", "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_reciprocal_groups(self, library: Library) -> list[str]:
        return sorted(library.reciprocal_group_set)


# Requests: reading -------------------------------------------------------------------------

class AvailableActionSerializer(serializers.Serializer):
    """An action the caller may perform now: POST it to `actions/{action}/`."""

    action = serializers.CharField()
    label = serializers.CharField()
    description = serializers.CharField()
    target = serializers.CharField(allow_null=True, help_text="The status it leads to; null: the status stays.")
    needs_note = serializers.BooleanField(help_text="The action is refused without a `note` saying why.")

    def to_representation(self, transition: Transition) -> dict[str, Any]:
        return {"action": transition.action, "label": transition.label, "description": transition.description,
                "target": transition.target, "needs_note": transition.needs_note}


class PartnerEventSerializer(ModelSerializer):
    """One step of a request's history as a partner reads it: no names, notes only those meant for it."""

    from_status = serializers.CharField(help_text="Empty for the creation of the request.")
    note = serializers.SerializerMethodField()

    class Meta:
        model = Event
        fields = ["action", "from_status", "to_status", "actor_kind", "source", "note", "created_at"]
        read_only_fields = fields

    def get_note(self, event: Event) -> str:
        return event.note if _partner_was_told(event) else ""


class StaffEventSerializer(ModelSerializer):
    from_status = serializers.CharField(help_text="Empty for the creation of the request.")
    actor = serializers.CharField(source="actor_display", help_text="Who acted: a name, a library or a job.")

    class Meta:
        model = Event
        fields = ["action", "from_status", "to_status", "actor_kind", "actor", "source", "note", "data",
                  "created_at"]
        read_only_fields = fields


def _partner_was_told(event: Event) -> bool:
    """A partner reads an event's note when it wrote it, or when the note went to it in a protocol message."""
    request = event.request
    if event.actor_library_id is not None and event.actor_library_id == request.partner_id:
        return True
    transition = request.workflow.transitions.get(event.action)
    return transition is not None and sends_message(request, transition, Actor(ActorKind(event.actor_kind)))


def partner_history(request: IllRequest, events: list[Event] | None = None) -> list[Event]:
    """The events a partner reads: on a borrowing request, only since it was sent to this lender.

    A borrowing request travels along a rota of lenders; the current lender does not
    read what happened with the ones before it. ``events``: the request's whole history when it is at hand
    (a request just created: its first event), instead of reading it.
    """
    events = list(request.events.all()) if events is None else events
    if request.role == Role.BORROWING:
        sent = [i for i, e in enumerate(events) if e.action == "send_to_lender"]
        events = events[sent[-1]:] if sent else []
    return events


class PartnerRequestSerializer(ModelSerializer):
    """A request as a partner library reads it: citation, status, ids and dates; never patron data."""

    status = serializers.CharField(help_text="The status on our side's workflow (values depend on `role`).")
    status_label = serializers.CharField()
    role = serializers.ChoiceField(
        choices=Role.choices,
        help_text="OUR side: `lending` = the partner borrows from our `library`; "
                  "`borrowing` = our `library` borrows from the partner.",
    )
    library = serializers.SlugRelatedField(slug_field="symbol", read_only=True,
                                           help_text="Symbol of our member library.")
    partner = serializers.SlugRelatedField(slug_field="symbol", read_only=True, allow_null=True,
                                           help_text="Symbol of the partner library on the other side; null while "
                                                     "a borrowing request has no lender yet.")

    #: The fields that are not columns, for lists read from ``values()`` (``rows.RowRepresentation``).
    row_fields = {
        "number": (("role", "id"), lambda row: IllRequest.number_of(row["role"], row["id"])),
        "status_label": (("role", "status"), lambda row: IllRequest.status_label_of(row["role"], row["status"]),
                         ONCE_PER_PAGE),
    }

    class Meta:
        model = IllRequest
        fields = [
            "id", "number", "role", "status", "status_label", "library", "partner", "service_type",
            "delivery_method", "copyright_compliance", *CITATION_FIELDS, "due_date", "renewal_count",
            "renewal_requested_at", "requesting_agency_request_id", "supplying_agency_request_id", "created_at",
            "updated_at", "status_changed_at",
        ]
        read_only_fields = fields


class StaffRequestSerializer(PartnerRequestSerializer):
    """A request as staff of its library read it: adds the patron's name on borrowing requests."""

    patron_name = serializers.SerializerMethodField(help_text="Borrowing requests only; null otherwise.")

    class Meta(PartnerRequestSerializer.Meta):
        fields = [*PartnerRequestSerializer.Meta.fields, "patron_name", "patron_due_date"]
        read_only_fields = fields

    row_fields = {
        **PartnerRequestSerializer.row_fields,
        "patron_name": (("role", "patron__username", "patron__first_name", "patron__last_name"),
                        lambda row: _patron_name(row["role"], row["patron__username"], row["patron__first_name"],
                                                 row["patron__last_name"])),
    }

    def get_patron_name(self, request: IllRequest) -> str | None:
        patron = request.patron
        if patron is None:
            return None
        return _patron_name(request.role, patron.get_username(), patron.first_name, patron.last_name)


def _patron_name(role: str, username: str | None, first_name: str, last_name: str) -> str | None:
    """A borrowing request's patron as staff read it (``get_full_name()`` or the username); ``None`` otherwise."""
    if role != Role.BORROWING or username is None:
        return None
    return f"{first_name} {last_name}".strip() or username


class _WithActions(serializers.Serializer):
    actions = serializers.SerializerMethodField(help_text="What the caller may do now, as `actions/{action}/`.")

    @extend_schema_field(AvailableActionSerializer(many=True))
    def get_actions(self, request: IllRequest) -> list[dict]:
        actor = self.context["caller"].actor
        return AvailableActionSerializer(available_actions(request=request, actor=actor), many=True).data


class PartnerRequestDetailSerializer(_WithActions, PartnerRequestSerializer):
    events = serializers.SerializerMethodField(help_text="The request's history, oldest first.")

    class Meta(PartnerRequestSerializer.Meta):
        fields = [*PartnerRequestSerializer.Meta.fields, "actions", "events"]
        read_only_fields = fields

    @extend_schema_field(PartnerEventSerializer(many=True))
    def get_events(self, request: IllRequest) -> list[dict]:
        # "history" in the context: the request's events already at hand (the create's 201: the one just written).
        return PartnerEventSerializer(partner_history(request, self.context.get("history")), many=True).data


class StaffRequestDetailSerializer(_WithActions, StaffRequestSerializer):
    events = StaffEventSerializer(many=True, read_only=True, help_text="The request's history, oldest first.")

    class Meta(StaffRequestSerializer.Meta):
        fields = [*StaffRequestSerializer.Meta.fields, "actions", "events"]
        read_only_fields = fields


# Requests: writing -------------------------------------------------------------------------

def _optional_text(max_length: int, help_text: str = "") -> TextField:
    return TextField(required=False, allow_blank=True, max_length=max_length, help_text=help_text)


class AddressSerializer(serializers.Serializer):
    """An ISO 18626 ``address``: a postal one (`line1` … `country`) or an electronic one (`electronic_data`)."""

    electronic_type = _optional_text(50, "With `electronic_data`: its kind, e.g. `Email` (the default), `URL`.")
    electronic_data = _optional_text(300, "An e-mail address (or, with another `electronic_type`, a URL…).")
    line1 = _optional_text(200)
    line2 = _optional_text(200)
    locality = _optional_text(100, "Town or city.")
    postal_code = _optional_text(20)
    region = _optional_text(100, "State, province or county.")
    country = _optional_text(60, "ISO 3166 code, e.g. `US`, `GB`.")

    POSTAL = ("line1", "line2", "locality", "postal_code", "region", "country")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        postal = bool((attrs.get("line1") or "").strip())
        electronic = bool((attrs.get("electronic_data") or "").strip())
        if postal and electronic:
            raise serializers.ValidationError(gettext("An address is postal or electronic: send `electronic_data` in "
                                                      "an address of its own."))
        if not postal and not electronic:
            raise serializers.ValidationError(gettext("Give a postal address (with `line1`) or an electronic one "
                                                      "(`electronic_data`)."))
        return attrs

    def message_address(self, attrs: dict[str, Any]) -> m.Address:
        """The address as the codec's record, which ``keep_given_details`` stores as a partner's is stored."""
        if (attrs.get("electronic_data") or "").strip():
            return m.ElectronicAddress(type=m.TypedValue(value=attrs.get("electronic_type") or "Email"),
                                       data=attrs["electronic_data"])
        country = attrs.get("country") or ""
        return m.PhysicalAddress(**{name: attrs.get(name) or None for name in self.POSTAL[:-1]},
                                 country=m.TypedValue(value=country) if country else None)


class AddressSchema(OpenApiSerializerExtension):
    """The document says what :meth:`AddressSerializer.validate` checks: one of a postal address (``line1``) or
    an electronic one (``electronic_data``), never both."""

    target_class = AddressSerializer
    match_subclasses = True

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_basic_serializer(self.target, direction)
        properties = schema.get("properties", {})
        given = {"type": "string", "minLength": 1, "pattern": r"\S"}

        def branch(required: str, leaves_out: tuple[str, ...]) -> dict:
            return {"type": "object", "required": [required],
                    "properties": {**{k: v for k, v in properties.items() if k not in leaves_out},
                                   required: {**properties.get(required, {}), **given}}}

        return {"oneOf": [branch("line1", ("electronic_type", "electronic_data")),
                          branch("electronic_data", AddressSerializer.POSTAL)],
                "description": (self.target.__doc__ or "").strip()}


class DeliveryAddressSerializer(AddressSerializer):
    """Where to send the item (ISO 18626 ``requestedDeliveryInfo``), and how, when you say."""

    delivery_method = _optional_text(50, "E.g. `Mail`, `Courier`, `InNetworkDelivery`.")
    courier_name = _optional_text(50)


class RequestingAgencySerializer(serializers.Serializer):
    """Who asks (ISO 18626 ``requestingAgencyInfo``): your library's name, its contact and addresses."""

    name = _optional_text(200, "Your library's name.")
    contact_name = _optional_text(200, "Who our staff contact about this request.")
    addresses = AddressSerializer(many=True, required=False,
                                  help_text="Its addresses: postal, e-mail, in your order.")


class BillingSerializer(serializers.Serializer):
    """Who pays (ISO 18626 ``billingInfo``)."""

    billing_name = _optional_text(200, "Who the invoice is made out to.")
    billing_method = _optional_text(50, "E.g. `Invoice`, `IFM`, `Account`.")
    payment_method = _optional_text(50)
    address = AddressSerializer(required=False, help_text="Where the invoice goes.")


class ActiveMemberField(serializers.SlugRelatedField):
    """An active member library by its symbol, looked up in the process's cache of them (``members.py``) rather
    than by a query per call; the queryset still tells the schema and the browsable API what may be given."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, str | int):
            self.fail("invalid")
        library = active_member(str(data))
        if library is None:
            self.fail("does_not_exist", slug_name=self.slug_field, value=str(data))
        return library


class RequestCreateSerializer(ModelSerializer):
    """A partner's request to borrow from one of our member libraries (ISO 18626 `request` semantics).

    Unknown fields are ignored; ``status`` cannot be set. Identifiers are normalised
    (ISBN-13 without hyphens, ``NNNN-NNNC``, a DOI in its own case) and each bad one is reported on its field.
    """

    supplying_library = ActiveMemberField(
        slug_field="symbol", queryset=Library.objects.filter(is_member=True, active=True),
        help_text="Symbol of the member library asked to lend (see `/api/v1/libraries/`).",
    )
    requesting_agency_request_id = TextField(
        min_length=1, max_length=64, validators=[NOT_ONLY_SPACES],
        help_text="Your own id for this request. Sending the same id again returns the same request.",
    )
    # Wider than the stored columns: what people type (hyphens, prefixes) is normalised below.
    isbn = IdentifierField("isbn", 40, "ISBN-10 or ISBN-13, with or without hyphens or an `urn:isbn:` prefix; "
                                       "its check digit must be right. Stored as ISBN-13.")
    issn = IdentifierField("issn", 20, "`NNNN-NNNC`, with or without the hyphen; its check digit must be right.")
    oclc_number = IdentifierField("oclc-number", 40, "Up to twelve digits, with or without `ocm`, `ocn`, `on` or "
                                                     "`(OCoLC)` before them.")
    doi = IdentifierField("doi", 200, "`10.` a registrant code, a slash and the suffix, with or without `doi:` or "
                                      "`https://doi.org/` before it.")
    pmid = IdentifierField("pmid", 40, "A PubMed id: up to nine digits, with or without `pmid:` before them.")
    max_cost = AmountField(required=False, help_text="The most you accept to pay, in `max_cost_currency`; "
                                                     "null: no limit stated.")
    max_cost_currency = TextField(required=False, max_length=3, validators=[CURRENCY_CODE],
                                  help_text="The ISO 4217 code of `max_cost` (default USD).")
    note = TextField(required=False, allow_blank=True, max_length=2000, write_only=True,
                     help_text="A note for our lending staff, kept in the request's history.")
    # What an ISO 18626 request says of the requesting library: kept beside the request, shown on our desk.
    ship_to = DeliveryAddressSerializer(
        many=True, required=False,
        help_text="Where to ship, in your order of preference: the first postal address is printed on our "
                  "shipping label and pull slip (none: the address of your directory entry).")
    requesting_agency = RequestingAgencySerializer(required=False)
    billing = BillingSerializer(required=False)
    service_level = _optional_text(50, "How soon, e.g. `Normal`, `Rush`: our desk marks a rush request.")

    #: The fields kept as the requester's details (``requester.keep_given_details``), not on the request row.
    DETAIL_FIELDS = ("ship_to", "requesting_agency", "billing", "service_level")

    class Meta:
        model = IllRequest
        fields = ["supplying_library", "requesting_agency_request_id", "service_type", "copyright_compliance",
                  *CITATION_FIELDS, "note", "ship_to", "requesting_agency", "billing", "service_level"]
        extra_kwargs = {"service_type": {"required": True},
                        # Text that is only spaces is blank once trimmed: the document says so with its pattern.
                        "title": {"min_length": 1, "validators": [NOT_ONLY_SPACES]}}

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        cleaned, errors = identifiers.normalize_identifiers(
            {field: attrs[field] for field in identifiers.NORMALIZERS if attrs.get(field)})
        if errors:
            raise serializers.ValidationError({field: exc.messages for field, exc in errors.items()})
        return {**attrs, **cleaned}

    @staticmethod
    def requester_details(details: dict[str, Any]) -> dict[str, Any]:
        """The popped ``DETAIL_FIELDS`` as ``keep_given_details`` takes them (the codec's records)."""
        address = AddressSerializer()
        ship_to = tuple(
            m.RequestedDeliveryInfo(
                sort_order=position, address=address.message_address(item),
                delivery_method=m.TypedValue(value=item["delivery_method"]) if item.get("delivery_method") else None,
                courier_name=m.TypedValue(value=item["courier_name"]) if item.get("courier_name") else None)
            for position, item in enumerate(details.get("ship_to") or []))
        agency = details.get("requesting_agency")
        billing = details.get("billing")
        return {
            "delivery_infos": ship_to,
            "agency": m.RequestingAgencyInfo(
                name=agency.get("name") or None, contact_name=agency.get("contact_name") or None,
                addresses=tuple(address.message_address(a) for a in agency.get("addresses") or [])
            ) if agency else None,
            "billing": m.BillingInfo(
                billing_name=billing.get("billing_name") or None,
                billing_method=m.TypedValue(value=billing["billing_method"]) if billing.get("billing_method") else None,
                payment_method=m.TypedValue(value=billing["payment_method"]) if billing.get("payment_method") else None,
                address=address.message_address(billing["address"]) if billing.get("address") else None,
            ) if billing else None,
            "service_level": m.TypedValue(value=details["service_level"]) if details.get("service_level") else None,
        }


@extend_schema_field({
    "type": "object",
    # A date, or empty or null for none.
    "properties": {key: {"anyOf": [{"type": "string", "format": "date", "nullable": True},
                                   {"type": "string", "enum": [""]}]} for key in DATE_DATA_KEYS},
    "additionalProperties": {"anyOf": [{"type": "string", "nullable": True}, {"type": "number"},
                                       {"type": "boolean"}]},
})
class ActionDataField(serializers.DictField):
    """An action's ``data``: plain values by key, the dates among them as ``YYYY-MM-DD``."""


class ActionSerializer(serializers.Serializer):
    """The body of an action: all optional."""

    note = TextField(required=False, allow_blank=True, default="", max_length=2000,
                                 help_text="Why, for the history (and the partner, when the action tells it).")
    expected_status = TextField(
        required=False, allow_blank=True, max_length=32,
        help_text="The status you saw; if the request has moved on since, the action is refused with 409 "
                  "`conflict` instead of applied to a state you did not see. Empty: not checked.",
    )
    data = ActionDataField(
        required=False, default=dict,
        help_text="What the action carries, as plain values. A staff action asked with a form at the desk "
                  "(`ship`, `unfill`, `offer_conditions`, `answer_renewal`, `clear_copyright`, "
                  "`cancel_owned_locally`) takes that form's fields, listed in this operation's description "
                  "(e.g. `ship`: `shipping_method`, `carrier`, `tracking_number`, `due_date`). The others: "
                  "`due_date` (YYYY-MM-DD; e.g. `lender_shipped`, `lender_renewal_answer`, `lender_recalled`), "
                  "`answer` (`Y`/`N`, renewal answers), `patron_due_date` (staff `check_out`); for the message "
                  "to the partner: `tracking_number`, `carrier`, `shipping_method`, `item_id`, `url`, "
                  "`reason_unfilled`.",
    )

    def validate_data(self, data: dict[str, Any]) -> dict[str, Any]:
        errors, result = {}, dict(data)
        for key, value in result.items():
            if not isinstance(value, str | int | float | bool) and value is not None:
                errors[key] = [gettext("Must be a plain value (text, number, true/false or null).")]
        for key in DATE_DATA_KEYS:
            if key in errors:
                continue
            if result.get(key) in (None, ""):
                continue
            try:
                result[key] = serializers.DateField().to_internal_value(result[key])
            except serializers.ValidationError as exc:
                errors[key] = exc.detail
        if errors:
            raise serializers.ValidationError(errors)
        return result

    def validate_expected_status(self, value: str) -> str | None:
        return value or None


# Notes --------------------------------------------------------------------------------------

class NoteSerializer(ModelSerializer):
    author = serializers.SerializerMethodField(help_text="Partners read a library symbol; staff a person's name.")

    class Meta:
        model = Note
        fields = ["id", "text", "visibility", "author", "created_at"]
        read_only_fields = fields

    def get_author(self, note: Note) -> str:
        if note.author_library_id:
            return note.author_library.symbol
        if self.context["caller"].is_partner or note.author is None:
            return self.context["ill_request"].library.symbol
        return note.author.get_full_name() or note.author.get_username()


class NoteCreateSerializer(serializers.Serializer):
    text = TextField(min_length=1, max_length=10000, validators=[NOT_ONLY_SPACES],
                                 help_text="The note: not empty, not only spaces.")
    visibility = serializers.ChoiceField(
        choices=NoteVisibility.choices, default=NoteVisibility.INTERNAL,
        help_text="Staff only (default `internal`). A partner's note is always `partner`: this field is ignored.",
    )
