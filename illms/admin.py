"""django-axes' records and django-otp's devices in the admin, for installation superusers only.

Deleting a staff member's *TOTP device* lets them set up a new authenticator app at their next sign-in (a lost
phone); the devices' secrets and QR codes are never shown (django-otp's own pages for them are not registered).

Deleting a row of *Access attempts* unlocks that account for that address. ILL administrators have the admin
too, but unlocking (and reading who signed in from where) is the installation's business. axes' own
registration is off (``AXES_ENABLE_ADMIN = False``); these are its admin classes with that restriction.
"""

from axes.admin import AccessAttemptAdmin, AccessFailureLogAdmin, AccessLogAdmin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.http import HttpRequest
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice


class SuperusersOnly:
    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return self.has_module_permission(request)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return self.has_module_permission(request)


@admin.register(AccessAttempt)
class LockoutAdmin(SuperusersOnly, AccessAttemptAdmin):
    pass


@admin.register(AccessLog)
class SignInLogAdmin(SuperusersOnly, AccessLogAdmin):
    pass


@admin.register(AccessFailureLog)
class SignInFailureLogAdmin(SuperusersOnly, AccessFailureLogAdmin):
    pass



for _model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)


class DeviceAdmin(SuperusersOnly, admin.ModelAdmin):
    list_display = ("user", "name", "confirmed", "created_at", "last_used_at")
    list_filter = ("confirmed",)
    list_select_related = ("user",)
    search_fields = ("user__username", "user__email")
    fields = ("user", "name", "confirmed", "created_at", "last_used_at", "throttling_failure_count")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(TOTPDevice)
class AuthenticatorAdmin(DeviceAdmin):
    pass


@admin.register(StaticDevice)
class RecoveryCodesAdmin(DeviceAdmin):
    pass
