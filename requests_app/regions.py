"""Countries and regions a member library prefers to borrow from: the rota's country part (docs/sourcing.md).

A preference is a map ``{code: points}``; a code is ``own`` (the library's own country), an ISO 3166-1
alpha-2 country code (``CA``) or one of ``REGIONS`` (``EU``). A lender gets the points of one code, the
most precise that names its country, never a sum: its country code, else ``own``, else the region giving
the most points (``own = 10`` and ``EU = 4`` give a German lender of a German library 10, not 14; ``DE =
-5`` beside them gives it −5). Negative points push a country down (postage, customs). Written on the
policy page as one ``code = points`` a line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

from .utilities.setting_lines import setting_lines

OWN = "own"

_EU = ("AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IT", "LT", "LU",
       "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK")

#: Region code → (name, its countries).
REGIONS: dict[str, tuple[str, frozenset[str]]] = {
    "EU": ("the European Union", frozenset(_EU)),
    "EEA": ("the European Economic Area", frozenset([*_EU, "IS", "LI", "NO"])),
    "DACH": ("Germany, Austria and Switzerland", frozenset({"DE", "AT", "CH"})),
    "NORDIC": ("the Nordic countries", frozenset({"DK", "FI", "IS", "NO", "SE"})),
    "BENELUX": ("Belgium, the Netherlands and Luxembourg", frozenset({"BE", "NL", "LU"})),
    "UKI": ("the United Kingdom and Ireland", frozenset({"GB", "IE"})),
    "NA": ("North America (Canada, Mexico, the United States)", frozenset({"CA", "MX", "US"})),
    "ANZ": ("Australia and New Zealand", frozenset({"AU", "NZ"})),
}

#: The most points one line may give or take.
MAX_POINTS = 50
MAX_LINES = 60
_LINE = re.compile(r"^\s*([A-Za-z]{2,7})\s*[=:]\s*([+-]?\d{1,3})\s*$")


@dataclass(frozen=True)
class Preference:
    """The country part of one lender's score: its points and the sentence that says why."""

    points: float
    reason: str


def parse_preferences(text: str) -> dict[str, int]:
    """``"own = 10\\nEU = 4"`` → ``{"own": 10, "EU": 4}``; raises ``ValueError`` saying the first bad line.

    Blank lines and ``#`` comments are skipped; codes are read in any case.
    """
    found: dict[str, int] = {}
    lines = list(setting_lines(text))
    if len(lines) > MAX_LINES:
        raise ValueError(_("At most %(count)d lines.") % {"count": MAX_LINES})
    for number, line in lines:
        match = _LINE.match(line)
        if match is None:
            raise ValueError(_("Line %(number)d: write a country or region code, “=” and points, e.g. "
                               "“CA = 5”.") % {"number": number})
        code, points = match.group(1), int(match.group(2))
        code = OWN if code.lower() == OWN else code.upper()
        if code != OWN and code not in REGIONS and not re.fullmatch(r"[A-Z]{2}", code):
            raise ValueError(_("Line %(number)d: “%(code)s” is neither “own”, a two-letter country code nor "
                               "a region (%(regions)s).") % {"number": number, "code": code,
                                                             "regions": ", ".join(REGIONS)})
        if abs(points) > MAX_POINTS:
            raise ValueError(_("Line %(number)d: points are between −%(max)d and %(max)d.")
                             % {"number": number, "max": MAX_POINTS})
        if code in found:
            raise ValueError(_("Line %(number)d: %(code)s is named twice.") % {"number": number, "code": code})
        found[code] = points
    return found


def format_preferences(preferences: dict[str, int]) -> str:
    """The policy page's text for ``preferences`` (what ``parse_preferences`` reads back)."""
    return "\n".join(f"{code} = {points}" for code, points in (preferences or {}).items())


def preference_for(country: str, *, home_country: str, preferences: dict[str, int]) -> Preference | None:
    """The country part for a lender in ``country`` (``None`` when no code of ``preferences`` names it)."""
    country, home = (country or "").upper(), (home_country or "").upper()
    if not country:
        return None
    if country in preferences:
        points = preferences[country]
        text = _("in %(country)s, a preferred country") if points >= 0 else _("in %(country)s, a less preferred "
                                                                               "country")
        return Preference(float(points), text % {"country": country})
    if OWN in preferences and country == home:
        return Preference(float(preferences[OWN]), _("in our country (%(country)s)") % {"country": home})
    regions = [(points, code) for code, points in preferences.items()
               if code in REGIONS and country in REGIONS[code][1]]
    if not regions:
        return None
    points, code = max(regions)
    text = _("in %(region)s (%(country)s), a preferred region (%(code)s)") if points >= 0 else _(
        "in %(region)s (%(country)s), a less preferred region (%(code)s)")
    return Preference(float(points), text % {"region": REGIONS[code][0], "country": country, "code": code})
