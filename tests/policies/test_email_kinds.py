"""One registry of e-mail kinds: each side declares its kinds once and registers them at start-up."""

from __future__ import annotations

import pytest
from django.template.loader import get_template

from billing import emails as billing_emails
from borrowing.services import notifications
from borrowing.states import BorrowingStatus
from requests_app import email_templates
from requests_app.models import PatronProfile
from tests.factories import IllRequestFactory

KINDS = email_templates.kinds()


def test_the_registry_holds_exactly_the_kinds_the_sides_declare():
    declared = {**notifications.KINDS, **billing_emails.KINDS}
    assert {kind.key: kind for kind in KINDS} == declared


@pytest.mark.parametrize("kind", KINDS, ids=lambda kind: kind.key)
def test_every_kind_has_its_three_file_templates_in_its_folder(kind):
    for part in ("subject.txt", "body.txt", "body.html"):
        get_template(f"{kind.templates}/{kind.key}-{part}")


@pytest.mark.parametrize("kind", KINDS, ids=lambda kind: kind.key)
def test_the_wording_page_shows_each_kinds_own_text_body_as_the_standard(kind):
    assert kind.standard_wording() == get_template(f"{kind.templates}/{kind.key}-body.txt").template.source


@pytest.mark.parametrize("kind", [k for k in KINDS if k.preference], ids=lambda kind: kind.key)
def test_a_preference_that_silences_a_kind_is_a_flag_of_the_patron_profile(kind):
    assert PatronProfile._meta.get_field(kind.preference).get_internal_type() == "BooleanField"


@pytest.mark.django_db
def test_turning_reminders_off_silences_the_due_date_reminder_and_no_other_email():
    request = IllRequestFactory(status=BorrowingStatus.CHECKED_OUT)
    PatronProfile.objects.filter(user=request.patron).update(due_date_reminders=False)
    request.patron.refresh_from_db()
    wanted = {kind for kind in notifications.KINDS if notifications.recipient(request, kind)}
    assert wanted == set(notifications.KINDS) - {notifications.DUE_SOON}
