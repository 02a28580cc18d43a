from django.urls import path

from . import views

urlpatterns = [
    path("two-factor/", views.verify, name="two-factor-verify"),
    path("two-factor/set-up/", views.enrol, name="two-factor-enrol"),
    path("two-factor/recovery-codes/", views.recovery_codes, name="two-factor-recovery-codes"),
    path("security/", views.security, name="account-security"),
    path("security/recovery-codes/", views.new_recovery_codes, name="account-new-recovery-codes"),
    path("security/turn-off/", views.turn_off, name="account-two-factor-off"),
]
