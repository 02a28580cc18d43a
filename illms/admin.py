"""django-axes' records in the admin, for installation superusers only.

Deleting a row of *Access attempts* unlocks that account for that address. ILL administrators have the admin
too, but unlocking (and reading who signed in from where) is the installation's business. axes' own
registration is off (``AXES_ENABLE_ADMIN = False``); these are its admin classes with that restriction.
"""

from axes.admin import AccessAttemptAdmin, AccessFailureLogAdmin, AccessLogAdmin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.http import HttpRequest


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

