"""The REST API under /api/v1/: thin views over the selectors and services.

Partners (``Authorization: Bearer <key>``) read and act on the requests between them and
us; staff (session) on their member library's requests of the sides they work. A request
outside the caller's scope answers 404, never 403, so nobody learns what exists.
"""

from __future__ import annotations

import contextlib

from django.db import transaction
from django.http import HttpRequest, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.csrf import csrf_exempt
from django_filters.utils import translate_validation
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action as viewset_action
from rest_framework.exceptions import NotFound
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.request import Request
from rest_framework.response import Response

from requests_app import messaging, privacy, selectors, services
from requests_app.models import EventSource, IllRequest, NoteVisibility
from requests_app.partners.requester import keep_given_details
from requests_app.utilities.ids import PATH_KEY_PATTERN, parse_id

from . import schema
from .action_forms import action_arguments
from .filters import IllRequestFilterSet
from .pagination import LibraryCursorPagination, RequestCursorPagination
from .permissions import ApiCaller, IsPartner, IsPartnerOrStaff, api_caller
from .prepared_list import request_rows
from .rows_from_values import row_representation
from .serializers import (
    ActionSerializer,
    LibrarySerializer,
    NoteCreateSerializer,
    NoteSerializer,
    PartnerRequestDetailSerializer,
    PartnerRequestSerializer,
    RequestCreateSerializer,
    StaffRequestDetailSerializer,
    StaffRequestSerializer,
)


class _NoFormatOverride:
    URL_FORMAT_OVERRIDE = None


class FormatIsAFilter(DefaultContentNegotiation):
    """``?format=`` filters requests by citation format here; DRF would read it as a renderer name (and 404)."""

    settings = _NoFormatOverride()


class ApiViewSet(viewsets.GenericViewSet):
    """What every endpoint shares: who may call, how it negotiates, who the caller is."""

    permission_classes = [IsPartnerOrStaff]
    content_negotiation_class = FormatIsAFilter

    @property
    def caller(self) -> ApiCaller:
        return api_caller(self.request)

    @property
    def has_no_caller(self) -> bool:
        """Schema generation, or a renderer (the browsable API) asking before permissions refused the call."""
        return getattr(self, "swagger_fake_view", False) or api_caller(self.request) is None


# Directory ---------------------------------------------------------------------------------

@extend_schema_view(
    list=extend_schema(summary="Our member libraries and their lending policies",
                       responses={200: LibrarySerializer(many=True), **schema.COMMON}),
    retrieve=extend_schema(summary="One member library's directory entry",
                           responses={200: LibrarySerializer, **schema.COMMON,
                                      404: schema.error("No active member library has this symbol.", "not_found",
                                                        "Not found.")}),
)
@extend_schema(tags=["directory"])
class LibraryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = LibrarySerializer
    pagination_class = LibraryCursorPagination
    filter_backends: list = []
    lookup_field = "symbol"
    lookup_value_regex = PATH_KEY_PATTERN

    def get_queryset(self):
        return selectors.member_directory()


# Requests ----------------------------------------------------------------------------------

REQUEST = PolymorphicProxySerializer(
    component_name="Request", serializers=[PartnerRequestSerializer, StaffRequestSerializer],
    resource_type_field_name=None,
)
REQUEST_DETAIL = PolymorphicProxySerializer(
    component_name="RequestDetail", serializers=[PartnerRequestDetailSerializer, StaffRequestDetailSerializer],
    resource_type_field_name=None,
)
ACTION_PARAMETER = OpenApiParameter(
    "action", OpenApiTypes.STR, OpenApiParameter.PATH,
    description="A workflow action, e.g. `borrower_received`, `lender_shipped`: the detail's `actions` lists "
                "the ones the caller may perform now. An action that does not exist answers 404.",
)
NOTES_FOR_WHOM = ("Partners read the notes we addressed to partners and their own; staff read every note.")


