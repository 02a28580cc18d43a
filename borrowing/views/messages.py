"""The patron writes to the ILL office from their request page (a short form, POST only)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from requests_app import messaging
from requests_app.desk_views import run_action
from requests_app.models import IllRequest

from ..forms import PatronMessageForm
from .patron import patron_required


@patron_required
@require_POST
def write_to_staff(request: HttpRequest, pk: int) -> HttpResponse:
    """Post the patron's message on their own request (404 for anyone else's), then back to the request."""
    try:
        ill_request = IllRequest.objects.for_patron(request.user).get(pk=pk)
    except IllRequest.DoesNotExist:
        raise Http404("No such request.") from None
    form = PatronMessageForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(reverse("patron-request", args=[pk]) + "#write")
    return run_action(
        request, lambda: messaging.write_patron_note(request=ill_request, patron=request.user,
                                                     text=form.cleaned_data["text"]),
        back=reverse("patron-request", args=[pk]) + "#messages",
        done="Your message was sent to the interlibrary loan office.")
