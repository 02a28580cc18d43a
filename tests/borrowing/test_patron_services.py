"""The patron's services: duplicates of their own open requests, refusals, preferences."""

import pytest
from django.core.exceptions import ValidationError

from borrowing.services import patrons
from borrowing.states import BorrowingStatus
from requests_app.models import IllRequest, Note, NoteVisibility
from tests.factories import IllRequestFactory, PatronFactory, PickupLocationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def patron():
    return PatronFactory()


def own_request(patron, **fields):
    return IllRequestFactory(patron=patron, library=patron.patron_profile.library, **fields)


def book(**fields):
    return {"format": "book", "title": "A different book", **fields}


def test_a_request_with_the_same_doi_as_an_open_one_is_a_duplicate(patron):
    existing = own_request(patron, format="article", doi="10.1038/171737a0", title="Something")
    found = patrons.find_duplicates(patron=patron, citation={"title": "Other", "doi": "10.1038/171737a0"})
    assert found == [(existing, "same DOI")]


def test_a_doi_in_other_letter_case_is_the_same_doi(patron):
    existing = own_request(patron, format="article", doi="10.1002/ASI.24400", title="Something")
    found = patrons.find_duplicates(patron=patron, citation={"title": "Other", "doi": "10.1002/asi.24400"})
    assert found == [(existing, "same DOI")]


def test_a_request_with_the_same_pmid_is_a_duplicate(patron):
    own_request(patron, pmid="13054692")
    assert patrons.find_duplicates(patron=patron, citation={"title": "X", "pmid": "13054692"})[0][1] == "same PubMed ID"


def test_a_request_with_the_same_isbn_is_a_duplicate(patron):
    own_request(patron, isbn="9780306406157")
    assert patrons.find_duplicates(patron=patron, citation=book(isbn="9780306406157"))[0][1] == "same ISBN"


def test_the_same_issn_volume_and_pages_is_a_duplicate_even_with_another_dash(patron):
    own_request(patron, format="article", title="One", issn="0028-0836", volume="171", pages="737–738")
    found = patrons.find_duplicates(patron=patron, citation={
        "title": "Two", "issn": "0028-0836", "volume": "171", "pages": "737 - 738"})
    assert found[0][1] == "same ISSN, volume and pages"


def test_the_same_issn_and_volume_with_other_pages_is_not_a_duplicate(patron):
    own_request(patron, format="article", title="One", issn="0028-0836", volume="171", pages="737-738")
    assert patrons.find_duplicates(patron=patron, citation={
        "title": "Two", "issn": "0028-0836", "volume": "171", "pages": "100-110"}) == []


def test_a_nearly_identical_title_is_a_duplicate(patron):
    own_request(patron, title="The Name of the Rose")
    assert patrons.find_duplicates(patron=patron, citation=book(title="name of the rose!"))[0][1] == (
        "nearly the same title")


def test_a_title_differing_by_a_typo_is_a_duplicate(patron):
    own_request(patron, title="Interlibrary loan practices handbook")
    assert patrons.find_duplicates(patron=patron, citation=book(title="Interlibary loan practices handbook"))


def test_a_different_title_is_not_a_duplicate(patron):
    own_request(patron, title="Interlibrary loan practices handbook")
    assert patrons.find_duplicates(patron=patron, citation=book(title="A history of the printed book")) == []


def test_finished_requests_are_not_duplicates(patron):
    own_request(patron, title="The Name of the Rose", status=BorrowingStatus.COMPLETED)
    own_request(patron, title="The Name of the Rose", status=BorrowingStatus.CANCELLED)
    assert patrons.find_duplicates(patron=patron, citation=book(title="The Name of the Rose")) == []


def test_another_patrons_request_is_not_a_duplicate(patron):
    IllRequestFactory(title="The Name of the Rose")
    assert patrons.find_duplicates(patron=patron, citation=book(title="The Name of the Rose")) == []


def test_normalising_a_title_drops_case_accents_punctuation_and_articles():
    assert patrons.normalise_title("The  Café: a Story, of AN Élan!") == "cafe story of elan"


def test_submitting_a_possible_duplicate_raises_and_saves_nothing(patron):
    own_request(patron, title="The Name of the Rose")
    with pytest.raises(patrons.PossibleDuplicate) as caught:
        patrons.submit_patron_request(patron=patron, **book(title="The name of the rose"))
    assert len(caught.value.duplicates) == 1
    assert IllRequest.objects.count() == 1


def test_a_confirmed_duplicate_is_created_with_a_note_for_staff(patron):
    existing = own_request(patron, title="The Name of the Rose")
    created = patrons.submit_patron_request(patron=patron, confirm_duplicates=True,
                                            **book(title="The name of the rose"))
    assert created.status == BorrowingStatus.SUBMITTED
    note = Note.objects.get(request=created)
    assert note.visibility == NoteVisibility.INTERNAL
    assert existing.number in note.text


def test_a_request_without_duplicates_is_created_without_a_note(patron):
    created = patrons.submit_patron_request(patron=patron, **book())
    assert created.patron == patron
    assert not Note.objects.exists()


def test_a_request_keeps_the_patrons_category_and_department_for_statistics():
    patron = PatronFactory(profile__category="faculty", profile__department="Classics")
    created = patrons.submit_patron_request(patron=patron, **book())
    created.refresh_from_db()
    assert (created.patron_category, created.patron_department) == ("faculty", "Classics")


def test_a_blocked_patron_is_refused_with_the_reason():
    patron = PatronFactory(profile__blocked=True, profile__blocked_reason="unpaid fines")
    refusal = patrons.request_refusal(patron=patron)
    assert refusal.code == "patron_blocked"
    assert "unpaid fines" in refusal.messages[0]


def test_a_patron_at_the_limit_of_active_requests_is_refused(patron, settings):
    settings.ILLMS_MAX_ACTIVE_REQUESTS_PER_PATRON = 2
    own_request(patron)
    own_request(patron)
    own_request(patron, status=BorrowingStatus.COMPLETED)
    assert patrons.request_refusal(patron=patron).code == "over_limit"


def test_a_patron_under_the_limit_is_not_refused(patron):
    assert patrons.request_refusal(patron=patron) is None


def test_a_user_without_a_patron_profile_is_refused():
    from tests.factories import UserFactory

    assert patrons.request_refusal(patron=UserFactory()).code == "not_a_patron"


def test_preferences_are_saved(patron):
    profile = patron.patron_profile
    desk = PickupLocationFactory(library=profile.library)
    patrons.update_preferences(profile=profile, notify_by_email=False, due_date_reminders=False,
                               pickup_location=desk)
    profile.refresh_from_db()
    assert (profile.notify_by_email, profile.due_date_reminders, profile.pickup_location) == (False, False, desk)


def test_another_librarys_pickup_location_is_refused(patron):
    with pytest.raises(ValidationError):
        patrons.update_preferences(profile=patron.patron_profile, notify_by_email=True, due_date_reminders=True,
                                   pickup_location=PickupLocationFactory())
