"""Partners read and download their own invoices under /api/v1/invoices/.

Another partner's invoice, or a draft, answers 404: nobody learns what exists.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.decorators import action

from requests_app.partners.api import schema
from requests_app.partners.api.authentication import partner_library
from requests_app.partners.api.pagination import CheckedCursorPagination
from requests_app.partners.api.permissions import IsPartner
from requests_app.utilities.ids import PATH_KEY_PATTERN

from .. import selectors
from ..models import Invoice
from ..views import pdf_response
from .serializers import InvoiceSerializer


class InvoiceCursorPagination(CheckedCursorPagination):
    ordering = ("-created_at", "-pk")


NOT_FOUND = schema.error("No such invoice of yours (another partner's invoice answers 404 too).", "not_found",
                         "Not found.")


@extend_schema_view(
    list=extend_schema(summary="The caller's invoices and credit notes from our member libraries, newest first",
                       description="Partners only (API key). Drafts are not shown. Follow `next` (cursor).",
                       responses={200: InvoiceSerializer(many=True), **schema.COMMON}),
    retrieve=extend_schema(summary="One of the caller's invoices, with its lines",
                           responses={200: InvoiceSerializer, **schema.COMMON, 404: NOT_FOUND}),
)
@extend_schema(tags=["invoices"])
class InvoiceViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    permission_classes = [IsPartner]
    serializer_class = InvoiceSerializer
    pagination_class = InvoiceCursorPagination
    filter_backends: list = []
    lookup_field = "number"
    lookup_value_regex = PATH_KEY_PATTERN

    def get_queryset(self):
        library = partner_library(self.request)
        if library is None:  # schema generation
            return Invoice.objects.none()
        return selectors.partner_invoices(partner=library)

    @extend_schema(summary="The invoice as PDF", responses={
        (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The PDF."),
        **schema.COMMON, 404: NOT_FOUND})
    @action(detail=True, methods=["get"], url_path="pdf")
    def pdf(self, request, number=None):
        return pdf_response(self.get_object())
