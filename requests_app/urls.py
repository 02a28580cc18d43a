from django.urls import path

from . import saved_view_pages, views

app_name = "staff"

urlpatterns = [
    path("privacy/access-log/", views.patron_access_log, name="patron-access-log"),
    path("<str:role>/", views.queue, name="queue"),
    path("<str:role>/views/", saved_view_pages.save, name="saved-views"),
    path("<str:role>/views/<id:pk>/", saved_view_pages.edit, name="saved-view"),
    path("<str:role>/views/<id:pk>/delete/", saved_view_pages.delete, name="saved-view-delete"),
    path("<str:role>/<id:pk>/", views.request_detail, name="request"),
    path("<str:role>/<id:pk>/messages/<id:message_id>/resend/", views.resend_message, name="resend"),
    path("<str:role>/<id:pk>/ncip/<id:call_id>/retry/", views.retry_ncip_call, name="ncip-retry"),
    path("<str:role>/<id:pk>/ncip/<id:call_id>/skip/", views.skip_ncip_call, name="ncip-skip"),
]
