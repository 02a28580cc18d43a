"""Private files in an S3-compatible object store (ILLMS_S3_BUCKET): a local S3 server in a second process on
loopback (moto's server), spoken to over real HTTP by django-storages and boto3, as several web and worker
machines would share one bucket (docs/deployment.md)."""

from __future__ import annotations

import datetime as dt
import io
import os
import subprocess
import sys
import uuid

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from pypdf import PdfReader, PdfWriter

from tests.conftest import skip_or_fail
from tests.illms.test_settings import manage
from tests.processes import free_loopback_port, stop, wait_until_listening

pytestmark = pytest.mark.django_db

KEY_ID, SECRET = "illms-test", "illms-test-secret"  # noqa: S105 - the local test server's own credentials


@pytest.fixture(scope="module")
def s3_server():
    try:
        import boto3  # noqa: F401
        import moto.server  # noqa: F401
    except ImportError:
        skip_or_fail("needs moto[server] and boto3 (pip install -e .[dev]) for the local S3 server")
    for _attempt in range(3):
        port = free_loopback_port()
        process = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                   env={**os.environ, "MOTO_ALLOW_NONEXISTENT_REGION": "1"})
        if wait_until_listening(process, port, seconds=20):
            break
        stop(process)
    else:
        pytest.fail(f"the local S3 server did not start: {process.stderr.read().decode()[-2000:]}")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(process)


@pytest.fixture
def bucket(s3_server, settings):
    """A fresh private bucket, and the private storage pointed at it as ILLMS_S3_* would."""
    import boto3

    name = f"illms-{uuid.uuid4().hex[:12]}"
    client = boto3.client("s3", endpoint_url=s3_server, aws_access_key_id=KEY_ID, aws_secret_access_key=SECRET,
                          region_name="us-east-1")
    client.create_bucket(Bucket=name)
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {"bucket_name": name, "endpoint_url": s3_server, "region_name": "us-east-1",
                    "access_key": KEY_ID, "secret_key": SECRET, "location": "private", "addressing_style": "path",
                    "default_acl": "private", "querystring_auth": True, "file_overwrite": False}}}
    client.bucket = name
    return client


def keys_in(bucket) -> list[str]:
    return sorted(item["Key"] for item in bucket.list_objects_v2(Bucket=bucket.bucket).get("Contents", []))


def scan_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=612, height=792)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.fixture
def delivered(bucket, django_capture_on_commit_callbacks):
    from lending.services import edelivery
    from lending.states import LendingStatus
    from requests_app.workflow import Actor
    from tests.factories import MemberLibraryFactory, StaffFactory
    from tests.lending.factories import IncomingRequestFactory

    library = MemberLibraryFactory()
    request = IncomingRequestFactory(library=library, format="article", service_type="Copy", title="On numbers",
                                     status=LendingStatus.AWAITING_SHIPPING)
    with django_capture_on_commit_callbacks(execute=True):
        return edelivery.deliver_copy(request=request, actor=Actor.staff(StaffFactory(library=library)),
                                      upload=SimpleUploadedFile("scan.pdf", scan_pdf()), base_url="http://x/")


def test_a_delivered_scan_is_kept_in_the_bucket_under_the_configured_prefix(bucket, delivered):
    assert keys_in(bucket) == [f"private/{delivered.file.name}"]
    body = bucket.get_object(Bucket=bucket.bucket, Key=f"private/{delivered.file.name}")["Body"].read()
    assert len(PdfReader(io.BytesIO(body)).pages) == 2  # the cover sheet and the scan


def test_the_borrowers_download_link_streams_the_scan_from_the_bucket(client, bucket, delivered):
    response = client.get(f"/delivery/{delivered.token}/")
    assert response.status_code == 200
    assert len(PdfReader(io.BytesIO(b"".join(response.streaming_content))).pages) == 2


def test_an_expired_delivery_is_deleted_from_the_bucket(bucket, delivered):
    from django.utils import timezone

    from lending.models import ElectronicDelivery
    from lending.tasks import expire_electronic_deliveries

    ElectronicDelivery.objects.filter(pk=delivered.pk).update(expires_at=timezone.now() - dt.timedelta(days=1))
    expire_electronic_deliveries()
    assert keys_in(bucket) == []


def test_an_invoice_pdf_is_written_to_the_bucket_and_read_back(bucket):
    from decimal import Decimal

    from billing.models import Invoice
    from billing.services import create_monthly_invoices
    from billing.services.invoices import store_invoice_pdf
    from tests.billing.factories import BillingSettingsFactory, ReceivableFactory
    from tests.factories import LendingRequestFactory, LibraryFactory, MemberLibraryFactory

    ours = MemberLibraryFactory()
    BillingSettingsFactory(library=ours)
    request = LendingRequestFactory(library=ours, partner=LibraryFactory())
    ReceivableFactory(request=request, amount=Decimal("12.50"), incurred_at=dt.datetime(2026, 10, 5, tzinfo=dt.UTC))
    create_monthly_invoices(now=dt.datetime(2026, 11, 2, 12, tzinfo=dt.UTC))
    invoice = store_invoice_pdf(invoice=Invoice.objects.get())
    assert keys_in(bucket) == [f"private/{invoice.pdf.name}"]
    with default_storage.open(invoice.pdf.name, "rb") as handle:
        assert invoice.number in PdfReader(handle).pages[0].extract_text()


def test_two_files_of_the_same_name_never_overwrite_each_other(bucket):
    from django.core.files.base import ContentFile

    first = default_storage.save("billing/invoices/INV-1.pdf", ContentFile(b"first"))
    second = default_storage.save("billing/invoices/INV-1.pdf", ContentFile(b"second"))
    assert first != second
    assert [default_storage.open(name).read() for name in (first, second)] == [b"first", b"second"]


def test_the_objects_are_stored_private_to_the_buckets_owner(bucket):
    from django.core.files.base import ContentFile

    name = default_storage.save("lending/edelivery/scan.pdf", ContentFile(b"%PDF-1.7 secret"))
    grants = bucket.get_object_acl(Bucket=bucket.bucket, Key=f"private/{name}")["Grants"]
    assert [(grant["Grantee"]["Type"], grant["Permission"]) for grant in grants] == [("CanonicalUser", "FULL_CONTROL")]


@pytest.mark.django_db(transaction=False)
def test_illms_s3_bucket_switches_the_private_storage_to_the_object_store(tmp_path):
    show = ("from django.conf import settings; s = settings.STORAGES['default']; "
            "print(s['BACKEND'], s['OPTIONS']['bucket_name'], s['OPTIONS']['location'], s['OPTIONS']['default_acl'], "
            "s['OPTIONS']['file_overwrite'])")
    env = {"ILLMS_VAR_DIR": str(tmp_path), "DJANGO_DEBUG": "1", "ILLMS_S3_BUCKET": "ill-files",
           "ILLMS_S3_PREFIX": "/library-a/", "ILLMS_S3_ENDPOINT_URL": "https://s3.example.edu"}
    assert manage("shell", "-c", show, env=env).stdout.split()[-5:] == [
        "storages.backends.s3.S3Storage", "ill-files", "library-a", "private", "False"]
