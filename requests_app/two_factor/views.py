"""The second step of signing in (a code, or setting up an authenticator) and the account's security page."""

from __future__ import annotations

import base64
import logging

import segno
from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, user_login_failed
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.module_loading import import_string
from django.utils.translation import gettext
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from requests_app.identity.forms import SignInForm

from . import policy, services
from .demo import demo_code
from .forms import CodeForm, ConfirmAuthenticatorForm, PasswordForm
from .signin import SETTLED, complete, finish_sign_in, pending

logger = logging.getLogger(__name__)
#: Recovery codes just made, shown on the next page (once) and downloadable from it until the person goes on.
FRESH_CODES = "illms_2fa_fresh_codes"
AFTER_CODES = "illms_2fa_after_codes"


class SignInView(LoginView):
    """Django's login form; a right password ends in ``finish_sign_in``, which may ask for the second factor."""

    authentication_form = SignInForm

    def form_valid(self, form) -> HttpResponse:
        user = form.get_user()
        return finish_sign_in(self.request, user, door="password", backend=user.backend,
                              next_url=self.get_success_url())


def _credentials(user) -> dict:
    return {"username": user.get_username()}


def _lockout(request: HttpRequest, user) -> HttpResponse:
    return import_string(settings.AXES_LOCKOUT_CALLABLE)(request, None, _credentials(user))


def _count_failure(request: HttpRequest, user, refusal: services.CodeRefused) -> None:
    """A wrong code counts with the wrong passwords (django-axes: the account locked for this address)."""
    if refusal.code == "wrong":
        logger.warning("Wrong second-factor code for %s", user.get_username())
        user_login_failed.send(sender=__name__, credentials=_credentials(user), request=request)


