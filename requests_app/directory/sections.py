"""Rows the sides add to a partner's directory page without the core importing them.

Lending registers what it lends to one partner when that differs from what it lends to everyone (its
per-partner lending rule); each provider answers ``(library, partner) -> PartnerSection | None``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ..models import Library


@dataclass(frozen=True)
class PartnerSection:
    heading: str
    rows: list[tuple[str, str]] = field(default_factory=list)
    edit_url: str = ""
    edit_permission: str = ""


Provider = Callable[[Library, Library], "PartnerSection | None"]
_providers: list[Provider] = []


def register_section(provider: Provider) -> None:
    if provider not in _providers:
        _providers.append(provider)


def sections_for(library: Library, partner: Library) -> list[PartnerSection]:
    return [s for provider in _providers if (s := provider(library, partner)) is not None]
