"""The fields an identity door can fill, and the reader of a library's attribute mapping.

Django-free, so that the settings can read ``ILLMS_<DOOR>_ATTRIBUTES`` at start-up and refuse a bad one.
"""

from __future__ import annotations

#: The fields a door can fill, in the order the documentation lists them.
FIELDS = ("subject", "username", "email", "first_name", "last_name", "display_name", "affiliation", "department",
          "barcode", "institution_id", "expires_on", "library", "staff", "blocked", "blocked_reason")


def parse_mapping(text: str) -> dict[str, tuple[str, ...]]:
    """``"barcode=libraryBarcode;email=mail,email"`` → ``{"barcode": ("libraryBarcode",), ...}``.

    Raises ``ValueError`` naming the part it cannot read, or a field we do not know.
    """
    mapping: dict[str, tuple[str, ...]] = {}
    for part in (p.strip() for p in text.split(";")):
        if not part:
            continue
        name, sep, values = part.partition("=")
        name = name.strip()
        if not sep or name not in FIELDS:
            raise ValueError(f"cannot read {part!r}: expected field=attribute[,attribute] with a field among "
                             f"{', '.join(FIELDS)}")
        mapping[name] = tuple(v.strip() for v in values.split(",") if v.strip())
    return mapping