def verify(request: HttpRequest) -> HttpResponse:
    """Ask the staff member who gave their password for the authenticator's code or a recovery code."""
    held = pending(request)
    if held is None or held[1].get("enrol"):
        return _start_again(request)
    user, state = held
    if AxesProxyHandler.is_locked(request, _credentials(user)):
        return _lockout(request, user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = services.verify(user=user, code=form.cleaned_data["code"])
        except services.CodeRefused as refusal:
            _count_failure(request, user, refusal)
            if getattr(request, "axes_locked_out", False):
                return _lockout(request, user)
            form.add_error("code", refusal.message)
        else:
            used_recovery = not services.is_totp_code(services.normalise(form.cleaned_data["code"]))
            response = complete(request, user, state, device=device,
                                settled="recovery_code" if used_recovery else "code")
            if used_recovery:
                left = policy.recovery_codes_left(user)
                messages.warning(request, gettext("You signed in with a recovery code; %(left)s left. Make new ones "
                                                  "on your account's security page if you are running out.")
                                 % {"left": left})
            return response
    return render(request, "registration/two_factor_verify.html",
                  {"form": form, "pending_user": user, "demo_code": demo_code(user)},
                  status=200 if request.method == "GET" or form.is_valid() else 400)


def _start_again(request: HttpRequest) -> HttpResponse:
    messages.info(request, gettext("Sign in again: the second step waits at most ten minutes after the password."))
    return redirect("login")


def _secret(device) -> str:
    text = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(text[i:i + 4] for i in range(0, len(text), 4))


def enrol(request: HttpRequest) -> HttpResponse:
    """Set up an authenticator app: its QR code and secret, a code to confirm, then the recovery codes.

    For a staff member on the way in whose role requires it (nothing else is reachable before), or for a signed-in
    staff member from the security page (their password again when it replaces an authenticator)."""
    held = pending(request)
    if held is not None and held[1].get("enrol"):
        user, state = held
    elif request.user.is_authenticated and policy.is_staff_member(request.user):
        user, state = request.user, None
    elif request.user.is_authenticated:
        return redirect("home")
    else:
        return _start_again(request)
    if state is not None and AxesProxyHandler.is_locked(request, _credentials(user)):
        return _lockout(request, user)
    replacing = state is None and policy.authenticator(user) is not None
    device = services.start_enrolment(user=user)
    form = ConfirmAuthenticatorForm(request.POST or None)
    password_form = PasswordForm(request.POST or None, prefix="confirm") if replacing else None
    if request.method == "POST" and form.is_valid() and (password_form is None or password_form.is_valid()):
        if password_form is not None and not _password_matches(request, password_form):
            return _enrol_page(request, user, device, form, password_form, state, status=400)
        try:
            enrolled = services.confirm_enrolment(user=user, device_id=device.pk, code=form.cleaned_data["code"])
        except services.CodeRefused as refusal:
            if state is not None:
                _count_failure(request, user, refusal)
                if getattr(request, "axes_locked_out", False):
                    return _lockout(request, user)
            form.add_error("code", refusal.message)
        else:
            logger.info("%s set up an authenticator app", user.get_username())
            if state is not None:
                complete(request, user, state, device=enrolled.device, settled="enrolled")
                after = state["next"]
            else:
                otp_login(request, enrolled.device)
                after = reverse("account-security")
            request.session[FRESH_CODES] = enrolled.recovery_codes
            request.session[AFTER_CODES] = after
            return redirect("two-factor-recovery-codes")
    status = 400 if request.method == "POST" else 200
    return _enrol_page(request, user, device, form, password_form, state, status=status)


def _enrol_page(request, user, device, form, password_form, state, *, status: int) -> HttpResponse:
    qr = segno.make(device.config_url, error="m")
    return render(request, "registration/two_factor_enrol.html", {
        "form": form, "password_form": password_form, "pending_user": user, "on_the_way_in": state is not None,
        "required": policy.required_for(user), "qr_svg": qr.svg_inline(scale=5, title=gettext("QR code for your app")),
        "secret": _secret(device), "issuer": settings.OTP_TOTP_ISSUER,
    }, status=status)


def _password_matches(request: HttpRequest, password_form: PasswordForm) -> bool:
    """The signed-in person's password, checked through authenticate(): wrong ones count for the lockout."""
    found = authenticate(request, username=request.user.get_username(),
                         password=password_form.cleaned_data["password"])
    if found is None or found.pk != request.user.pk:
        password_form.add_error("password", "That is not your password.")
        return False
    return True


def recovery_codes(request: HttpRequest) -> HttpResponse:
    """The recovery codes just made: shown on this page, downloadable as a text file, gone once the person goes on."""
    codes = request.session.get(FRESH_CODES)
    if not request.user.is_authenticated:
        return redirect("login")
    if request.method == "POST":
        request.session.pop(FRESH_CODES, None)
        return HttpResponseRedirect(request.session.pop(AFTER_CODES, None) or reverse("account-security"))
    if not codes:
        messages.info(request, gettext("Those recovery codes were shown once. Make new ones here if you lost them."))
        return redirect("account-security")
    if "download" in request.GET:
        text = (f"Recovery codes for {request.user.get_username()} at {settings.OTP_TOTP_ISSUER}\n"
                "Each code signs you in once, instead of the authenticator app's code.\n\n" + "\n".join(codes) + "\n")
        response = HttpResponse(text, content_type="text/plain; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="illms-recovery-codes.txt"'
        response["Cache-Control"] = "no-store"
        return response
    response = render(request, "registration/two_factor_recovery_codes.html", {"codes": codes})
    response["Cache-Control"] = "no-store"
    return response


@login_required
def security(request: HttpRequest) -> HttpResponse:
    """The account's sign-in security: the authenticator, the recovery codes left, and what may be changed."""
    user = request.user
    if not policy.is_staff_member(user):
        return redirect("home")
    device = policy.authenticator(user)
    return render(request, "registration/account_security.html", {
        "device": device, "required": policy.required_for(user), "codes_left": policy.recovery_codes_left(user),
        "settled": request.session.get(SETTLED, ""), "has_password": user.has_usable_password(),
        "codes_form": PasswordForm(prefix="codes"), "off_form": PasswordForm(prefix="off"),
    })


@login_required
@require_POST
def new_recovery_codes(request: HttpRequest) -> HttpResponse:
    form = PasswordForm(request.POST, prefix="codes")
    if not (policy.is_staff_member(request.user) and form.is_valid() and _password_matches(request, form)):
        messages.error(request, gettext("New recovery codes need your password: nothing was changed."))
        return redirect("account-security")
    try:
        codes = services.replace_recovery_codes(user=request.user)
    except services.CodeRefused as refusal:
        messages.error(request, refusal.message)
        return redirect("account-security")
    logger.info("%s made new recovery codes", request.user.get_username())
    request.session[FRESH_CODES] = codes
    request.session[AFTER_CODES] = reverse("account-security")
    return redirect("two-factor-recovery-codes")


@login_required
@require_POST
def turn_off(request: HttpRequest) -> HttpResponse:
    user = request.user
    if policy.required_for(user):
        messages.error(request, gettext("Your role requires two factors: set up a new authenticator instead of "
                                        "turning them off."))
        return redirect("account-security")
    form = PasswordForm(request.POST, prefix="off")
    if not (policy.is_staff_member(user) and form.is_valid() and _password_matches(request, form)):
        messages.error(request, gettext("Turning two factors off needs your password: nothing was changed."))
        return redirect("account-security")
    services.turn_off(user=user)
    logger.info("%s turned two factors off", user.get_username())
    messages.success(request, gettext("Two factors are off: your password alone signs you in."))
    return redirect("account-security")
