"""The account and patron profile for a person an identity provider (or the library's patron load) vouches for.

One function, :func:`provision`, is called by every sign-in door after the provider's answer is verified, with
the attributes read by :func:`~.mapping.read_attributes`. It finds the account by the door and subject
(:class:`~requests_app.models.ExternalIdentity`), or else by the library card or institutional id a patron
load gave the library's patron; it creates a patron the first time, and refreshes the name, e-mail, category,
department, card and expiry at every sign-in. It never links a provider's subject to an account by a user name
or an e-mail address, which anyone may share, except for staff when the provider releases the staff attribute
and ``ILLMS_IDENTITY_LINK_STAFF`` allows it. A door that manages staff roles (``staff_roles``, the LDAP door's
groups) makes a staff account for someone it gives roles to, and keeps a staff account's roles equal to its own.

A refusal is :class:`IdentityRefused`, whose message is shown on the sign-in page as it is; nothing is written.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from requests_app import roles
from requests_app.models import ExternalIdentity, Library, PatronCategory, PatronProfile, StaffProfile

from .mapping import IdentityAttributes


class IdentityRefused(Exception):
    """The door may not sign this person in; ``message`` says why, in words for the person."""

    def __init__(self, message: str, *, code: str = "refused"):
        super().__init__(message)
        self.message = message
        self.code = code


def contact_for(library: Library | None) -> str:
    """Whom a patron asks: "the ILL office of Demo University Library (ill@demo.example.org)"."""
    if library is None:
        return _("the interlibrary loan office")
    if library.email:
        return _("the interlibrary loan office of %(name)s (%(email)s)") % {"name": library.name,
                                                                           "email": library.email}
    return _("the interlibrary loan office of %(name)s") % {"name": library.name}


def choose_library(attributes: IdentityAttributes, door_library: str = "") -> Library:
    """The member library the person belongs to: named by an attribute, else by the door, else the only one."""
    members = Library.objects.filter(is_member=True, active=True)
    symbol = attributes.library or door_library or getattr(settings, "ILLMS_IDENTITY_DEFAULT_LIBRARY", "")
    if symbol:
        found = members.filter(symbol__iexact=symbol).first()
        if found is None:
            raise IdentityRefused(
                _("Your institution's sign-in names the library %(symbol)s, which does not use this interlibrary "
                  "loan service. Please contact your library.") % {"symbol": symbol}, code="unknown_library")
        return found
    only = list(members[:2])
    if len(only) == 1:
        return only[0]
    raise IdentityRefused(
        _("Your institution's sign-in did not say which library you belong to. Please sign in through your own "
          "library's button, or contact your library."), code="no_library")


def _free_username(wanted: str, door: str) -> str:
    User = get_user_model()
    base = (wanted or door).strip()[:140]
    candidate = base
    number = 1
    while User.objects.filter(username__iexact=candidate).exists():
        number += 1
        candidate = f"{base}~{door}{number if number > 2 else ''}"[:150]
    return candidate


def _linked_patron(library: Library, attributes: IdentityAttributes):
    """The patron a load (or the desk) already made for this person at ``library``, if it has no other identity."""
    profiles = PatronProfile.objects.filter(library=library).select_related("user")
    profile = None
    if attributes.institution_id:
        profile = profiles.filter(institution_id=attributes.institution_id).first()
    if profile is None and attributes.barcode:
        profile = profiles.filter(card_barcode=attributes.barcode).first()
    if profile is None:
        return None
    if ExternalIdentity.objects.filter(user=profile.user, door=attributes.door).exists():
        return None  # already someone's at this door: a second subject may not take it
    return profile.user


def _linked_staff(attributes: IdentityAttributes):
    if not (attributes.staff and getattr(settings, "ILLMS_IDENTITY_LINK_STAFF", True) and attributes.username):
        return None
    user = get_user_model().objects.filter(username__iexact=attributes.username, staff_profile__isnull=False).first()
    if user is None or ExternalIdentity.objects.filter(user=user, door=attributes.door).exists():
        return None
    return user


def _barcode(attributes: IdentityAttributes, profile: PatronProfile | None) -> str:
    if attributes.barcode:
        return attributes.barcode
    if profile is not None and profile.card_barcode:
        return profile.card_barcode
    return (attributes.institution_id or f"{attributes.door}:{attributes.subject}")[:32]


def refresh_profile(user, library: Library, attributes: IdentityAttributes, *, source: str) -> PatronProfile:
    """Create or update ``user``'s patron profile from ``attributes`` (only what they say; the rest is kept)."""
    profile = PatronProfile.objects.select_for_update().filter(user=user).first()
    creating = profile is None
    if creating:
        profile = PatronProfile(user=user, library=library,
                                category=attributes.category or PatronCategory.PUBLIC)
    barcode = _barcode(attributes, None if creating else profile)
    taken = PatronProfile.objects.filter(library=profile.library, card_barcode=barcode).exclude(user=user)
    if taken.exists():
        raise IdentityRefused(
            _("Your library card %(barcode)s is registered to another account here. Please contact %(contact)s.")
            % {"barcode": barcode, "contact": contact_for(profile.library)}, code="barcode_taken")
    profile.card_barcode = barcode
    if attributes.category:
        profile.category = attributes.category
    if attributes.department:
        profile.department = attributes.department
    if attributes.institution_id:
        profile.institution_id = attributes.institution_id
    if attributes.expires_on is not None:
        profile.expires_on = attributes.expires_on
    if attributes.blocked is not None:  # only when the door's mapping names a block attribute
        profile.blocked, profile.blocked_reason = attributes.blocked, attributes.blocked_reason
        profile.blocked_by_ils = False
    profile.refreshed_from = source[:20]
    profile.refreshed_at = timezone.now()
    profile.save()
    return profile


