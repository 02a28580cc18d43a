"""The LDAP door's authentication backend: the sign-in form's ``authenticate()`` reaches it after the library's own
passwords (``ModelBackend``), so a local account keeps its password and everyone else is checked at the directory.

A refusal returns no user, as a wrong password does, so django-axes counts it toward the lockout of the account
and address; its message is left on the request for the sign-in form to show (:mod:`requests_app.identity.forms`).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import BaseBackend

from .. import ldap as directory
from ..doors import door_library
from ..fields import STAFF_ROLES
from ..mapping import UnreadableAttribute, category_for, read_attributes
from ..provisioning import IdentityRefused, provision

logger = logging.getLogger(__name__)
#: Where the refusal's message waits for the sign-in form.
REFUSAL_ATTRIBUTE = "illms_signin_refusal"


def _group_keys(dn: str) -> set[str]:
    """The names a group is configured by: its whole DN and its first RDN's value (its ``cn``), in lower case."""
    dn = dn.strip().lower()
    first = dn.split(",", 1)[0]
    return {dn, first.partition("=")[2].strip()} if "=" in first else {dn}


def attributes_of(person: directory.DirectoryPerson):
    """The person's :class:`~..mapping.IdentityAttributes`, their groups' category and staff roles laid over."""
    from requests_app import roles

    attributes = read_attributes(person.attributes, door=directory.DOOR)
    names = set().union(*(_group_keys(dn) for dn in person.groups)) if person.groups else set()
    categories = [c for group, values in settings.ILLMS_LDAP_GROUP_CATEGORIES.items() if group in names
                  for c in values]
    if categories:
        attributes.affiliations = (*attributes.affiliations, *categories)
        attributes.category = category_for(attributes.affiliations)
    if settings.ILLMS_LDAP_STAFF_GROUPS:
        by_short_name = dict(zip(STAFF_ROLES, roles.MEMBER_LIBRARY_ROLES, strict=True))
        granted = {by_short_name[r] for group, values in settings.ILLMS_LDAP_STAFF_GROUPS.items() if group in names
                   for r in values}
        attributes.staff_roles = tuple(sorted(granted))
        attributes.staff = attributes.staff or bool(granted)
    return attributes


class LDAPBackend(BaseBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if directory.DOOR not in settings.ILLMS_SIGNIN_DOORS or username is None or password is None:
            return None
        try:
            person = directory.authenticate(username, password)
            user = provision(attributes_of(person), door_library=door_library(directory.DOOR))
        except (directory.DirectoryRefused, IdentityRefused) as refusal:
            logger.warning("Sign-in through ldap refused for %r: %s", username, refusal.code)
            self._refuse(request, refusal.message)
            return None
        except UnreadableAttribute as refusal:
            logger.warning("Sign-in through ldap refused for %r: %s", username, refusal)
            self._refuse(request, str(refusal))
            return None
        logger.info("Signed in %s through ldap", user.get_username())
        return user

    @staticmethod
    def _refuse(request, message: str) -> None:
        if request is not None:
            setattr(request, REFUSAL_ATTRIBUTE, message)

    def get_user(self, user_id):
        user = get_user_model()._default_manager.filter(pk=user_id).first()
        return user if user is not None and user.is_active else None
