"""Printing pull slips and labels: the PDF, and the workflow step "pull slip printed"."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext

from requests_app.models import IllRequest, Library
from requests_app.services import perform
from requests_app.workflow import Actor, WorkflowError

from .. import pdf, selectors
from ..states import LendingStatus


@dataclass
class PrintResult:
    pdf: bytes
    printed: list[IllRequest] = field(default_factory=list)
    failures: list[tuple[str, str]] = field(default_factory=list)


def print_pull_slips(*, library: Library, request_ids: list[int], actor: Actor) -> PrintResult:
    """Pull slips for ``request_ids``; each one still ``new`` moves to "awaiting picking" through the workflow.

    A request that cannot move (another person printed it, it was cancelled) is reported in
    ``failures`` as ``(number, reason)`` and still printed if it is ours. Raises
    ``WorkflowError('invalid')`` when nothing is selected.
    """
    requests = list(selectors.requests_for_printing(library=library, ids=request_ids))
    if not requests:
        raise WorkflowError("invalid", gettext("Select at least one of our lending requests to print."))
    result = PrintResult(pdf=b"")
    for r in requests:
        if r.status != LendingStatus.NEW:
            continue
        try:
            perform(request=r, action="print_pull_slip", actor=actor)
        except WorkflowError as exc:
            result.failures.append((r.number, exc.message))
        else:
            result.printed.append(r)
    result.pdf = pdf.pull_slips(requests)
    return result


def shipping_labels(*, library: Library, request_ids: list[int]) -> bytes:
    requests = list(selectors.requests_for_printing(library=library, ids=request_ids))
    if not requests:
        raise WorkflowError("invalid", gettext("Select at least one of our lending requests."))
    return pdf.shipping_labels(requests)