def _refresh_user(user, attributes: IdentityAttributes) -> None:
    changed = []
    for name in ("first_name", "last_name", "email"):
        value = getattr(attributes, name)
        if value and getattr(user, name) != value:
            setattr(user, name, value)
            changed.append(name)
    if changed:
        user.save(update_fields=changed)


def _set_roles(user, role_names: tuple[str, ...]) -> None:
    """The account's member-library roles become exactly ``role_names`` (installation roles are kept)."""
    from django.contrib.auth.models import Group

    wanted = set(role_names) & set(roles.MEMBER_LIBRARY_ROLES)
    if Group.objects.filter(name__in=wanted).count() < len(wanted):
        roles.sync_roles()  # a flushed database lost the groups the data migration made
    held = set(user.groups.filter(name__in=roles.MEMBER_LIBRARY_ROLES).values_list("name", flat=True))
    if held - wanted:
        user.groups.remove(*Group.objects.filter(name__in=held - wanted))
    if wanted - held:
        user.groups.add(*Group.objects.filter(name__in=wanted - held))


def provision(attributes: IdentityAttributes, *, door_library: str = ""):
    """The account for the person ``attributes`` describe, created or refreshed; raises ``IdentityRefused``."""
    if not attributes.subject:
        raise IdentityRefused(
            _("Your institution's sign-in did not say who you are (no user identifier was released). Please "
              "contact your library."), code="no_subject")
    try:
        with transaction.atomic():
            return _provision(attributes, door_library)
    except IntegrityError:
        # Two first sign-ins of one person at once: the other made the account; take it.
        with transaction.atomic():
            return _provision(attributes, door_library)


def _new_account(attributes: IdentityAttributes):
    user = get_user_model()(username=_free_username(attributes.username, attributes.door))
    user.set_unusable_password()
    user.save()
    return user


def _provision(attributes: IdentityAttributes, door_library: str):
    identity = (ExternalIdentity.objects.select_for_update().select_related("user")
                .filter(door=attributes.door, subject=attributes.subject).first())
    user = identity.user if identity else None
    is_staff_account = user is not None and hasattr(user, "staff_profile")
    library = None
    if user is None:
        user = _linked_staff(attributes)
        is_staff_account = user is not None
    if user is None and attributes.staff_roles:
        # The provider gives staff roles to someone we do not know: their staff account, at the door's library.
        library = choose_library(attributes, door_library)
        user = _new_account(attributes)
        StaffProfile.objects.create(user=user, library=library)
        is_staff_account = True
    if not is_staff_account:
        existing = getattr(user, "patron_profile", None) if user is not None else None
        library = existing.library if existing is not None and not attributes.library else \
            choose_library(attributes, door_library)
        if user is None:
            user = _linked_patron(library, attributes)
    if user is None:
        user = _new_account(attributes)
    if not user.is_active:
        raise IdentityRefused(_("This account is switched off here. Please contact %(contact)s.")
                              % {"contact": contact_for(library)}, code="inactive")
    _refresh_user(user, attributes)
    if is_staff_account and attributes.staff_roles is not None:
        _set_roles(user, attributes.staff_roles)
        if roles.ILL_ADMINISTRATOR in attributes.staff_roles and not user.is_staff:
            user.is_staff = True  # an ILL administrator works in the Django admin too (not taken away here)
            user.save(update_fields=["is_staff"])
    if not is_staff_account:
        refresh_profile(user, library, attributes, source=attributes.door)
    if identity is None:
        ExternalIdentity.objects.create(user=user, door=attributes.door, subject=attributes.subject)
    else:
        identity.save(update_fields=["last_seen"])
    return user
