"""The SAML door's pages: the sign-in start, the assertion consumer service, single logout and our metadata."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth import logout
from django.core import signing
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render, resolve_url
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.client import Saml2Client
from saml2.metadata import create_metadata_string
from saml2.response import StatusError, UnsolicitedResponse, VerificationError
from saml2.s_utils import sid
from saml2.saml import NameID, name_id_from_string
from saml2.sigver import MissingKey, SignatureError
from saml2.validate import ResponseLifetimeExceed, ToEarly

from requests_app.two_factor.policy import asserted_mfa

from ..doors import door_library
from ..mapping import UnreadableAttribute, read_attributes
from ..provisioning import IdentityRefused, provision
from ..views import SESSION_DOOR, complete_sign_in, refused
from .config import SIGNING, SamlUnavailable, identity_provider, service_provider, site_base

logger = logging.getLogger(__name__)
DOOR = "saml"
BACKEND = "django.contrib.auth.backends.ModelBackend"
#: How long a sign-in started here may take at the identity provider.
REQUEST_MAX_AGE = 15 * 60
_RELAY_SALT = "illms.identity.saml.relay"
#: What single logout needs of the sign-in: the NameID (as XML), the session index and the identity provider.
SESSION_SAML = "illms_saml"


def unavailable(request: HttpRequest, problem: SamlUnavailable) -> HttpResponse:
    logger.warning("SAML sign-in is not available: %s", problem.reason)
    return render(request, "registration/signin_refused.html",
                  {"message": _("SAML sign-in is not available: %(reason)s") % {"reason": problem.reason},
                   "door": DOOR}, status=503)


def _client(request: HttpRequest) -> Saml2Client:
    return Saml2Client(config=service_provider(site_base(request)))


def _location(http: dict) -> str:
    return dict(http["headers"])["Location"]


@require_GET
def sign_in(request: HttpRequest) -> HttpResponse:
    """Send the browser to the identity provider with a signed AuthnRequest; ``next`` waits in the cache."""
    try:
        client = _client(request)
        idp = identity_provider(client.config)
    except SamlUnavailable as problem:
        return unavailable(request, problem)
    request_id = sid()
    # The RelayState proves, without the session (the identity provider's POST is cross-site, so the browser
    # may not send our session cookie), that the answer is to a request this site sent less than
    # REQUEST_MAX_AGE ago; it stays under the 80 bytes SAML allows.
    relay_state = signing.TimestampSigner(salt=_RELAY_SALT).sign(request_id)
    cache.set(f"saml:next:{request_id}", request.GET.get("next", "")[:2000], REQUEST_MAX_AGE)
    _request_id, info = client.prepare_for_authenticate(
        entityid=idp, relay_state=relay_state, binding=BINDING_HTTP_REDIRECT, message_id=request_id, sign=True,
        sigalg=SIGNING["sign_alg"], digest_alg=SIGNING["digest_alg"])
    return HttpResponseRedirect(_location(info))


def _why(exc: Exception) -> str:
    if isinstance(exc, SignatureError | MissingKey):
        return _("the answer from your institution's sign-in is not signed by the identity provider this library "
                 "trusts, or it was changed on the way.")
    if isinstance(exc, ResponseLifetimeExceed | ToEarly):
        return _("the answer from your institution's sign-in has expired (or is not valid yet).")
    if isinstance(exc, VerificationError):  # its conditions: the lifetime and the audience
        return _("the answer from your institution's sign-in has expired, or it was meant for another site.")
    if isinstance(exc, UnsolicitedResponse):
        return _("the answer from your institution's sign-in does not answer a sign-in started here.")
    if isinstance(exc, StatusError):
        return _("your institution's sign-in did not sign you in (%(status)s).") % {"status": exc}
    return _("the answer from your institution's sign-in could not be verified (%(error)s).") % {
        "error": str(exc)[:200] or type(exc).__name__}


def _refused(request: HttpRequest, why: str) -> HttpResponse:
    return refused(request, _("Your institution's sign-in could not sign you in: %(why)s Please sign in again, or "
                              "contact your library if this happens again.") % {"why": why}, door=DOOR)


@csrf_exempt  # the identity provider's page posts here: the signed assertion, not a CSRF token, proves it
@require_POST
def assertion_consumer(request: HttpRequest) -> HttpResponse:
    """Check the identity provider's answer and sign the person in, or say why not (nothing is written)."""
    try:
        client = _client(request)
    except SamlUnavailable as problem:
        return unavailable(request, problem)
    answer = request.POST.get("SAMLResponse", "")
    try:
        request_id = signing.TimestampSigner(salt=_RELAY_SALT).unsign(request.POST.get("RelayState", ""),
                                                                      max_age=REQUEST_MAX_AGE)
    except signing.BadSignature:
        return _refused(request, _("the answer does not belong to a sign-in started here in the last "
                                   "%(minutes)d minutes.") % {"minutes": REQUEST_MAX_AGE // 60})
    if not answer:
        return _refused(request, _("the identity provider sent no answer."))
    try:
        response = client.parse_authn_request_response(answer, BINDING_HTTP_POST, outstanding={request_id: ""})
    except Exception as exc:  # pysaml2 raises a different class for each check; every one is a refusal
        logger.warning("SAML answer refused: %s: %s", type(exc).__name__, exc)
        return _refused(request, _why(exc))
    if response is None or response.in_response_to != request_id:
        return _refused(request, _("the answer does not answer a sign-in started here."))
    if not cache.add(f"saml:answered:{request_id}", True, REQUEST_MAX_AGE):
        return _refused(request, _("this answer was already used to sign in (a second use is refused)."))
    try:
        user = provision(read_attributes(response.ava, door=DOOR), door_library=door_library(DOOR))
    except (IdentityRefused, UnreadableAttribute) as refusal:
        return refused(request, refusal if isinstance(refusal, IdentityRefused) else str(refusal), door=DOOR)
    next_url = cache.get(f"saml:next:{request_id}") or ""
    cache.delete(f"saml:next:{request_id}")
    # The assertion's AuthnContextClassRef says how the provider authenticated the person (REFEDS MFA: a second
    # factor); a trusted one spares staff our own code (requests_app/two_factor).
    contexts = [class_ref for class_ref, _authorities, _instant in response.authn_info()]
    done = complete_sign_in(request, user, door=DOOR, backend=BACKEND, next_url=next_url,
                            idp_second_factor=asserted_mfa(contexts))
    request.session[SESSION_SAML] = {"name_id": str(response.name_id), "idp": response.issuer(),
                                     "session_index": response.session_index()
                                     if hasattr(response, "session_index") else _session_index(response)}
    return done


def _session_index(response) -> str:
    for statement in getattr(response.assertion, "authn_statement", None) or []:
        if statement.session_index:
            return statement.session_index
    return ""


def single_logout_url(request: HttpRequest) -> str:
    """The identity provider's logout address with our signed LogoutRequest, or ``""`` (called at our logout)."""
    signed_in = request.session.get(SESSION_SAML)
    if not signed_in:
        return ""
    try:
        client = _client(request)
        destinations = client.metadata.single_logout_service(signed_in["idp"], BINDING_HTTP_REDIRECT, "idpsso")
        if not destinations:
            return ""
        destination = destinations[0]["location"]
        _request_id, logout_request = client.create_logout_request(
            destination, signed_in["idp"], name_id=name_id_from_string(signed_in["name_id"]),
            session_indexes=[signed_in["session_index"]] if signed_in.get("session_index") else None,
            sign=False)
        http = client.apply_binding(BINDING_HTTP_REDIRECT, str(logout_request), destination, sign=True,
                                    sigalg=SIGNING["sign_alg"])
    except Exception as exc:  # our session still ends; the identity provider's may stay open
        logger.warning("SAML single logout not sent: %s", exc)
        return ""
    return _location(http)


@require_GET
def single_logout(request: HttpRequest) -> HttpResponse:
    """The identity provider's LogoutResponse (after our logout) or LogoutRequest (it logs the person out)."""
    try:
        client = _client(request)
    except SamlUnavailable as problem:
        return unavailable(request, problem)
    done = HttpResponseRedirect(resolve_url(settings.LOGOUT_REDIRECT_URL))
    if "SAMLResponse" in request.GET:
        try:
            client.parse_logout_request_response(request.GET["SAMLResponse"], BINDING_HTTP_REDIRECT)
        except Exception as exc:
            logger.warning("SAML LogoutResponse not understood: %s", exc)
        return done
    if "SAMLRequest" not in request.GET or "Signature" not in request.GET:
        return refused(request, _("This logout request is not a signed SAML LogoutRequest."), door=DOOR, status=400)
    try:
        logout_request = client.parse_logout_request(
            request.GET["SAMLRequest"], BINDING_HTTP_REDIRECT, relay_state=request.GET.get("RelayState"),
            sigalg=request.GET.get("SigAlg"), signature=request.GET["Signature"])
        if logout_request is None:
            raise ValueError("unreadable LogoutRequest")
    except Exception as exc:
        logger.warning("SAML LogoutRequest refused: %s", exc)
        return refused(request, _("This logout request could not be verified: it is not signed by the identity "
                                  "provider this library trusts."), door=DOOR, status=400)
    message = logout_request.message
    signed_in = request.session.get(SESSION_SAML)
    if signed_in and request.session.get(SESSION_DOOR) == DOOR and _same_person(signed_in, message.name_id):
        logger.info("SAML single logout from %s", message.issuer.text if message.issuer else "?")
        logout(request)
    response = client.create_logout_response(message, [BINDING_HTTP_REDIRECT], sign=False)
    destination = client.response_args(message, [BINDING_HTTP_REDIRECT])["destination"]
    http = client.apply_binding(BINDING_HTTP_REDIRECT, str(response), destination,
                                request.GET.get("RelayState", ""), response=True, sign=True,
                                sigalg=SIGNING["sign_alg"])
    return HttpResponseRedirect(_location(http))


def _same_person(signed_in: dict, name_id: NameID | None) -> bool:
    ours = name_id_from_string(signed_in["name_id"])
    return name_id is not None and ours is not None and ours.text == name_id.text


@require_GET
def metadata(request: HttpRequest) -> HttpResponse:
    """Our service provider's metadata, for the identity provider's administrator (works without theirs)."""
    try:
        config = service_provider(site_base(request), with_idp=False)
    except SamlUnavailable as problem:
        return unavailable(request, problem)
    return HttpResponse(create_metadata_string(None, config=config, valid=None), content_type="application/xml")
