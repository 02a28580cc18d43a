"""The URL configuration walked pattern by pattern, for tests that must cover every address."""

from __future__ import annotations

import os
import re
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

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


#: Addresses a crawl of the pages never follows: signing out, Django's admin and the API's own pages
#: (Django's and DRF's, not ours), and files.
CRAWL_SKIPS = ("/accounts/logout", "/admin/", "/api/", "/static/", "/media/")


def page_kind(path: str) -> str:
    """What stands for all pages of one kind: numbers left out of the path, only the names of the query.

    ``/borrowing/requests/12/?tab=history`` and ``/borrowing/requests/7/?tab=notes`` are one kind.
    """
    address, _, query = path.partition("?")
    names = sorted({part.partition("=")[0] for part in query.split("&") if part})
    return re.sub(r"/\d+(?=/|$)", "/N", re.sub(r"[0-9a-f]{8}-[0-9a-f-]{27}", "U", address)) + (
        "?" + "&".join(names) if names else "")


class LinkCrawl:
    """The pages of one site reached link by link from its home page, one page of each kind, breadth first.

    Iterating yields the paths to open; ``add_links`` gives it the links a page holds.
    """

    def __init__(self, base_url: str, start: str = "/", skips: tuple[str, ...] = CRAWL_SKIPS) -> None:
        self.base = urlsplit(base_url)
        self.skips = skips
        self.queue: deque[str] = deque([start])
        self.kinds: set[str] = {page_kind(start)}
        self.linked_from: dict[str, str] = {start: "(start)"}
        self.visited = 0

    def __iter__(self) -> Iterator[str]:
        while self.queue:
            self.visited += 1
            yield self.queue.popleft()

    def also(self, paths: list[str], why: str) -> None:
        """Open these pages too, whatever their kind (one request page per state shows each state's forms)."""
        for path in paths:
            if path not in self.linked_from:
                self.kinds.add(page_kind(path))
                self.linked_from[path] = why
                self.queue.append(path)

    def found_on(self, path: str) -> str:
        return self.linked_from.get(path, "?")

    def add_links(self, on: str, links: list[str]) -> None:
        for link in links:
            address = urlsplit(link)
            if address.scheme not in {"http", "https"} or address.netloc != self.base.netloc:
                continue
            path = address.path + (f"?{address.query}" if address.query else "")
            if path.startswith(self.skips):
                continue
            kind = page_kind(path)
            if kind not in self.kinds:
                self.kinds.add(kind)
                self.linked_from[path] = on
                self.queue.append(path)

    @staticmethod
    def file_name(path: str) -> str:
        """A file name for a page's screenshot, from its address."""
        return re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-")[:120] or "home"


def screenshot_folder() -> Path:
    """Where tests save their screenshots of pages: ILLMS_SCREENSHOT_DIR, by default var/screenshots/."""
    default = Path(__file__).resolve().parent.parent / "var" / "screenshots"
    return Path(os.environ.get("ILLMS_SCREENSHOT_DIR") or default)
