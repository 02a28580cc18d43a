"""requests_app.policies: the settings until a library saves its own policies."""

import pytest

from requests_app.models import Library, LibraryPolicy, PolicyChange
from requests_app.policies import default_policy, policy_for, policy_row, prefetch_policies, save_policy
from tests.factories import MemberLibraryFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_a_library_without_a_policy_row_gets_the_settings(settings):
    settings.ILLMS_DUE_DATE_BUFFER_DAYS = 4
    settings.ILLMS_MAX_ACTIVE_REQUESTS_PER_PATRON = 12
    policy = policy_for(MemberLibraryFactory())
    assert policy.due_date_buffer_days == 4
    assert policy.max_active_requests_for("faculty") == 12
    assert policy == default_policy()


def test_a_new_policy_row_starts_from_the_settings(settings):
    settings.ILLMS_ROTA_AUTO_ADVANCE_DAYS = 6
    settings.ILLMS_PATRON_DATA_RETENTION_DAYS = 30
    row = policy_row(MemberLibraryFactory())
    assert row.pk is None
    assert row.rota_auto_advance_days == 6
    assert row.patron_data_retention_days == 30


def test_a_saved_policy_wins_over_the_settings_for_that_library_only(settings):
    settings.ILLMS_DUE_DATE_BUFFER_DAYS = 3
    library, other = MemberLibraryFactory(), MemberLibraryFactory()
    save_policy(library=library, values={"due_date_buffer_days": 5}, actor=UserFactory(), area="borrowing")
    assert policy_for(library).due_date_buffer_days == 5
    assert policy_for(other).due_date_buffer_days == 3


def test_a_category_limit_replaces_the_general_limit_for_that_category():
    library = MemberLibraryFactory()
    save_policy(library=library, values={"max_active_requests": 10,
                                         "max_active_requests_by_category": {"undergraduate": 2}},
                actor=None, area="borrowing")
    policy = policy_for(library)
    assert policy.max_active_requests_for("undergraduate") == 2
    assert policy.max_active_requests_for("faculty") == 10


def test_saving_records_who_changed_what():
    library, admin = MemberLibraryFactory(), UserFactory()
    save_policy(library=library, values={"max_renewals": 4}, actor=admin, area="borrowing")
    change = PolicyChange.objects.get(library=library)
    assert change.changed_by == admin
    assert change.changes == {"max_renewals": [2, 4]}
    assert LibraryPolicy.objects.get(library=library).updated_by == admin


def test_a_change_is_seen_by_a_library_instance_read_before_it():
    library = MemberLibraryFactory()
    assert policy_for(library).max_renewals == 2
    save_policy(library=Library.objects.get(pk=library.pk), values={"max_renewals": 3}, actor=None, area="borrowing")
    assert policy_for(library).max_renewals == 3


def test_prefetch_reads_many_libraries_in_one_query(django_assert_num_queries):
    libraries = [MemberLibraryFactory() for _ in range(3)]
    save_policy(library=libraries[0], values={"max_renewals": 1}, actor=None, area="borrowing")
    with django_assert_num_queries(1):
        prefetch_policies(libraries)
        assert [policy_for(lib).max_renewals for lib in libraries] == [1, 2, 2]
