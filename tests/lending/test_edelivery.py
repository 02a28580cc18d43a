"""Electronic delivery: checked uploads behind a cover sheet, links that expire by time and by count."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from pypdf import PdfReader, PdfWriter

from lending.models import DownloadLog, ElectronicDelivery
from lending.services import edelivery
from lending.states import LendingStatus
from lending.tasks import expire_electronic_deliveries
from requests_app.models import IllRequest, OutboxMessage
from requests_app.workflow import Actor, WorkflowError
from tests.lending.factories import IncomingRequestFactory

pytestmark = pytest.mark.django_db


def scan_pdf(pages: int = 2) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=612, height=792)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.fixture
def copy_request(library):
    return IncomingRequestFactory(library=library, format="article", service_type="Copy",
                                  title="On computable numbers", container_title="Proc. London Math. Soc.",
                                  status=LendingStatus.AWAITING_SHIPPING)


@pytest.fixture
def delivered(copy_request, staff):
    return edelivery.deliver_copy(request=copy_request, actor=Actor.staff(staff),
                                  upload=SimpleUploadedFile("scan.pdf", scan_pdf()),
                                  base_url="https://ill.example.org/")


def test_a_delivered_scan_gets_a_cover_sheet_and_the_borrower_gets_the_link(delivered, copy_request):
    copy_request.refresh_from_db()
    assert copy_request.status == LendingStatus.COPY_DELIVERED
    with default_storage.open(delivered.file.name, "rb") as handle:
        reader = PdfReader(handle)
        assert len(reader.pages) == 3
        assert "copyright" in reader.pages[0].extract_text().lower()
    payload = OutboxMessage.objects.get(request=copy_request).payload
    assert payload["status_info"]["status"] == "CopyCompleted"
    assert payload["delivery_info"]["url"] == f"https://ill.example.org/delivery/{delivered.token}/"
    assert (delivered.max_downloads, delivered.expires_at.date()) == (
        5, (timezone.now() + dt.timedelta(days=30)).date())


def test_the_file_is_stored_outside_the_web_root(delivered, settings):
    path = default_storage.path(delivered.file.name)
    assert path.startswith(str(settings.PRIVATE_STORAGE_ROOT))
    assert not path.startswith(str(settings.STATIC_ROOT))


def test_a_non_pdf_renamed_pdf_is_rejected_with_a_clear_message(copy_request, staff):
    upload = SimpleUploadedFile("scan.pdf", b"\x89PNG\r\n\x1a\n not really a pdf")
    with pytest.raises(WorkflowError, match="not a PDF"):
        edelivery.deliver_copy(request=copy_request, actor=Actor.staff(staff), upload=upload, base_url="http://x/")
    copy_request.refresh_from_db()
    assert copy_request.status == LendingStatus.AWAITING_SHIPPING
    assert not ElectronicDelivery.objects.exists()


def test_a_damaged_pdf_is_rejected(copy_request, staff):
    upload = SimpleUploadedFile("scan.pdf", b"%PDF-1.7\n garbage that is no PDF structure")
    with pytest.raises(WorkflowError, match="damaged"):
        edelivery.deliver_copy(request=copy_request, actor=Actor.staff(staff), upload=upload, base_url="http://x/")


def test_a_file_over_the_size_limit_is_rejected(copy_request, staff, settings):
    settings.ILLMS_EDELIVERY_MAX_BYTES = 100
    with pytest.raises(WorkflowError, match="limit is"):
        edelivery.deliver_copy(request=copy_request, actor=Actor.staff(staff),
                               upload=SimpleUploadedFile("scan.pdf", scan_pdf()), base_url="http://x/")


def test_the_link_serves_the_pdf_and_logs_each_download(client, delivered):
    response = client.get(f"/delivery/{delivered.token}/", HTTP_USER_AGENT="Zotero", REMOTE_ADDR="192.0.2.7")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
    log = DownloadLog.objects.get()
    assert (log.delivery, log.ip, log.user_agent) == (delivered, "192.0.2.7", "Zotero")


def test_the_sixth_download_is_refused(client, delivered):
    for _ in range(5):
        assert client.get(f"/delivery/{delivered.token}/").status_code == 200
    response = client.get(f"/delivery/{delivered.token}/")
    assert response.status_code == 410
    assert b"expired" in response.content
    delivered.refresh_from_db()
    assert delivered.download_count == 5


def test_an_expired_link_is_refused(client, delivered):
    ElectronicDelivery.objects.filter(pk=delivered.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert client.get(f"/delivery/{delivered.token}/").status_code == 410
    assert not DownloadLog.objects.exists()


def test_an_unknown_token_is_refused(client, delivered):
    assert client.get("/delivery/not-a-token/").status_code == 410


def test_the_expiry_job_deletes_the_file_once_and_completes_the_copy(delivered, copy_request):
    ElectronicDelivery.objects.filter(pk=delivered.pk).update(expires_at=timezone.now() - dt.timedelta(days=1))
    assert default_storage.exists(delivered.file.name)
    assert expire_electronic_deliveries() == 1
    assert expire_electronic_deliveries() == 0
    delivered.refresh_from_db()
    assert delivered.deleted_at is not None and not default_storage.exists(delivered.file.name)
    assert IllRequest.objects.get(pk=copy_request.pk).status == LendingStatus.COMPLETED


def test_the_expiry_job_leaves_valid_links_alone(delivered):
    assert expire_electronic_deliveries() == 0
    assert default_storage.exists(delivered.file.name)


def test_staff_reissue_a_link_with_a_new_token_and_fresh_counters(client, delivered, copy_request):
    old_token = delivered.token
    ElectronicDelivery.objects.filter(pk=delivered.pk).update(download_count=5)
    reissued = edelivery.reissue_link(delivery=delivered, base_url="https://ill.example.org")
    assert reissued.token != old_token and reissued.download_count == 0 and reissued.reissue_count == 1
    assert client.get(f"/delivery/{old_token}/").status_code == 410
    assert client.get(f"/delivery/{reissued.token}/").status_code == 200
    payload = OutboxMessage.objects.filter(request=copy_request).latest("pk").payload
    assert payload["delivery_info"]["url"] == f"https://ill.example.org/delivery/{reissued.token}/"


def test_a_deleted_file_cannot_be_reissued(delivered):
    ElectronicDelivery.objects.filter(pk=delivered.pk).update(deleted_at=timezone.now())
    with pytest.raises(WorkflowError, match="upload the scan again"):
        edelivery.reissue_link(delivery=delivered, base_url="https://ill.example.org")


def test_uploading_through_the_request_page_delivers_the_copy(staff_client, copy_request):
    response = staff_client.post(f"/lending/requests/{copy_request.pk}/actions/deliver_copy/", {
        "deliver_copy-file": SimpleUploadedFile("scan.pdf",
                                                scan_pdf()), "expected_status": LendingStatus.AWAITING_SHIPPING})
    assert response.status_code == 302
    assert ElectronicDelivery.objects.get().request == copy_request


def test_a_bad_upload_on_the_page_shows_the_reason_and_changes_nothing(staff_client, copy_request):
    response = staff_client.post(f"/lending/requests/{copy_request.pk}/actions/deliver_copy/", {
        "deliver_copy-file": SimpleUploadedFile("scan.pdf", b"GIF89a fake")})
    assert response.status_code == 400
    assert "not a PDF" in response.content.decode()
    assert IllRequest.objects.get(pk=copy_request.pk).status == LendingStatus.AWAITING_SHIPPING


def test_delivering_a_copy_of_a_book_loan_is_refused_and_stores_nothing(library, staff):
    loan = IncomingRequestFactory(library=library, format="book", service_type="Loan",
                                  status=LendingStatus.AWAITING_SHIPPING)
    with pytest.raises(WorkflowError, match="ship the item"):
        edelivery.deliver_copy(request=loan, actor=Actor.staff(staff), base_url="https://ill.example.org/",
                               upload=SimpleUploadedFile("scan.pdf", scan_pdf()))
    loan.refresh_from_db()
    assert (loan.status, ElectronicDelivery.objects.filter(request=loan).exists()) == (
        LendingStatus.AWAITING_SHIPPING, False)


def test_the_request_page_offers_no_deliver_copy_for_a_book_loan(staff_client, library):
    loan = IncomingRequestFactory(library=library, format="book", service_type="Loan",
                                  status=LendingStatus.AWAITING_SHIPPING)
    content = staff_client.get(f"/lending/requests/{loan.pk}/").content.decode()
    assert 'data-action="ship"' in content and 'data-action="deliver_copy"' not in content


def test_the_request_page_offers_deliver_copy_for_a_copy_request(staff_client, copy_request):
    content = staff_client.get(f"/lending/requests/{copy_request.pk}/").content.decode()
    assert 'data-action="deliver_copy"' in content
