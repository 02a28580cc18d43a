"""/help/<side>/: every state and action of each workflow, explained from the workflow table."""

from __future__ import annotations

import html
import re

import pytest
from django.urls import reverse

from borrowing.states import PATRON_DESCRIPTIONS
from borrowing.workflow import within_renewal_limit
from lending.states import LendingStatus
from requests_app.actors import ActorKind
from requests_app.help import workflow_help
from requests_app.renewals import no_renewal_pending
from requests_app.roles import BORROWING_STAFF, LENDING_STAFF
from requests_app.workflow import registry
from tests.factories import PatronFactory, StaffFactory

pytestmark = pytest.mark.django_db

WORKFLOWS = [w.role for w in registry]


@pytest.fixture
def staff_client(client):
    client.force_login(StaffFactory(groups=[BORROWING_STAFF, LENDING_STAFF]))
    return client


def page(client, role: str) -> str:
    response = client.get(reverse("help:workflow", args=[role]))
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def test_both_desks_have_a_help_page():
    assert set(WORKFLOWS) == {"borrowing", "lending"}


@pytest.mark.parametrize("role", WORKFLOWS)
def test_every_state_appears_with_its_label_and_description(staff_client, role):
    text = page(staff_client, role)
    for state in registry.get(role).states.values():
        assert state.description, f"{role} state {state.value} has no description"
        assert f'id="state-{state.value}"' in text
        assert str(state.label) in text and str(state.description) in text


@pytest.mark.parametrize("role", WORKFLOWS)
def test_every_action_appears_with_its_help_text(staff_client, role):
    text = page(staff_client, role)
    for transition in registry.get(role).transitions.values():
        assert transition.description, f"{role} action {transition.action} has no help text (description)"
        assert f'id="action-{transition.action}"' in text
        assert str(transition.label) in text and str(transition.description) in text


@pytest.mark.parametrize("role", WORKFLOWS)
def test_every_guard_effect_and_hook_explains_itself(role):
    for transition in registry.get(role).transitions.values():
        for function in (*transition.guards, *transition.effects, *transition.with_event,
                         *transition.after_commit):
            assert (function.__doc__ or "").strip(), (
                f"{role}.{transition.action}: {function.__name__} needs a docstring saying what it checks or does")


def test_an_action_shows_who_from_where_to_where_its_guard_and_what_follows(staff_client):
    help_ = {a.transition.action: a for a in workflow_help(registry.get("borrowing")).actions}
    renewal = help_["request_renewal"]
    assert renewal.who == ["The patron (from My requests)", "Borrowing staff"]
    assert {s.value for s in renewal.sources} == {"checked_out", "overdue"}
    assert renewal.target is None
    assert renewal.guards == [" ".join(guard.__doc__.split()) for guard in (within_renewal_limit, no_renewal_pending)]
    assert renewal.iso18626 == "Sends the lender the requestingAgencyMessage action Renew."
    notify = help_["notify_patron"]
    assert notify.after == ["The patron is e-mailed (ready for pickup)."]
    text = page(staff_client, "borrowing")
    assert "The patron is e-mailed (ready for pickup)." in text
    assert "Stays in the same state" in text
    assert renewal.guards[0] in text


def test_partner_driven_actions_say_which_message_performs_them():
    lending = {a.transition.action: a for a in workflow_help(registry.get("lending")).actions}
    assert lending["borrower_cancelled"].iso18626 == "Done when the borrower sends the requestingAgencyMessage " \
                                                     "action Cancel."
    assert lending["ship"].iso18626 == "Tells the borrower the status Loaned (supplyingAgencyMessage)."
    borrowing = {a.transition.action: a for a in workflow_help(registry.get("borrowing")).actions}
    assert borrowing["lender_shipped"].iso18626 == "Done when the lender's supplyingAgencyMessage says status Loaned."
    assert ActorKind.PARTNER in borrowing["lender_shipped"].transition.performers


def test_a_lending_state_says_what_the_borrower_is_told(staff_client):
    assert "The borrower is told “WillSupply”." in page(staff_client, "lending")


def test_the_help_index_links_both_desks(staff_client):
    text = staff_client.get(reverse("help:index")).content.decode()
    assert reverse("help:workflow", args=["borrowing"]) in text
    assert reverse("help:workflow", args=["lending"]) in text


def test_an_unknown_desk_is_not_found(staff_client):
    assert staff_client.get(reverse("help:workflow", args=["billing"])).status_code == 404


