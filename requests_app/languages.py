"""Each person's language: chosen in the page header, kept on their profile, used for their pages and e-mails.

The header's switcher posts to ``set_language`` (a plain form, no JavaScript needed): Django's view sets the
language cookie and sends the person back; for a signed-in person the choice is also saved on their patron and
staff profiles and kept in the session. At sign-in (``remember_at_sign_in``) the profile's language goes into
the session, and ``illms.middleware.ProfileLanguage`` applies it to every request after that, so a person sees
their language on any computer they sign in at, without a query per request. E-mails are rendered in the
recipient's language (``recipient_language``), never in the language of whoever caused them; what travels to a
partner library (invoices, the cover sheet, labels and slips) in its directory entry's (``library_language``).
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from .models import PatronProfile, StaffProfile

#: The session key holding a signed-in person's language.
SESSION_KEY = "illms_language"


def supported(code: str | None) -> str | None:
    """``code`` when it is one of ``LANGUAGES`` (or a variant of one), else ``None``."""
    if not code:
        return None
    try:
        return translation.get_supported_language_variant(code)
    except LookupError:
        return None


def profile_language(user) -> str:
    """The language saved for ``user``: their staff profile's, else their patron profile's, else ``""``."""
    for name in ("staff_profile", "patron_profile"):
        profile = getattr(user, name, None)
        if profile is not None and supported(profile.language):
            return profile.language
    return ""


def starter_language(user) -> str:
    """The language a job words what ``user`` started (a file import's report, its refused records): their
    profile's, else the site's default (``LANGUAGE_CODE``), as if they had waited on the page for it."""
    return (profile_language(user) if user is not None else "") or settings.LANGUAGE_CODE


def recipient_language(user) -> str:
    """The language to write to ``user`` in: their profile's, else the site's default (``LANGUAGE_CODE``)."""
    profile = getattr(user, "patron_profile", None) if user is not None else None
    return supported(getattr(profile, "language", "")) or settings.LANGUAGE_CODE


def library_language(library) -> str:
    """The language to write to ``library`` in (a partner's invoices, the slips and labels travelling to it): its
    directory entry's, else the site's default."""
    return supported(getattr(library, "language", "")) or settings.LANGUAGE_CODE


def remember_at_sign_in(sender, request: HttpRequest, user, **kwargs) -> None:
    """``user_logged_in`` receiver: the profile's language into the new session.

    A person whose profile holds no language yet but who chose one in the header before signing in (the
    language cookie) keeps that choice: it is saved on their profiles.
    """
    if request is None or not hasattr(request, "session"):
        return
    language = profile_language(user)
    if not language:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if not chosen or supported(chosen) != chosen:
            return
        language = chosen
        PatronProfile.objects.filter(user=user, language="").update(language=language)
        StaffProfile.objects.filter(user=user, language="").update(language=language)
    request.session[SESSION_KEY] = language


def remember_language(request: HttpRequest, language: str) -> None:
    """``language`` (``""``: the site's default) for the rest of this session, as saved on the profile."""
    if supported(language):
        request.session[SESSION_KEY] = language
        translation.activate(language)
    else:
        request.session.pop(SESSION_KEY, None)


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """The switcher's form: Django's ``set_language`` (cookie, safe ``next``), and the signed-in person's profiles.

    An unknown language changes nothing and sends the person back, as Django's view does.
    """
    response = django_set_language(request)
    language = supported(request.POST.get("language"))
    if language and language == request.POST.get("language") and request.user.is_authenticated:
        request.session[SESSION_KEY] = language
        PatronProfile.objects.filter(user=request.user).update(language=language)
        StaffProfile.objects.filter(user=request.user).update(language=language)
    return response
