"""A library's own wording of its e-mails: checked when saved, used in the next e-mail, the files otherwise."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from billing.emails import write_invoice_email
from billing.models import Invoice, InvoiceStatus
from borrowing.services import notifications
from borrowing.states import BorrowingStatus
from borrowing.tasks import send_reminders
from requests_app import email_templates, mailer
from requests_app.models import EmailTemplate
from tests.factories import IllRequestFactory, LibraryFactory, MemberLibraryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def home():
    return MemberLibraryFactory(symbol="HOME", name="Home University Library")


@pytest.fixture
def email_patron(django_capture_on_commit_callbacks):
    """Write the patron's e-mail of ``kind`` and hand it over after commit."""
    def write(kind, request, **extra):
        with django_capture_on_commit_callbacks(execute=True):
            mailer.write(notifications.draft(kind, request, key=f"test:{kind}:{request.pk}", **extra))
    return write


def preview(home, kind="ready-for-pickup", subject="Ready", body_text="Hello", body_html=""):
    return email_templates.preview(kind=email_templates.get_kind(kind), library=home, subject=subject,
                                   body_text=body_text, body_html=body_html)


def test_every_patron_and_invoice_email_can_be_reworded():
    keys = {kind.key for kind in email_templates.kinds()}
    assert set(notifications.KINDS) | {"invoice-issued", "credit-note-issued"} <= keys


def test_every_listed_variable_has_a_sample_value(home):
    for kind in email_templates.kinds():
        sample = kind.sample(home)
        text = " ".join(f"{{{{ {name} }}}}" for name in kind.variables)
        preview(home, kind=kind.key, body_text=text)  # raises on any name the sample lacks
        assert sample


def test_the_preview_fills_in_the_sample_values(home):
    mail = preview(home, subject="Ready: {{ r.title }}", body_text="Dear {{ patron.first_name }}, {{ library.name }}")
    assert mail.subject == "Ready: The Structure of Scientific Revolutions"
    assert mail.text == "Dear Ada, Home University Library"


def test_an_unknown_variable_is_a_clear_error_naming_it(home):
    with pytest.raises(ValidationError) as excinfo:
        preview(home, body_text="Dear {{ patron.firstname }}")
    assert excinfo.value.message_dict["body_text"] == [
        "Unknown variable: {{ patron.firstname }}. Use only the variables listed for this e-mail."]


def test_an_unknown_variable_inside_an_if_is_found_too(home):
    with pytest.raises(ValidationError, match="patron.password"):
        preview(home, body_text="{% if patron.password %}x{% endif %}")


def test_a_variable_of_another_kind_is_unknown_here(home):
    with pytest.raises(ValidationError, match="granted"):
        preview(home, kind="ready-for-pickup", body_text="{% if granted %}yes{% endif %}")


def test_loop_variables_are_not_unknown(home):
    assert preview(home, body_text="{% for w in r.author %}{{ w }}{% endfor %}").text == "Kuhn, Thomas S."


def test_broken_syntax_is_a_clear_error(home):
    with pytest.raises(ValidationError) as excinfo:
        preview(home, subject="{% if r.title %}no end")
    assert excinfo.value.message_dict["subject"][0].startswith("The template has a mistake:")


def test_an_unclosed_variable_is_a_clear_error(home):
    with pytest.raises(ValidationError, match="is not closed"):
        preview(home, body_text="Dear {{ patron.first_name")


@pytest.mark.parametrize("tag", ["{% load static %}", "{% include 'base.html' %}", "{% extends 'base.html' %}",
                                 "{% debug %}", "{% url 'home' %}"])
def test_tags_that_reach_outside_the_email_are_refused(home, tag):
    with pytest.raises(ValidationError, match="cannot be used in e-mail templates"):
        preview(home, body_text=tag)


def test_the_html_body_escapes_what_it_fills_in(home):
    home.name = "Smith & <Jones>"
    mail = preview(home, body_html="<p>{{ library.name }}</p>")
    assert mail.html == "<p>Smith &amp; &lt;Jones&gt;</p>"


