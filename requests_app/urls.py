from django.urls import path

from . import views

app_name = "staff"

urlpatterns = [
    path("privacy/access-log/", views.patron_access_log, name="patron-access-log"),
    path("<str:role>/", views.queue, name="queue"),
    path("<str:role>/<id:pk>/", views.request_detail, name="request"),
    path("<str:role>/<id:pk>/messages/<id:message_id>/resend/", views.resend_message, name="resend"),
]
