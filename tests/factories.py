"""factory-boy factories for the core models; every test builds its data with these."""

from __future__ import annotations

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from borrowing.states import BorrowingStatus
from lending.states import LendingStatus
from requests_app import roles
from requests_app.models import (
    IllRequest,
    Library,
    PatronProfile,
    PickupLocation,
    RequestFormat,
    Role,
    SavedQueueView,
    StaffProfile,
)

PASSWORD = "correct horse battery staple"


class LibraryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Library
        django_get_or_create = ("symbol",)

    symbol = factory.Sequence(lambda n: f"P{n:03d}")
    name = factory.LazyAttribute(lambda o: f"Partner Library {o.symbol}")
    agency_id_type = "OCLC"
    agency_id_value = factory.SelfAttribute("symbol")
    email = factory.LazyAttribute(lambda o: f"ill@{o.symbol.lower()}.example.org")
    city = "Springfield"
    country = "US"


class MemberLibraryFactory(LibraryFactory):
    symbol = factory.Sequence(lambda n: f"M{n:03d}")
    name = factory.LazyAttribute(lambda o: f"Member Library {o.symbol}")
    is_member = True


class PickupLocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PickupLocation

    library = factory.SubFactory(MemberLibraryFactory)
    code = factory.Sequence(lambda n: f"desk-{n}")
    name = factory.Sequence(lambda n: f"Circulation desk {n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = "Ada"
    last_name = factory.Sequence(lambda n: f"Reader{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.edu")
    password = factory.django.Password(PASSWORD)


class PatronFactory(UserFactory):
    """A user with a patron profile at a member library."""

    profile = factory.RelatedFactory(
        "tests.factories.PatronProfileFactory", factory_related_name="user",
    )


class PatronProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PatronProfile

    user = factory.SubFactory(UserFactory)
    library = factory.SubFactory(MemberLibraryFactory)
    card_barcode = factory.Sequence(lambda n: f"2100{n:08d}")
    department = "History"


class StaffFactory(UserFactory):
    """A staff account of ``library`` in the given role groups (by default both ILL queues)."""

    username = factory.Sequence(lambda n: f"staff{n}")

    @factory.post_generation
    def library(obj, create, extracted, **kwargs):
        if not create:
            return
        StaffProfile.objects.create(user=obj, library=extracted or MemberLibraryFactory())

    @factory.post_generation
    def groups(obj, create, extracted, **kwargs):
        if not create:
            return
        names = extracted if extracted is not None else [roles.BORROWING_STAFF, roles.LENDING_STAFF]
        if Group.objects.filter(name__in=names).count() < len(set(names)):
            # A transactional test flushed the groups the data migration made.
            roles.sync_roles()
        obj.groups.add(*Group.objects.filter(name__in=names))


class IllRequestFactory(factory.django.DjangoModelFactory):
    """A request row in a given status, made directly (no workflow events): for reads and set-up."""

    class Meta:
        model = IllRequest

    role = Role.BORROWING
    library = factory.SubFactory(MemberLibraryFactory)
    partner = factory.SubFactory(LibraryFactory)
    status = BorrowingStatus.SUBMITTED
    format = RequestFormat.BOOK
    title = factory.Sequence(lambda n: f"A History of Interlibrary Loan, volume {n}")
    author = "Smith, Jane"
    publication_date = "2019"
    requesting_agency_request_id = factory.Sequence(lambda n: f"REQ-{n}")

    @factory.lazy_attribute
    def patron(self):
        if self.role != Role.BORROWING:
            return None
        return PatronProfileFactory(library=self.library).user


class LendingRequestFactory(IllRequestFactory):
    role = Role.LENDING
    status = LendingStatus.NEW


class SavedQueueViewFactory(factory.django.DjangoModelFactory):
    """A staff member's saved view of the borrowing queue (by default), of their own library."""

    class Meta:
        model = SavedQueueView

    owner = factory.SubFactory(StaffFactory)
    library = factory.LazyAttribute(lambda o: o.owner.staff_profile.library)
    queue = Role.BORROWING
    name = factory.Sequence(lambda n: f"My view {n}")
    filters = factory.LazyFunction(lambda: {"status": BorrowingStatus.SENT})
    sort = "title"
    columns = factory.LazyFunction(lambda: ["age"])


def partner_key(library: Library) -> str:
    """A new API key of ``library``, raw (as the partner would hold it)."""
    from requests_app.partners.keys import issue_api_key

    return issue_api_key(library=library, name="tests")[1]


def sender_credentials(message) -> dict[str, str]:
    """The ``Authorization`` header (test client keyword) of the library that sends ``message``: every partner door
    authenticates its sender, so a test of what a message does sends it as its partner would, with a key."""
    from requests_app.partners.handler import find_parties

    sender, _member = find_parties(message)
    return {"HTTP_AUTHORIZATION": f"Bearer {partner_key(sender)}"} if sender is not None else {}


def give_authenticator(user, *, recovery_codes: tuple[str, ...] = ()):
    """``user``'s confirmed authenticator app (django-otp TOTP), and recovery codes if given; returns the device."""
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)
    if recovery_codes:
        codes = StaticDevice.objects.create(user=user, name="Recovery codes", confirmed=True)
        for code in recovery_codes:
            codes.token_set.create(token=code)
    return device


def totp_code(device, *, steps_ahead: int = 0) -> str:
    """The code ``device``'s authenticator app shows now (or ``steps_ahead`` periods of 30 s from now)."""
    import time

    from django_otp.oath import TOTP

    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():0{device.digits}d}"


def sign_in_verified(client, user) -> None:
    """Sign ``client`` in as ``user`` with the second factor given, as the real sign-in leaves a session."""
    from django_otp import DEVICE_ID_SESSION_KEY

    device = give_authenticator(user) if not user.totpdevice_set.filter(confirmed=True).exists() else \
        user.totpdevice_set.filter(confirmed=True).first()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session["illms_2fa"] = "code"
    session.save()
