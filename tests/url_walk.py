"""The URL configuration walked pattern by pattern, for tests that must cover every address."""

from __future__ import annotations

from collections.abc import Iterator

from django.urls import URLPattern, URLResolver, get_resolver


def url_patterns(resolver: URLResolver | None = None, prefix: str = "", namespace: str = ""
                 ) -> Iterator[tuple[str, str, URLPattern]]:
    """Every pattern of the URL configuration as (namespaced name, route, pattern)."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from url_patterns(entry, route, inner)
        else:
            yield (f"{namespace}{entry.name}" if entry.name else "", route, entry)
