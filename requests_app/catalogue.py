"""What a member library holds, asked by the borrowing side without importing lending.

The lending app owns the holdings and registers a finder here in its ``AppConfig.ready``;
the borrowing side asks ``owned_items`` before a patron's request is created, so a patron
is pointed to the copy on our own shelves instead of waiting for another library's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .models import Library


@dataclass(frozen=True)
class OwnedItem:
    title: str
    call_number: str
    location: str
    #: False when the library lists the item but does not let it circulate.
    circulates: bool


Finder = Callable[..., list[OwnedItem]]
_finders: list[Finder] = []


def register_finder(finder: Finder) -> None:
    """Add ``finder(library=..., citation=...) -> list[OwnedItem]`` (idempotent)."""
    if finder not in _finders:
        _finders.append(finder)


def owned_items(*, library: Library, citation: Mapping[str, Any]) -> list[OwnedItem]:
    """The items ``library`` holds that match ``citation`` (identifiers first, then title and author)."""
    return [item for finder in _finders for item in finder(library=library, citation=citation)]