def test_a_patron_cannot_read_a_desks_help(client):
    client.force_login(PatronFactory())
    response = client.get(reverse("help:workflow", args=["borrowing"]))
    assert response.status_code == 403
    assert "your account is not a staff account" in html.unescape(response.content.decode())


def test_a_patron_following_a_link_to_the_help_lands_on_the_patrons_help(client):
    client.force_login(PatronFactory())
    response = client.get(reverse("help:index"))
    assert response.status_code == 302 and response["Location"] == reverse("patron-help")


def test_the_patrons_help_explains_every_status_in_the_patrons_words(client):
    client.force_login(PatronFactory())
    response = client.get(reverse("patron-help"))
    assert response.status_code == 200
    text = html.unescape(response.content.decode())
    assert all(str(description) in text for description in PATRON_DESCRIPTIONS.values())


def test_every_link_of_the_patrons_menu_and_help_answers_200(client):
    client.force_login(PatronFactory())
    seen = set()
    for source in (reverse("home"), reverse("patron-help")):
        page = client.get(source).content.decode()
        seen |= {link for link in re.findall(r'href="(/[^"#]*)', page) if not link.startswith("/static/")}
    assert reverse("patron-help") in seen and reverse("help:index") not in seen
    for link in sorted(seen):
        assert client.get(link, follow=True).status_code == 200, link


def test_staff_do_not_get_the_patrons_help_in_their_menu(staff_client):
    page = staff_client.get(reverse("home")).content.decode()
    assert reverse("help:index") in page and reverse("patron-help") not in page


def test_an_anonymous_visitor_is_sent_to_sign_in(client):
    response = client.get(reverse("help:workflow", args=["lending"]))
    assert response.status_code == 302 and reverse("login") in response["Location"]


@pytest.mark.parametrize("url, role", [
    ("/borrowing/queue/", "borrowing"), ("/lending/", "lending"),
])
def test_each_desk_and_queue_links_its_help(staff_client, url, role):
    assert reverse("help:workflow", args=[role]) in staff_client.get(url).content.decode()


def test_a_request_page_links_the_help_of_its_state(staff_client):
    from tests.factories import LendingRequestFactory

    staff = StaffFactory(groups=[LENDING_STAFF])
    staff_client.force_login(staff)
    request = LendingRequestFactory(library=staff.staff_profile.library, status=LendingStatus.AWAITING_SHIPPING)
    text = staff_client.get(reverse("lending:request", args=[request.pk])).content.decode()
    assert reverse("help:workflow", args=["lending"]) + "#state-awaiting_shipping" in text


HELP_PAGES = [reverse("help:index"), *(reverse("help:workflow", args=[role]) for role in WORKFLOWS)]
FILE_PATH = re.compile(r"\b(?:docs|templates|requests_app|borrowing|lending|billing)/[\w/.-]*\.(?:md|py|html)\b"
                       r"|\b[\w-]+\.(?:md|py)\b")


@pytest.fixture
def administrator_client(client):
    from requests_app.roles import ILL_ADMINISTRATOR
    client.force_login(StaffFactory(groups=[ILL_ADMINISTRATOR]))
    return client


def visible_text(page_html: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", page_html))


@pytest.mark.parametrize("url", HELP_PAGES)
def test_a_help_page_shows_no_file_path_of_the_code_or_its_documentation(administrator_client, url):
    text = visible_text(administrator_client.get(url).content.decode())
    assert FILE_PATH.findall(text) == []


@pytest.mark.parametrize("url", HELP_PAGES)
def test_every_link_of_a_help_page_answers_with_a_page(administrator_client, url):
    page_html = administrator_client.get(url).content.decode()
    main = page_html.split('id="main"', 1)[1]
    targets = set(re.findall(r'href="([^"]+)"', main))
    assert targets, "the help page links nothing"
    for target in targets:
        path, _, fragment = html.unescape(target).partition("#")
        if not path:
            assert f'id="{fragment}"' in page_html, f"{url} links #{fragment}, which is not on the page"
            continue
        assert path.startswith("/"), f"{url} links outside the site: {target}"
        assert administrator_client.get(path).status_code == 200, f"{url} links {target}, which does not answer 200"


@pytest.mark.parametrize("role", WORKFLOWS)
def test_every_guard_effect_and_hook_explanation_is_listed_for_the_translations(role):
    from requests_app.help import explanation
    from requests_app.help_texts import EXPLANATIONS

    workflow = registry.get(role)
    explained = {explanation(function) for t in workflow.transitions.values()
                 for function in (*t.guards, *t.effects, *t.with_event, *t.after_commit)}
    assert explained - EXPLANATIONS == set()
