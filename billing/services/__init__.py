"""Every change of state of billing: fees, charges, budgets, invoices and payments.

Views, the REST API, receivers of workflow events and Celery tasks call these functions;
other apps (borrowing's copyright queue) call ``record_copyright_fee``.
"""

from .charges import (
    adjust_charge,
    charge_for_event,
    record_copyright_fee,
    record_lost_item_charge,
    settle_charges,
    waive_charge,
)
from .errors import BillingError
from .fees import Fee, fee_for
from .invoices import (
    create_monthly_invoices,
    issue_credit_note,
    issue_invoice,
    preview_invoice,
    record_payment,
    store_invoice_pdf,
    void_invoice,
)
from .setup import add_exchange_rate, create_budget, create_fee_schedule, import_reference_rates, update_budget

__all__ = [
    "BillingError", "Fee", "add_exchange_rate", "adjust_charge", "charge_for_event", "create_budget",
    "create_fee_schedule", "create_monthly_invoices", "fee_for", "import_reference_rates",
    "issue_credit_note", "issue_invoice", "preview_invoice", "record_copyright_fee", "record_lost_item_charge",
    "record_payment", "settle_charges", "store_invoice_pdf", "update_budget", "void_invoice",
    "waive_charge",
]
