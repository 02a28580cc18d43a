"""What a serving process does once the application is loaded, before its first request.

``freeze_heap``: the objects the start-up made (modules, classes, URL patterns, templates, translations: about
200,000 of them) live as long as the process. Python's collector of reference cycles still walks every one of them
at each full collection, which a page building a few tens of thousands of objects (a large library's statistics)
sets off every other request: measured at 1M requests, 130–140 ms of a 250 ms page. ``gc.freeze()`` moves them out
of the collector's sight for good (the technique Instagram published for its Django servers); what requests make is
collected as before. It is called by ``illms.wsgi`` (each gunicorn worker) and by the benchmark, which measures the
shipped configuration.
"""

from __future__ import annotations

import gc


def freeze_heap() -> int:
    """Load the URL configuration (and so every view's module), collect what start-up left as garbage, then freeze
    the rest; the number of objects now frozen."""
    from django.urls import get_resolver

    _views = get_resolver().url_patterns  # noqa: F841 (loading them is the point)
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
