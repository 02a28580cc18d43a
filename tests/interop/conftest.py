"""Fixtures for the ISO 18626 conformance tests: where the official schemas live, and validators.

The schemas (1.2 and 2021-2) are not part of this repository: they sit in ``shared/iso18626/``
next to the checkout. Without it these tests skip, except in CI (``CI=true``) or when
``ILLMS_REQUIRE_SERVICES`` is set, where a missing schema is a failure.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from lxml import etree

from requests_app.iso18626.xml import NS, SCHEMA_FILENAME, SCHEMA_FILENAME_1_2, VERSION_2021_2, form_of, validate

#: <repo root>/../shared/iso18626
SCHEMA_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "iso18626"


def _missing_schema_is_a_failure() -> bool:
    """True in CI or when ILLMS_REQUIRE_SERVICES is set (to anything but 0/false/no)."""
    if os.environ.get("CI", "").strip().lower() == "true":
        return True
    return os.environ.get("ILLMS_REQUIRE_SERVICES", "").strip().lower() not in {"", "0", "false", "no"}


@pytest.fixture(scope="session")
def iso18626_schema_dir() -> Path:
    """The folder holding ISO-18626-2021-2.xsd and ISO-18626-v1_2.xsd; skips (or, in CI, fails) without them."""
    missing = [path for path in (SCHEMA_DIR / SCHEMA_FILENAME, SCHEMA_DIR / SCHEMA_FILENAME_1_2) if not path.is_file()]
    if missing:
        reason = (
            f"the official ISO 18626 schema is missing: expected {', '.join(map(str, missing))} "
            "(the shared/iso18626 folder next to the repository checkout)"
        )
        if _missing_schema_is_a_failure():
            pytest.fail(f"{reason}; CI or ILLMS_REQUIRE_SERVICES is set, so this is a failure, not a skip")
        pytest.skip(reason)
    return SCHEMA_DIR


@pytest.fixture(scope="session")
def schema_errors(iso18626_schema_dir: Path) -> Callable[[bytes], list[str]]:
    """A function returning every schema problem of a document, from two independent validators.

    lxml (libxml2, through :func:`requests_app.iso18626.xml.validate`) and the pure-Python
    ``xmlschema`` package must both accept a document for the list to be empty. Each validates
    against the schema the document's ``ill:version`` names (1.2 or 2021-2).
    """
    import xmlschema

    second_opinions = {
        version: xmlschema.XMLSchema(str(iso18626_schema_dir / name))
        for version, name in (("1.2", SCHEMA_FILENAME_1_2), (VERSION_2021_2, SCHEMA_FILENAME))
    }

    def errors(data: bytes) -> list[str]:
        found = [f"lxml: {problem}" for problem in validate(data, iso18626_schema_dir)]
        try:
            version = etree.fromstring(data, etree.XMLParser(resolve_entities=False)).get(f"{{{NS}}}version")
        except etree.XMLSyntaxError:
            version = None
        second_opinion = second_opinions.get(form_of(version) or VERSION_2021_2)
        problems = second_opinion.iter_errors(io.BytesIO(data))
        found += [f"xmlschema: {problem.reason} at {problem.path}" for problem in problems]
        return found

    return errors
