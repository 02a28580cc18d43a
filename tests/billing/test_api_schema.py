"""The invoice endpoints document themselves: drf-spectacular validates the schema without a warning."""

import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def test_the_invoice_endpoints_are_in_the_schema_without_a_single_warning(tmp_path):
    out = tmp_path / "schema.yml"
    result = subprocess.run(
        [sys.executable, "manage.py", "spectacular", "--urlconf", "tests.billing.urls", "--validate",
         "--fail-on-warn", "--file", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    paths = yaml.safe_load(out.read_text())["paths"]
    assert {"/api/v1/invoices/", "/api/v1/invoices/{number}/", "/api/v1/invoices/{number}/pdf/"} <= set(paths)
    assert {"401", "403", "404"} <= set(paths["/api/v1/invoices/{number}/pdf/"]["get"]["responses"])
