"""``GET /api/v1/holdings/``: can one of our member libraries lend this? Answered from the holdings.

Partners (API key) and staff (session) look up by ISBN, ISSN or OCLC number; the answer
lists the lendable holdings of our active member libraries, with what each may be
supplied as (loan, copy). Item barcodes are never shown.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from requests_app import identifiers
from requests_app.partners.api import schema
from requests_app.partners.api.document_fields import ModelSerializer
from requests_app.partners.api.errors import invalid_body
from requests_app.partners.api.permissions import IsPartnerOrStaff

from ..models import Holding

#: The most holdings one look-up answers with.
LIMIT = 50
#: Parameter: (holding field, normaliser, the OpenAPI format the request body's field names too).
LOOKUPS = {"isbn": ("isbn", identifiers.normalize_isbn, "isbn"), "issn": ("issn", identifiers.normalize_issn, "issn"),
           "oclc": ("oclc_number", identifiers.normalize_oclc_number, "oclc-number")}


class HoldingAvailabilitySerializer(ModelSerializer):
    library = serializers.CharField(source="library.symbol")
    library_name = serializers.CharField(source="library.name")
    supplied_as = serializers.SerializerMethodField()

    class Meta:
        model = Holding
        fields = ["library", "library_name", "title", "author", "isbn", "issn", "oclc_number", "format",
                  "call_number", "location", "circulates", "copyable", "supplied_as"]
        read_only_fields = fields

    def get_supplied_as(self, holding: Holding) -> list[str]:
        offers = []
        if holding.circulates and holding.library.lends_loans:
            offers.append("Loan")
        if holding.copyable and holding.library.lends_copies:
            offers.append("Copy")
        return offers


class HoldingsAvailability(APIView):
    permission_classes = [IsPartnerOrStaff]

    @extend_schema(
        summary="Look up whether our member libraries hold an item they would lend",
        description="Give one or more identifiers; the holdings matching all of them are listed (at most "
                    f"{LIMIT}). With none, nothing is looked up and the list is empty.",
        parameters=[OpenApiParameter(name, {"type": "string", "format": schema_format},
                                     description=f"{name.upper()} of the item (any usual form; see the request "
                                                 f"body's `{field}`)")
                    for name, (field, _, schema_format) in LOOKUPS.items()],
        responses={200: HoldingAvailabilitySerializer(many=True), **schema.COMMON,
                   400: schema.error("An identifier that is not valid (a wrong check digit, say).", "invalid",
                                     "An identifier is not valid.")},
    )
    def get(self, request):
        filters, errors = {}, {}
        for param, (field, normalize, _) in LOOKUPS.items():
            value = request.query_params.get(param, "").strip()
            if not value:
                continue
            try:
                filters[field] = normalize(value[:100])
            except ValidationError as exc:
                errors[param] = exc.messages
        if errors:
            return Response(invalid_body(errors, gettext("An identifier is not valid.")),
                            status=status.HTTP_400_BAD_REQUEST)
        if not filters:
            return Response([])
        holdings = (Holding.objects.filter(lendable=True, library__is_member=True, library__active=True, **filters)
                    .select_related("library").order_by("library__symbol", "title", "pk")[:LIMIT])
        return Response(HoldingAvailabilitySerializer(holdings, many=True).data)
