"""Holdings imports: CSV, MARC 21 and MARCXML files, bad records reported by number, good ones imported."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from pymarc import Field, Indicators, MARCWriter, Record, Subfield, XMLWriter

from lending.models import Holding, HoldingsImport, ImportStatus
from lending.services.holdings import run_import, start_import

pytestmark = pytest.mark.django_db


def marc_record(title: str | None, *, isbn: str = "", call_number: str = "QA76 .A1", barcode: str = "39015000001",
                location: str = "Main", field_tag: str = "852") -> Record:
    record = Record()
    record.leader = record.leader[:6] + "am" + record.leader[8:]
    record.add_field(Field(tag="001", data="123456"), Field(tag="003", data="OCoLC"))
    if isbn:
        record.add_field(Field(tag="020", indicators=Indicators(" ", " "), subfields=[Subfield("a", isbn)]))
    record.add_field(Field(tag="100", indicators=Indicators("1", " "), subfields=[Subfield("a", "Knuth, Donald E.")]))
    if title:
        record.add_field(Field(tag="245", indicators=Indicators("1", "0"),
                               subfields=[Subfield("a", title + " /")]))
    if field_tag == "852":
        subfields = [Subfield("b", location), Subfield("h", call_number), Subfield("p", barcode)]
    else:
        subfields = [Subfield("a", location), Subfield("o", call_number), Subfield("p", barcode), Subfield("7", "1")]
    record.add_field(Field(tag=field_tag, indicators=Indicators(" ", " "), subfields=subfields))
    return record


def marc_bytes(records: list[Record]) -> bytes:
    out = io.BytesIO()
    writer = MARCWriter(out)
    for record in records:
        writer.write(record)
    return out.getvalue()


def upload(library, name: str, content: bytes, file_format: str, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = start_import(library=library, upload=SimpleUploadedFile(name, content), file_format=file_format)
    job.refresh_from_db()
    return job


def test_a_csv_file_imports_its_good_rows_and_reports_each_bad_one_by_number(
        library, django_capture_on_commit_callbacks):
    content = (
        "title,author,isbn,call_number,location,barcode,circulates\n"
        "Gödel Escher Bach,\"Hofstadter, Douglas\",978-0-465-02656-2,QA9.8 .H63,Main stacks,3901,yes\n"
        ",No Title,,,,,\n"
        "Bad Number,Someone,978-0-000-00000-1,,,,\n"
        "Rare Atlas,,,G1019 .T5,Special collections,3902,no\n"
    ).encode()
    job = upload(library, "holdings.csv", content, "csv", django_capture_on_commit_callbacks)
    assert (job.status, job.total, job.processed, job.imported, job.failed) == (ImportStatus.DONE, 4, 4, 2, 2)
    assert [e["record"] for e in job.errors] == [2, 3]
    assert "title is missing" in job.errors[0]["reason"]
    assert "not a valid ISBN" in job.errors[1]["reason"]
    first = Holding.objects.get(barcode="3901")
    assert (first.isbn, first.title_key, first.author_key, first.library) == (
        "9780465026562", "godel escher bach", "hofstadter", library)
    assert Holding.objects.get(barcode="3902").circulates is False


def test_a_binary_marc_file_with_a_bad_record_imports_the_others(library, django_capture_on_commit_callbacks):
    good = marc_record("The Art of Computer Programming", isbn="0201896834")
    untitled = marc_record(None)
    koha = marc_record("Concrete Mathematics", field_tag="952", call_number="QA39.2 .G733", barcode="3903")
    broken = b"00040" + b"not a MARC directory at all, sorry" + b"\x1d"
    assert len(broken) == 40
    data = marc_bytes([good, untitled]) + broken + marc_bytes([koha])
    job = upload(library, "catalogue.mrc", data, "marc", django_capture_on_commit_callbacks)
    assert (job.status, job.imported, job.failed) == (ImportStatus.DONE, 2, 2)
    assert [e["record"] for e in job.errors] == [2, 3]
    assert "no title" in job.errors[0]["reason"]
    taocp = Holding.objects.get(title="The Art of Computer Programming")
    assert (taocp.isbn, taocp.oclc_number, taocp.call_number, taocp.location, taocp.barcode) == (
        "9780201896831", "123456", "QA76 .A1", "Main", "39015000001")
    concrete = Holding.objects.get(barcode="3903")
    assert (concrete.call_number, concrete.circulates) == ("QA39.2 .G733", False)


def test_a_marcxml_file_imports_with_its_holdings_fields(library, django_capture_on_commit_callbacks):
    out = io.BytesIO()
    writer = XMLWriter(out)
    writer.write(marc_record("Structure and Interpretation of Computer Programs", call_number="QA76.6 .A255"))
    writer.write(marc_record(None))
    writer.close(close_fh=False)
    job = upload(library, "catalogue.xml", out.getvalue(), "marcxml", django_capture_on_commit_callbacks)
    assert (job.imported, job.failed, job.errors[0]["record"]) == (1, 1, 2)
    assert Holding.objects.get().call_number == "QA76.6 .A255"


def test_an_unreadable_file_fails_the_import_with_a_reason(library, django_capture_on_commit_callbacks):
    job = upload(library, "notes.csv", b"name;shelf\nfoo;bar\n", "csv", django_capture_on_commit_callbacks)
    assert job.status == ImportStatus.FAILED
    assert "title" in job.message
    assert Holding.objects.count() == 0


def test_the_import_task_delivered_twice_imports_once(library, django_capture_on_commit_callbacks):
    job = upload(library, "h.csv", b"title\nOne book\n", "csv", django_capture_on_commit_callbacks)
    assert run_import(job.pk) is None
    assert Holding.objects.count() == 1


def test_the_progress_page_shows_counts_and_errors_and_polls_until_done(staff_client, library):
    job = HoldingsImport.objects.create(library=library, file="x.csv", original_name="x.csv", file_format="csv",
                                        status=ImportStatus.RUNNING, total=10, processed=4, imported=3, failed=1,
                                        errors=[{"record": 2, "reason": "The title is missing."}])
    page = staff_client.get(f"/lending/holdings/imports/{job.pk}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert 'hx-trigger="every 2s"' in html and 'http-equiv="refresh"' in html
    assert 'value="40"' in html and "The title is missing." in html
    partial = staff_client.get(f"/lending/holdings/imports/{job.pk}/", HTTP_HX_REQUEST="true")
    assert "<html" not in partial.content.decode()


def test_uploading_through_the_page_imports_and_redirects_to_the_progress_bar(
        staff_client, library, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post("/lending/holdings/import/", {
            "file_format": "csv", "file": SimpleUploadedFile("h.csv", b"title,call_number\nA book,Z1 .A1\n")})
    job = HoldingsImport.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/lending/holdings/imports/{job.pk}/"
    assert Holding.objects.get().call_number == "Z1 .A1"


def test_an_empty_upload_is_refused_with_a_message(staff_client):
    response = staff_client.post("/lending/holdings/import/", {
        "file_format": "csv", "file": SimpleUploadedFile("h.csv", b"")})
    assert response.status_code == 400
    assert HoldingsImport.objects.count() == 0


def test_the_command_imports_a_file_and_reports_bad_records(library, tmp_path):
    from django.core.management import call_command

    path = tmp_path / "holdings.csv"
    path.write_bytes(b"title,isbn\nGood book,\nBad book,12345\n")
    out, err = io.StringIO(), io.StringIO()
    call_command("import_holdings", "lnd", str(path), stdout=out, stderr=err)
    assert "1 of 2 records imported, 1 with errors." in out.getvalue()
    assert "record 2:" in err.getvalue()
    assert Holding.objects.get().title == "Good book"


def test_the_command_refuses_an_unknown_library(tmp_path, db):
    from django.core.management import CommandError, call_command

    path = tmp_path / "holdings.csv"
    path.write_bytes(b"title\nA\n")
    with pytest.raises(CommandError, match="No member library"):
        call_command("import_holdings", "NOPE", str(path))
