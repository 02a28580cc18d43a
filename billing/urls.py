from django.urls import path

from . import views

app_name = "billing"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("invoices/", views.invoice_list, name="invoices"),
    path("invoices/create/", views.invoice_create, name="invoice-create"),
    path("invoices/create/preview.pdf", views.invoice_create_preview, name="invoice-create-preview"),
    path("invoices/<id:pk>/", views.invoice_detail, name="invoice"),
    path("invoices/<id:pk>/preview.pdf", views.invoice_preview, name="invoice-preview"),
    path("invoices/<id:pk>/pdf/", views.invoice_pdf, name="invoice-pdf"),
    path("invoices/<id:pk>/payments/", views.invoice_payment, name="invoice-payment"),
    path("invoices/<id:pk>/issue/", views.invoice_issue, name="invoice-issue"),
    path("invoices/<id:pk>/void/", views.invoice_void, name="invoice-void"),
    path("invoices/<id:pk>/credit-note/", views.invoice_credit_note, name="invoice-credit-note"),
    path("charges/", views.charge_list, name="charges"),
    path("charges/settle/", views.charges_settle, name="charges-settle"),
    path("charges/<id:pk>/", views.charge_detail, name="charge"),
    path("charges/<id:pk>/waive/", views.charge_waive, name="charge-waive"),
    path("charges/<id:pk>/adjust/", views.charge_adjust, name="charge-adjust"),
    path("requests/<id:request_id>/lost-item/", views.lost_item, name="lost-item"),
    path("fees/", views.fee_schedules, name="fees"),
    path("budgets/", views.budgets, name="budgets"),
    path("budgets/new/", views.budget_new, name="budget-new"),
    path("budgets/<id:pk>/edit/", views.budget_edit, name="budget-edit"),
    path("exchange-rates/", views.exchange_rates, name="exchange-rates"),
    path("reports/", views.reports, name="reports"),
    path("reports/<str:report>.csv", views.report_csv, name="report-csv"),
]
