"""The patron load: a file from the library's systems matches, updates and creates patrons, record by record."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from borrowing.services.requests import submit_request
from requests_app.identity import loads
from requests_app.models import (
    IllRequest,
    PatronLoad,
    PatronLoadSettings,
    PatronLoadStatus,
    PatronMatchKey,
    PatronProfile,
)
from tests.factories import MemberLibraryFactory, PatronFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
NEXT_YEAR = TODAY + dt.timedelta(days=365)
LAST_WEEK = TODAY - dt.timedelta(days=7)


@pytest.fixture
def library():
    return MemberLibraryFactory(name="Demo University Library", email="ill@demo.example.edu")


def upload(text: str | bytes, name: str = "patrons.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode() if isinstance(text, str) else text)


def load_file(library, text, *, file_format="csv", match_key=PatronMatchKey.BARCODE, create_missing=True):
    load = loads.start_load(library=library, upload=upload(text), file_format=file_format, match_key=match_key,
                            create_missing=create_missing, queue=False)
    loads.run_load(load.pk)
    load.refresh_from_db()
    return load


def profile_with(library, barcode, **fields):
    return PatronFactory(profile__library=library, profile__card_barcode=barcode,
                         **{f"profile__{k}": v for k, v in fields.items()}).patron_profile


def test_a_csv_load_creates_the_patrons_it_does_not_know(library):
    load = load_file(library, "barcode,first_name,last_name,email,category,expires_on\n"
                              f"2100001,Ada,Lovelace,ada@example.edu,faculty,{NEXT_YEAR}\n")
    assert (load.status, load.total, load.processed, load.created) == (PatronLoadStatus.DONE, 1, 1, 1)
    profile = PatronProfile.objects.select_related("user").get(card_barcode="2100001")
    assert (profile.library, profile.category, profile.expires_on) == (library, "faculty", NEXT_YEAR)
    assert (profile.user.get_full_name(), profile.user.email) == ("Ada Lovelace", "ada@example.edu")
    assert not profile.user.has_usable_password()
    assert profile.refreshed_from == "load"


def test_a_load_updates_category_expiry_and_block_of_a_patron_matched_by_barcode(library):
    profile = profile_with(library, "2100001", category="undergraduate", expires_on=NEXT_YEAR)
    load = load_file(library, "barcode,category,expires_on,blocked,blocked_reason\n"
                              f"2100001,graduate,{LAST_WEEK},yes,Unpaid replacement fee\n")
    profile.refresh_from_db()
    assert (load.updated, load.created, load.stopped) == (1, 0, 1)
    assert (profile.category, profile.expires_on, profile.blocked) == ("graduate", LAST_WEEK, True)
    assert profile.blocked_reason == "Unpaid replacement fee"


def test_a_load_matching_by_institutional_id_finds_the_patron_and_gives_them_the_new_card(library):
    profile = profile_with(library, "OLD-CARD", institution_id="S1234567")
    load = load_file(library, "id,barcode,category\nS1234567,NEW-CARD,staff\n",
                     match_key=PatronMatchKey.INSTITUTION_ID)
    profile.refresh_from_db()
    assert (load.updated, load.created) == (1, 0)
    assert (profile.card_barcode, profile.category) == ("NEW-CARD", "staff")


def test_matching_by_barcode_does_not_take_a_patron_with_the_same_institutional_id(library):
    profile_with(library, "CARD-A", institution_id="S1")
    load = load_file(library, "barcode,institution_id\nCARD-B,S9\n")
    assert load.created == 1 and PatronProfile.objects.filter(library=library).count() == 2


def test_a_patron_of_another_library_is_never_matched():
    other = profile_with(MemberLibraryFactory(), "2100001", category="faculty")
    load = load_file(MemberLibraryFactory(), "barcode,category\n2100001,public\n")
    other.refresh_from_db()
    assert load.created == 1 and other.category == "faculty"


def test_an_update_only_load_skips_the_patrons_it_does_not_know(library):
    load = load_file(library, "barcode\n2100001\n", create_missing=False)
    assert (load.skipped, load.created) == (1, 0) and not PatronProfile.objects.exists()


def test_each_bad_record_is_an_error_with_its_line_field_and_reason_and_the_others_load(library):
    load = load_file(library, "barcode,category,expires_on,blocked\n"
                              "2100001,faculty,2027-06-30,no\n"
                              ",faculty,2027-06-30,no\n"
                              "2100003,wizard,2027-06-30,no\n"
                              "2100004,faculty,someday,no\n"
                              "2100005,faculty,2027-06-30,perhaps\n"
                              "2100001,staff,2027-06-30,no\n")
    errors = [(e.line, e.field) for e in load.errors.all()]
    assert errors == [(3, "barcode"), (4, "category"), (5, "expires_on"), (6, "blocked"), (7, "barcode")]
    assert (load.created, load.failed, load.processed) == (1, 5, 6)
    assert "line 2 already" in load.errors.get(line=7).message
    assert "'wizard'" in load.errors.get(line=4).message


def test_a_card_longer_than_a_card_can_be_is_an_error_not_a_cut_card(library):
    load = load_file(library, "barcode\n" + "1" * 33 + "\n" + "1" * 32 + "\n")
    assert (load.created, load.failed) == (1, 1) and "longer than 32" in load.errors.get().message


def test_a_card_held_by_another_patron_is_an_error_and_changes_nothing_of_that_record(library):
    profile_with(library, "TAKEN")
    mover = profile_with(library, "MINE", institution_id="S2", category="faculty")
    load = load_file(library, "id,barcode,category\nS2,TAKEN,staff\n", match_key=PatronMatchKey.INSTITUTION_ID)
    mover.refresh_from_db()
    assert (load.failed, mover.card_barcode, mover.category) == (1, "MINE", "faculty")
    assert "another patron's" in load.errors.get().message


def test_a_library_names_its_own_columns_and_category_values(library):
    PatronLoadSettings.objects.create(library=library, columns="barcode=Card Number;affiliation=Patron Type",
                                      categories="UG=undergraduate;FAC=faculty")
    load = load_file(library, "Card Number;Patron Type;Surname\n2100001;FAC;Lovelace\n")
    profile = PatronProfile.objects.get()
    assert load.created == 1 and (profile.category, profile.user.last_name) == ("faculty", "Lovelace")


def test_a_json_export_with_nested_fields_loads_like_a_csv(library):
    PatronLoadSettings.objects.create(library=library,
                                      columns="first_name=personal.firstName;email=personal.email")
    document = {"users": [{"barcode": "2100001", "patron_type": "graduate",
                           "personal": {"firstName": "Grace", "email": "grace@example.edu"},
                           "expirationDate": f"{NEXT_YEAR}T00:00:00.000+00:00"}], "totalRecords": 1}
    load = load_file(library, json.dumps(document), file_format="json")
    profile = PatronProfile.objects.select_related("user").get()
    assert load.created == 1
    assert (profile.category, profile.expires_on, profile.user.first_name) == ("graduate", NEXT_YEAR, "Grace")


def test_json_errors_name_the_record_number(library):
    load = load_file(library, json.dumps([{"barcode": "1"}, {"barcode": ""}]), file_format="json")
    assert [(e.line, e.field) for e in load.errors.all()] == [(2, "barcode")]


def test_loading_the_same_file_again_changes_nothing_and_counts_every_patron_unchanged(library):
    text = f"barcode,category,expires_on\n2100001,faculty,{NEXT_YEAR}\n2100002,staff,{NEXT_YEAR}\n"
    load_file(library, text)
    again = load_file(library, text)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert get_user_model().objects.count() == 2


def test_running_a_finished_load_again_does_nothing(library):
    load = load_file(library, "barcode\n2100001\n")
    assert loads.run_load(load.pk) is None
    load.refresh_from_db()
    assert (load.created, load.processed) == (1, 1) and PatronProfile.objects.count() == 1


def test_a_load_whose_worker_died_mid_way_goes_on_from_the_next_chunk_and_writes_nothing_twice(
        library, settings, monkeypatch):
    settings.ILLMS_PATRON_LOAD_CHUNK = 2
    rows = "".join(f"21000{n:02d},faculty\n" for n in range(5)) + ",faculty\n"
    load = loads.start_load(library=library, upload=upload("barcode,category\n" + rows), file_format="csv",
                            match_key=PatronMatchKey.BARCODE, queue=False)
    real = loads.apply_chunk
    calls = []

    def dies_in_the_second_chunk(held, records, *args):
        calls.append(len(records))
        real(held, records, *args)
        if len(calls) == 2:
            raise SystemExit("worker killed")

    monkeypatch.setattr(loads, "apply_chunk", dies_in_the_second_chunk)
    with pytest.raises(SystemExit):
        loads.run_load(load.pk)
    monkeypatch.setattr(loads, "apply_chunk", real)
    assert loads.run_load(load.pk) is None  # the dead job's lease still runs
    PatronLoad.objects.filter(pk=load.pk).update(lease_until=timezone.now() - dt.timedelta(seconds=1))
    loads.run_load(load.pk)
    load.refresh_from_db()
    assert (load.status, load.processed, load.created, load.failed) == (PatronLoadStatus.DONE, 6, 5, 1)
    assert PatronProfile.objects.count() == 5 and load.errors.count() == 1


def test_a_chunk_costs_the_same_queries_however_many_records_it_holds(library, settings):
    def queries_for(count: int, start: int) -> int:
        for n in range(start, start + count):
            profile_with(library, f"OLD{n}", category="faculty")
        lines = "".join(f"OLD{n},staff,Reader,x{n}@example.edu\n" for n in range(start, start + count))
        lines += "".join(f"NEW{n},graduate,New,n{n}@example.edu\n" for n in range(start, start + count))
        lines += ",faculty,Bad,\n" * count
        settings.ILLMS_PATRON_LOAD_CHUNK = 3 * count
        load = loads.start_load(library=library, upload=upload("barcode,category,last_name,email\n" + lines),
                                file_format="csv", match_key=PatronMatchKey.BARCODE, queue=False)
        with CaptureQueriesContext(connection) as captured:
            loads.run_load(load.pk)
        load.refresh_from_db()
        assert (load.updated, load.created, load.failed) == (count, count, count)
        return len(captured)

    assert queries_for(2, 0) == queries_for(12, 100)


def test_a_patron_the_load_blocks_is_refused_at_submission_with_whom_to_contact(library):
    patron = profile_with(library, "2100001").user
    load_file(library, "barcode,blocked,blocked_reason\n2100001,yes,Library fines over the limit\n")
    with pytest.raises(ValidationError) as refused:
        submit_request(patron=get_user_model().objects.get(pk=patron.pk), format="book", title="Anything")
    assert "Library fines over the limit" in refused.value.messages[0]
    assert "ill@demo.example.edu" in refused.value.messages[0]
    assert not IllRequest.objects.exists()


def test_a_patron_the_load_expires_is_refused_at_submission(library):
    patron = profile_with(library, "2100001", expires_on=NEXT_YEAR).user
    load_file(library, f"barcode,expires_on\n2100001,{LAST_WEEK}\n")
    with pytest.raises(ValidationError, match="expired"):
        submit_request(patron=get_user_model().objects.get(pk=patron.pk), format="book", title="Anything")


def test_a_load_without_a_blocked_column_keeps_blocks_set_by_hand(library):
    profile = profile_with(library, "2100001", blocked=True, blocked_reason="Lost book")
    load_file(library, "barcode,category\n2100001,faculty\n")
    profile.refresh_from_db()
    assert (profile.blocked, profile.blocked_reason) == (True, "Lost book")


def test_a_load_lifts_a_block_the_file_no_longer_has(library):
    profile = profile_with(library, "2100001", blocked=True, blocked_reason="Fines")
    load_file(library, "barcode,blocked\n2100001,no\n")
    profile.refresh_from_db()
    assert (profile.blocked, profile.blocked_reason) == (False, "")


@pytest.mark.parametrize(("content", "file_format", "words"), [
    ("barcode,category\n2100001,faculty\n".encode("utf-16-be"), "csv", "not a text file"),
    ("barcode,last_name\n2100001,Müller\n".encode("latin-1"), "csv", "not UTF-8"),
    (b"PK\x03\x04workbook", "csv", "spreadsheet workbook"),
    (b"{not json", "json", "not JSON"),
    (b'{"patrons": 3}', "json", "list of patrons"),
    (b"name,category\nAda,faculty\n", "csv", "no column for the library card barcode"),
    (b"", "csv", "empty"),
], ids=["utf16-without-bom", "latin1", "xlsx", "bad-json", "json-without-list", "no-match-column", "empty"])
def test_a_bad_file_is_refused_with_a_clear_error_and_nothing_is_stored(library, content, file_format, words):
    with pytest.raises(loads.LoadFileError, match=words):
        loads.start_load(library=library, upload=upload(content), file_format=file_format,
                         match_key=PatronMatchKey.BARCODE, queue=False)
    assert not PatronLoad.objects.exists() and not PatronProfile.objects.exists()


def test_a_file_over_the_size_limit_is_refused(library, settings):
    settings.ILLMS_PATRON_LOAD_MAX_BYTES = 100
    with pytest.raises(loads.LoadFileError, match="larger than"):
        loads.start_load(library=library, upload=upload("barcode\n" + "2100001\n" * 20), file_format="csv",
                         match_key=PatronMatchKey.BARCODE, queue=False)
    assert not PatronLoad.objects.exists()


def test_a_stored_file_that_became_unreadable_fails_the_load_and_changes_nothing(library):
    load = loads.start_load(library=library, upload=upload("barcode\n2100001\n"), file_format="csv",
                            match_key=PatronMatchKey.BARCODE, queue=False)
    with load.file.open("wb") as handle:
        handle.write(b"category\nfaculty\n")
    loads.run_load(load.pk)
    load.refresh_from_db()
    assert load.status == PatronLoadStatus.FAILED and "no column" in load.message
    assert not PatronProfile.objects.exists()


def test_a_new_patron_whose_user_name_is_taken_gets_another(library):
    PatronFactory(username="ada")
    load_file(library, "barcode,username\n2100001,ada\n")
    assert PatronProfile.objects.get(card_barcode="2100001").user.username == "ada~load"


def test_the_open_requests_of_patrons_the_load_expires_or_blocks_are_listed_for_the_borrowing_desk(library):
    from requests_app import action_lists
    from requests_app.models import Role
    from tests.factories import IllRequestFactory

    blocked = profile_with(library, "2100001").user
    expired = profile_with(library, "2100002", expires_on=NEXT_YEAR).user
    untouched = profile_with(library, "2100003").user
    for patron in (blocked, expired, untouched):
        IllRequestFactory(library=library, patron=patron)
    load = load_file(library, f"barcode,blocked,expires_on\n2100001,yes,{NEXT_YEAR}\n2100002,no,{LAST_WEEK}\n"
                              f"2100003,no,{NEXT_YEAR}\n")
    listed = action_lists.narrow(IllRequest.objects.filter(library=library), library=library,
                                 role=Role.BORROWING, key="patron_stopped")
    assert load.stopped == 2
    assert set(listed.values_list("patron", flat=True)) == {blocked.pk, expired.pk}


def test_the_nightly_load_takes_each_librarys_dropped_file_once(library, settings, tmp_path,
                                                                django_capture_on_commit_callbacks):
    settings.ILLMS_PATRON_LOAD_DROP_DIR = str(tmp_path)
    folder = tmp_path / library.symbol
    folder.mkdir()
    (folder / "patrons.csv").write_text("barcode,category\n2100001,faculty\n")
    with django_capture_on_commit_callbacks(execute=True):
        assert loads.load_dropped_files() == 1
    assert loads.load_dropped_files() == 0
    load = PatronLoad.objects.get()
    assert (load.library, load.status, load.created, load.original_name) == (
        library, PatronLoadStatus.DONE, 1, "patrons.csv")
    assert not (folder / "patrons.csv").exists() and len(list((folder / "loaded").iterdir())) == 1


def test_a_bad_dropped_file_becomes_a_failed_load_that_says_why(library, settings, tmp_path):
    settings.ILLMS_PATRON_LOAD_DROP_DIR = str(tmp_path)
    (tmp_path / library.symbol).mkdir()
    (tmp_path / library.symbol / "patrons.json").write_text("{not json")
    loads.load_dropped_files()
    load = PatronLoad.objects.get()
    assert load.status == PatronLoadStatus.FAILED and "not JSON" in load.message
    assert not PatronProfile.objects.exists()


def test_without_a_drop_folder_the_nightly_load_does_nothing(settings):
    settings.ILLMS_PATRON_LOAD_DROP_DIR = ""
    assert loads.load_dropped_files() == 0


def test_the_command_loads_a_file_and_prints_the_counts_and_errors(library, tmp_path, capsys):
    from django.core.management import call_command

    path = tmp_path / "patrons.csv"
    path.write_text("barcode,category\n2100001,faculty\n,faculty\n")
    call_command("load_patrons", library.symbol, str(path))
    out, err = capsys.readouterr()
    assert "2 of 2 records read: 1 created" in out and "line 3, barcode: The library card barcode is missing." in err
    assert PatronProfile.objects.get().library == library


def test_the_command_refuses_a_bad_file_with_its_reason(library, tmp_path):
    from django.core.management import CommandError, call_command

    path = tmp_path / "patrons.json"
    path.write_text("{not json")
    with pytest.raises(CommandError, match="not JSON"):
        call_command("load_patrons", library.symbol, str(path))
    assert not PatronLoad.objects.exists()


def test_the_sweep_takes_up_a_load_whose_task_was_lost_and_leaves_a_fresh_one_to_its_task(library):
    lost = loads.start_load(library=library, upload=upload("barcode\n2100001\n"), file_format="csv",
                            match_key=PatronMatchKey.BARCODE, queue=False)
    PatronLoad.objects.filter(pk=lost.pk).update(created_at=timezone.now() - dt.timedelta(minutes=10))
    fresh = loads.start_load(library=library, upload=upload("barcode\n2100002\n"), file_format="csv",
                             match_key=PatronMatchKey.BARCODE, queue=False)
    assert loads.resume_stalled_loads() == 1
    lost.refresh_from_db()
    fresh.refresh_from_db()
    assert (lost.status, lost.created, fresh.status) == (PatronLoadStatus.DONE, 1, PatronLoadStatus.PENDING)


def test_a_chunk_the_database_refuses_twice_stops_the_load_with_where_and_why(library, settings, monkeypatch):
    from django.db import IntegrityError

    settings.ILLMS_PATRON_LOAD_CHUNK = 1
    load = loads.start_load(library=library, upload=upload("barcode\n2100001\n2100002\n"), file_format="csv",
                            match_key=PatronMatchKey.BARCODE, queue=False)
    real = loads.apply_chunk

    def refuses_the_second_record(held, records, *args):
        if records[0].values["barcode"] == "2100002":
            raise IntegrityError("duplicate key value violates unique constraint")
        real(held, records, *args)

    monkeypatch.setattr(loads, "apply_chunk", refuses_the_second_record)
    loads.run_load(load.pk)
    load.refresh_from_db()
    assert (load.status, load.processed, load.created) == (PatronLoadStatus.FAILED, 1, 1)
    assert "stopped at record 2 of 2" in load.message and "duplicate key" in load.message
    assert loads.run_load(load.pk) is None


def test_a_chunk_the_database_refuses_once_is_read_again(library, monkeypatch):
    from django.db import IntegrityError

    load = loads.start_load(library=library, upload=upload("barcode\n2100001\n"), file_format="csv",
                            match_key=PatronMatchKey.BARCODE, queue=False)
    real, calls = loads.apply_chunk, []

    def refuses_once(held, records, *args):
        calls.append(1)
        if len(calls) == 1:
            raise IntegrityError("a sign-in took the card in that instant")
        real(held, records, *args)

    monkeypatch.setattr(loads, "apply_chunk", refuses_once)
    loads.run_load(load.pk)
    load.refresh_from_db()
    assert (load.status, load.created) == (PatronLoadStatus.DONE, 1)
