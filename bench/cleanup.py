"""What the write measures added, taken out again before the next size grows.

The partner API's create, the ISO 18626 intake and the raw insert ceilings write lending requests for the largest
member library as fast as they can: tens of thousands a size, all left in "new". Kept, they would be measured by
the next size's staff pages as that library's lending queue and dashboard (80,000 open requests where the
generated history has a few hundred) and by the nightly jobs. Each size's write measures therefore run between a
look at the last request id and the removal of every request written after it, with what hangs off them
(events, inbound and outbound messages, lending details…), through the ORM's cascade.
"""

from __future__ import annotations

import time

from django.db.models import Max


def last_request_id() -> int:
    from requests_app.models import IllRequest

    return IllRequest.objects.aggregate(last=Max("pk"))["last"] or 0


def remove_requests_after(last: int) -> dict:
    """Delete every request with an id above ``last``, with all that refers to it; the counts by model."""
    from requests_app.models import IllRequest

    started = time.perf_counter()
    removed, by_model = IllRequest.objects.filter(pk__gt=last).delete()
    return {"after": last, "requests_removed": by_model.get("requests_app.IllRequest", 0), "rows_removed": removed,
            "seconds": round(time.perf_counter() - started, 1)}
