"""Fixtures for the ISO 18626 conformance tests: where the official schema lives, and validators.

The schema is not part of this repository: it sits in ``shared/iso18626/`` next to the
checkout. Without it these tests skip, except in CI (``CI=true``) or when
``ILLMS_REQUIRE_SERVICES`` is set, where a missing schema is a failure.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from requests_app.iso18626.xml import SCHEMA_FILENAME, validate

#: <repo root>/../shared/iso18626
SCHEMA_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "iso18626"


def _missing_schema_is_a_failure() -> bool:
    """True in CI or when ILLMS_REQUIRE_SERVICES is set (to anything but 0/false/no)."""
    if os.environ.get("CI", "").strip().lower() == "true":
        return True
    return os.environ.get("ILLMS_REQUIRE_SERVICES", "").strip().lower() not in {"", "0", "false", "no"}


@pytest.fixture(scope="session")
def iso18626_schema_dir() -> Path:
    """The folder holding ISO-18626-2021-2.xsd; skips (or, in CI, fails) when it is missing."""
    schema = SCHEMA_DIR / SCHEMA_FILENAME
    if not schema.is_file():
        reason = (
            f"the official ISO 18626 schema is missing: expected {schema} "
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
    ``xmlschema`` package must both accept a document for the list to be empty.
    """
    import xmlschema

    second_opinion = xmlschema.XMLSchema(str(iso18626_schema_dir / SCHEMA_FILENAME))

    def errors(data: bytes) -> list[str]:
        found = [f"lxml: {problem}" for problem in validate(data, iso18626_schema_dir)]
        problems = second_opinion.iter_errors(io.BytesIO(data))
        found += [f"xmlschema: {problem.reason} at {problem.path}" for problem in problems]
        return found

    return errors
