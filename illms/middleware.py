"""Middleware of the whole site."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse

NUL_MESSAGE = "The address holds a NUL character (%00), which no search or filter here accepts."


class RefuseNulInQueryString:
    """Answers 400 to a query string that holds a NUL character, before any view reads it.

    No page of ours takes one, and PostgreSQL can neither store nor compare it: a search or a filter
    that passed it on to a query answered 500. Forms check their own fields (Django's text fields
    refuse NUL); this covers the parameters views read directly (``?q=``, ``?partner=``, ``?patron=``).
    """

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in request.META.get("QUERY_STRING", "") or any(
                "\x00" in key or any("\x00" in value for value in values) for key, values in request.GET.lists()):
            if request.path.startswith("/api/"):
                return JsonResponse({"code": "invalid", "message": NUL_MESSAGE}, status=400)
            return HttpResponseBadRequest(NUL_MESSAGE, content_type="text/plain; charset=utf-8")
        return self.get_response(request)
