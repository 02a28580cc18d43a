"""Staff borrowing pages, under /borrowing/ (namespace ``borrowing_staff``)."""

from django.urls import path

from .views import for_patron, staff

app_name = "borrowing_staff"

urlpatterns = [
    path("borrowing/queue/", staff.queue, name="queue"),
    path("borrowing/queue/bulk/", staff.bulk_action, name="bulk"),
    path("borrowing/for-patron/", for_patron.find_patron, name="for-patron"),
    path("borrowing/for-patron/<id:patron_id>/", for_patron.choose_format, name="for-patron-formats"),
    path("borrowing/for-patron/<id:patron_id>/<slug:format>/", for_patron.request_form, name="for-patron-form"),
    path("borrowing/scan/", staff.scan, name="scan"),
    path("borrowing/book-bands.pdf", staff.book_bands_pdf, name="book-bands"),
    path("borrowing/return-labels.pdf", staff.return_labels_pdf, name="return-labels"),
    path("borrowing/copyright/", staff.copyright_report, name="copyright-report"),
    path("borrowing/requests/<id:pk>/", staff.request_detail, name="request"),
    path("borrowing/requests/<id:pk>/actions/<slug:action>/", staff.perform_action, name="action"),
    path("borrowing/requests/<id:pk>/citation/", staff.edit_citation, name="citation"),
    path("borrowing/requests/<id:pk>/citation/complete/", staff.complete_citation, name="complete-citation"),
    path("borrowing/requests/<id:pk>/notes/", staff.add_note, name="note"),
    path("borrowing/requests/<id:pk>/rota/<slug:change>/", staff.rota_change, name="rota"),
    path("borrowing/requests/<id:pk>/copyright/", staff.perform_action, {"action": "clear_copyright"},
         name="copyright"),
]
