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


#: The staff roles a directory group can give (``ILLMS_LDAP_STAFF_GROUPS``), by their short names.
STAFF_ROLES = ("borrowing", "lending", "billing", "administrator", "reporting")


def parse_group_map(text: str, *, allowed: tuple[str, ...] | None = None) -> dict[str, tuple[str, ...]]:
    """``"ill-staff=borrowing,lending;cn=Admins,ou=groups,dc=uni=administrator"`` → ``{"ill-staff": (...), ...}``.

    Pairs are separated by ``;``; a group is named by its ``cn`` or its whole DN (whose own ``=`` and ``,`` are
    kept: the value follows the last ``=``); the key is kept in lower case. With ``allowed``, a value outside it
    raises ``ValueError`` naming it.
    """
    groups: dict[str, tuple[str, ...]] = {}
    for part in (p.strip() for p in text.split(";")):
        if not part:
            continue
        name, sep, values = part.rpartition("=")
        names = tuple(v.strip().lower() for v in values.split(",") if v.strip())
        if not sep or not name.strip() or not names:
            raise ValueError(f"cannot read {part!r}: expected group=value[,value]")
        unknown = [v for v in names if allowed is not None and v not in allowed]
        if unknown:
            raise ValueError(f"{part!r}: {', '.join(unknown)} is none of {', '.join(allowed or ())}")
        groups[name.strip().lower()] = names
    return groups

#: The patron categories a directory group can give (``ILLMS_LDAP_GROUP_CATEGORIES``): PatronCategory's values.
CATEGORIES = ("faculty", "graduate", "undergraduate", "staff", "public")