def test_a_saved_override_is_used_in_the_next_email(home, mailoutbox, email_patron):
    EmailTemplate.objects.create(library=home, kind="ready-for-pickup", subject="Come and get {{ r.title }}",
                                 body_text="Hi {{ patron.first_name }}, it waits at {{ r.pickup_location }}.")
    request = IllRequestFactory(library=home, status=BorrowingStatus.READY_FOR_PICKUP, title="Moby-Dick")
    email_patron(notifications.READY_FOR_PICKUP, request)
    [mail] = mailoutbox
    assert mail.subject == "Come and get Moby-Dick"
    assert mail.body.startswith(f"Hi {request.patron.first_name}, it waits at")
    assert mail.alternatives == []  # no HTML override: plain text only


def test_another_librarys_override_is_not_used(home, mailoutbox, email_patron):
    EmailTemplate.objects.create(library=MemberLibraryFactory(), kind="ready-for-pickup", subject="Theirs",
                                 body_text="Theirs")
    request = IllRequestFactory(library=home, status=BorrowingStatus.READY_FOR_PICKUP)
    email_patron(notifications.READY_FOR_PICKUP, request)
    assert mailoutbox[0].subject.startswith("Ready for pickup")


def test_the_renewal_email_override_knows_whether_it_was_granted(home, mailoutbox, email_patron):
    EmailTemplate.objects.create(library=home, kind="renewal-answered",
                                 subject="{% if granted %}Renewed{% else %}Not renewed{% endif %}",
                                 body_text="Due {{ r.due_date|date:'j F Y' }}", body_html="<p>{{ r.title }}</p>")
    request = IllRequestFactory(library=home, status=BorrowingStatus.CHECKED_OUT, patron_due_date=dt.date(2027, 3, 1))
    email_patron(notifications.RENEWAL_ANSWERED, request, granted=True)
    [mail] = mailoutbox
    assert (mail.subject, mail.body) == ("Renewed", "Due 1 March 2027")
    assert mail.alternatives[0][0] == f"<p>{request.title}</p>"


def test_an_invoice_email_override_is_used_for_that_librarys_invoices(home):
    EmailTemplate.objects.create(library=home, kind="invoice-issued", subject="Invoice {{ invoice.number }}",
                                 body_text="Please pay {{ invoice.total }} {{ invoice.currency }}.")
    partner = LibraryFactory()
    invoice = Invoice.objects.create(
        library=home, partner=partner, sequence=1, number="HOME-1", status=InvoiceStatus.ISSUED,
        period_start=dt.date(2026, 10, 1), period_end=dt.date(2026, 10, 31), currency="USD", total="12.50",
        issuer_name=home.name, issuer_address="1 Main St", recipient_name=partner.name, recipient_address="2 High St",
        recipient_symbol=partner.symbol, recipient_email="ap@partner.example.org")
    email = write_invoice_email(invoice)
    assert (email.subject, email.body_text) == ("Invoice HOME-1", "Please pay 12.50 USD.")


@pytest.mark.parametrize("wording", ["{{ r.title|safe }}", "{{ r.title|ljust:'100000000' }}",
                                     "{% autoescape off %}{{ r.title }}{% endautoescape %}"])
def test_ways_to_unescape_or_blow_up_a_value_are_refused(home, wording):
    with pytest.raises(ValidationError):
        preview(home, body_html=wording)


def test_loops_nested_three_deep_are_refused(home):
    loop = "{% for a in r.title %}{% for b in r.title %}{% for c in r.title %}x{% endfor %}{% endfor %}{% endfor %}"
    with pytest.raises(ValidationError, match="nested at most 2 deep"):
        preview(home, body_text=loop)


def test_the_reminder_job_reads_a_librarys_wording_once_not_once_per_loan(home, mailoutbox,
                                                                         django_capture_on_commit_callbacks):
    EmailTemplate.objects.create(library=home, kind="due-soon", subject="Due: {{ r.title }}", body_text="Soon")
    today = dt.date(2027, 3, 10)
    for _ in range(3):
        IllRequestFactory(library=home, status=BorrowingStatus.CHECKED_OUT,
                          patron_due_date=today + dt.timedelta(days=2))
    with CaptureQueriesContext(connection) as queries, django_capture_on_commit_callbacks(execute=True):
        assert send_reminders(today=today.isoformat())["due_soon"] == 3
    assert [m.subject.startswith("Due: ") for m in mailoutbox] == [True] * 3
    assert sum('"requests_app_emailtemplate"' in q["sql"] for q in queries.captured_queries) == 1