@extend_schema_view(
    list=extend_schema(
        summary="The requests between the caller and us",
        description="Partners: every request between their library and our member libraries, both sides "
                    "(`role` is OUR side). Staff: their library's requests of the sides they work. "
                    "Most recently changed first; follow `next` (cursor pagination).",
        responses={200: REQUEST, 400: schema.INVALID, **schema.COMMON,
                   404: schema.error("The cursor is not valid.", "not_found", "Invalid cursor")},
    ),
    retrieve=extend_schema(summary="One request with the actions the caller may perform and its history",
                           responses={200: REQUEST_DETAIL, **schema.COMMON, 404: schema.NOT_FOUND}),
    create=extend_schema(
        summary="Ask one of our member libraries to lend (partners only)",
        description="Idempotent on `requesting_agency_request_id`: sending the same request again returns the "
                    "existing request with 200 instead of creating another (201); the same id with other values "
                    "(a field sent that differs from the request received) is refused with 409 `conflict`, naming "
                    "the existing request.",
        request=RequestCreateSerializer,
        responses={201: PartnerRequestDetailSerializer,
                   200: OpenApiResponse(PartnerRequestDetailSerializer,
                                        description="This id was received before: the existing request."),
                   400: schema.INVALID, 401: schema.UNAUTHENTICATED, 429: schema.THROTTLED,
                   403: schema.error("Only partner libraries create requests here.", "permission_denied",
                                     "Only partner libraries create requests here."),
                   409: schema.error("This requesting_agency_request_id was received before with other values.",
                                     "conflict", "Request L3 was received with this requesting_agency_request_id "
                                     "and other values (title): use a new id for a new request.")},
    ),
)
@extend_schema(tags=["requests"])
class RequestViewSet(ApiViewSet):
    filterset_class = IllRequestFilterSet
    pagination_class = RequestCursorPagination
    queryset = IllRequest.objects.none()  # the real one depends on the caller: get_queryset

    def get_permissions(self):
        if self.action == "create":
            return [IsPartner()]
        return super().get_permissions()

    def get_queryset(self):
        if self.has_no_caller:
            return IllRequest.objects.none()
        return self.caller.requests()

    def get_serializer_class(self):
        if self.has_no_caller:
            return PartnerRequestSerializer
        if self.action == "list":
            return PartnerRequestSerializer if self.caller.is_partner else StaffRequestSerializer
        return PartnerRequestDetailSerializer if self.caller.is_partner else StaffRequestDetailSerializer

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "caller": self.caller}

    def get_ill_request(self, pk) -> IllRequest:
        """The request ``pk`` if the caller may read it, with its history; else 404."""
        number = parse_id(pk)
        found = selectors.with_history(self.get_queryset()).filter(pk=number).first() if number else None
        if found is None:
            raise NotFound(gettext("There is no such request between you and us."))
        return found

    def detail_response(self, ill_request: IllRequest, status_code: int = status.HTTP_200_OK,
                        headers: dict | None = None) -> Response:
        fresh = self.get_ill_request(ill_request.pk)
        return Response(self.get_serializer(fresh).data, status=status_code, headers=headers)

    def list(self, request: Request) -> Response:
        # The rows come from values() and the serializer's cached row representation: the same JSON as
        # serializer.data, without a model instance per row (rows.py says why).
        # The query is prepared once per shape (prepared_list.py): the filters are checked here, as django-filter's
        # backend checks them, and applied by the prepared query.
        representation = row_representation(self.get_serializer_class())
        page = self.paginate_queryset(request_rows(caller=self.caller, filterset_class=self.filterset_class,
                                                   filters=self.valid_filters(), representation=representation))
        return self.get_paginated_response(representation(page))

    def valid_filters(self) -> dict:
        """The list's filters read from the query string, cleaned; a bad value answers 400 as django-filter's backend
        does (its one backend here: ``DjangoFilterBackend``)."""
        form = self.filterset_class.parameters_form(self.request.query_params)
        if not form.is_valid():
            raise translate_validation(form.errors)
        return form.cleaned_data

    def retrieve(self, request: Request, pk=None) -> Response:
        ill_request = self.get_ill_request(pk)
        if not self.caller.is_partner:
            privacy.log_patron_access(request.user, request=ill_request, what="staff API request detail",
                                      path=request.path)
        return Response(self.get_serializer(ill_request).data)

    def create(self, request: Request) -> Response:
        body = RequestCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        fields = dict(body.validated_data)
        library = fields.pop("supplying_library")
        details = {name: fields.pop(name) for name in RequestCreateSerializer.DETAIL_FIELDS if name in fields}
        # A request without details stays at the intake's own queries; with them, both are written or neither.
        with transaction.atomic() if details else contextlib.nullcontext():
            # The same service the ISO 18626 door uses (lending.services.receive_request delegates to it; the
            # core does not import the lending app).
            ill_request, created = services.receive_partner_request(
                library=library, partner=self.caller.library,
                requesting_agency_request_id=fields.pop("requesting_agency_request_id"),
                source=EventSource.API, **fields,
            )
            if created and details:
                # Where to ship, who asks and who pays, kept as a partner's ISO 18626 request's are.
                keep_given_details(request=ill_request, **RequestCreateSerializer.requester_details(details))
        headers = {"Location": reverse("api:request-detail", args=[ill_request.pk])}
        if not created:
            differences = services.partner_request_differences(request=ill_request, fields=fields)
            if differences:
                return Response({
                    "code": "conflict",
                    "message": gettext("Request %(number)s was received with this requesting_agency_request_id "
                                       "and other values (%(fields)s): use a new id for a new request.") % {
                        "number": ill_request.number, "fields": ", ".join(differences)},
                    "existing": {"id": ill_request.pk, "number": ill_request.number, "url": headers["Location"]},
                    "fields": differences,
                }, status=status.HTTP_409_CONFLICT, headers=headers)
            return self.detail_response(ill_request, status.HTTP_200_OK, headers=headers)
        # 201 answers the request as it was created, from the row and the event just written, instead of reading
        # them back: what our lending desk does next (the shelf check may answer it unfilled at once) is for the
        # partner's next read, as it is over ISO 18626.
        context = {**self.get_serializer_context(), "history": [ill_request.created_event]}
        return Response(self.get_serializer(ill_request, context=context).data, status=status.HTTP_201_CREATED,
                        headers=headers)

    @extend_schema(
        summary="Perform a workflow action on a request",
        description="Performs `action` as the caller (a partner library, or a staff member) through the one "
                    "workflow service, exactly as the staff pages and ISO 18626 do, and returns the updated "
                    "request. The status changes only this way. A staff action that the desk asks with a form "
                    "takes that form's fields in `data`, checked by the same rules (each bad field answers 400 "
                    "on `data.<field>`, a field the action does not take too), and runs the same service "
                    "(shipping records its carrier and tracking number, as the desk does); the others take "
                    "`data` as plain values. The fields of each action with a form:\n\n"
                    + schema.ACTION_DATA_PLACEHOLDER,
        parameters=[ACTION_PARAMETER],
        request=ActionSerializer,
        responses={200: REQUEST_DETAIL, 400: schema.INVALID, 401: schema.UNAUTHENTICATED, 429: schema.THROTTLED,
                   403: schema.error("The action is not one this caller may perform (e.g. a staff action "
                                     "asked by a partner).", "forbidden",
                                     "“Ship” is not an action for a partner library."),
                   404: schema.error("No such request between you and us, or no such action.", "not_found",
                                     "There is no such request between you and us."),
                   409: schema.CONFLICT, 422: schema.GUARD_FAILED},
    )
    @viewset_action(detail=True, methods=["post"], url_path=r"actions/(?P<action>[^/]+)", url_name="action",
                    filter_backends=[])
    def perform_action(self, request: Request, pk=None, action=None) -> Response:
        ill_request = self.get_ill_request(pk)
        body = ActionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        actor = self.caller.actor
        transition = ill_request.workflow.transition(action)
        # Who may is answered before what was sent: a partner asking a staff action learns no form's rules.
        services.check_actor(request=ill_request, actor=actor, transition=transition)
        arguments = action_arguments(transition=transition, ill_request=ill_request,
                                     note=body.validated_data["note"], data=body.validated_data["data"],
                                     request=request)
        # The desk's own path: the transition's service with its form's arguments, or perform.
        services.perform_transition(transition=transition, request=ill_request, actor=actor, arguments=arguments,
                                    source=EventSource.API, expected_status=body.validated_data.get("expected_status"))
        return self.detail_response(ill_request)

    @extend_schema(
        methods=["GET"], summary="The notes on a request", description=NOTES_FOR_WHOM,
        responses={200: NoteSerializer(many=True), **schema.COMMON, 404: schema.NOT_FOUND},
    )
    @extend_schema(
        methods=["POST"], summary="Write a note on a request",
        description="A partner's note is addressed to our staff (visibility `partner`); staff choose the "
                    "visibility (`internal` by default).",
        request=NoteCreateSerializer,
        responses={201: NoteSerializer, 400: schema.INVALID, **schema.COMMON, 404: schema.NOT_FOUND},
    )
    @viewset_action(detail=True, methods=["get", "post"], url_path="notes", url_name="notes",
                    pagination_class=None, filter_backends=[])
    def notes(self, request: Request, pk=None) -> Response:
        ill_request = self.get_ill_request(pk)
        caller = self.caller
        context = {"caller": caller, "ill_request": ill_request}
        if request.method == "GET":
            if not caller.is_partner:
                privacy.log_patron_access(request.user, request=ill_request, what="staff API request notes",
                                          path=request.path)
            notes = selectors.request_notes(request=ill_request, partner=caller.library if caller.is_partner else None)
            return Response(NoteSerializer(notes, many=True, context=context).data)
        body = NoteCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        if caller.is_partner:
            note = services.add_note(request=ill_request, text=body.validated_data["text"],
                                     visibility=NoteVisibility.PARTNER, author_library=caller.library)
        else:
            # A staff note goes where it says: to the partner through the protocol, to the patron by e-mail.
            note = messaging.write_note(request=ill_request, text=body.validated_data["text"],
                                        visibility=body.validated_data["visibility"], author=request.user)
        return Response(NoteSerializer(note, context=context).data, status=status.HTTP_201_CREATED)


@csrf_exempt  # it changes nothing, whatever the method: a POST here is answered 404, not refused by CSRF
def not_found(request: HttpRequest, path: str = "") -> JsonResponse:
    """Any other address under /api/: a JSON 404 like every other API error."""
    return JsonResponse({"code": "not_found", "message": gettext("There is no API endpoint at this address "
                                                                 "(API addresses end with a slash).")}, status=404)
