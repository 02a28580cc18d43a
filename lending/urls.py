"""Lending staff pages under /lending/, and the borrower's download link under /delivery/."""

from django.urls import path

from .views import delivery, holdings, queues, requests, sru

app_name = "lending"

urlpatterns = [
    path("lending/", queues.queue, name="queue"),
    path("lending/print/", queues.print_pull_slips, name="print"),
    path("lending/pull-slips.pdf", queues.pull_slips_pdf, name="pull_slips_pdf"),
    path("lending/labels.pdf", queues.labels_pdf, name="labels_pdf"),
    path("lending/scan/", queues.scan, name="scan"),
    path("lending/requests/<id:pk>/", requests.request_detail, name="request"),
    path("lending/requests/<id:pk>/actions/<str:action>/", requests.perform_action, name="action"),
    path("lending/requests/<id:pk>/notes/", requests.add_note, name="note"),
    path("lending/requests/<id:pk>/deliveries/<id:delivery_id>/reissue/", requests.reissue_delivery,
         name="reissue"),
    path("lending/holdings/", holdings.holdings_list, name="holdings"),
    path("lending/holdings/import/", holdings.import_holdings, name="import_holdings"),
    path("lending/holdings/imports/<id:pk>/", holdings.import_progress, name="import"),
    path("delivery/<str:token>/", delivery.download, name="download"),
    path("sru", sru.sru_endpoint, name="sru"),
    path("sru/<str:symbol>", sru.sru_endpoint, name="sru_library"),
]
