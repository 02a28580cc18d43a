"""The borrower's download link: no login (the token is the secret), counted, logged, expiring."""

from __future__ import annotations

from django.core.files.storage import default_storage
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from ..services.edelivery import claim_download


@never_cache
@require_GET
def download(request: HttpRequest, token: str) -> HttpResponse:
    delivery = claim_download(token=token, ip=request.META.get("REMOTE_ADDR"),
                              user_agent=request.META.get("HTTP_USER_AGENT", ""))
    if delivery is None or not default_storage.exists(delivery.file.name):
        return render(request, "lending/delivery_gone.html", status=410)
    response = FileResponse(default_storage.open(delivery.file.name, "rb"), content_type="application/pdf",
                            as_attachment=True, filename=f"{delivery.request.number}.pdf")
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "no-referrer"
    return response
