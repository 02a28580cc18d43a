"""The help page's words for the workflows' guards, effects and hooks, for the translations.

The help page explains each by the first paragraph of its docstring (``requests_app.help``); docstrings are not
found by ``makemessages``, so each is repeated here (``tests/help`` checks none is missing) and translated when
the page is shown.
"""

from __future__ import annotations

from django.utils.translation import gettext_noop

EXPLANATIONS = frozenset({
    gettext_noop("The library has a vendor to buy from (Policies → Purchase on demand)."),
    gettext_noop("The library buys instead of borrowing: it has a purchase rule or a vendor."),
    gettext_noop("A document supplier of the library supplies this kind of copy, within the patron's maximum cost."),
    gettext_noop("The supplier order is written with its rota entry and, for an e-mail supplier, the order e-mail."),
    gettext_noop("An API supplier's order is placed with its API after commit."),
    gettext_noop("The supplier's copy is stored and offered to the patron; its rota entry is supplied and its copyright record notes the fee."),  # noqa: E501
    gettext_noop("The supplier order and its rota entry are closed as unfilled, with the reason."),
    gettext_noop('A verified article is counted under the rule of five (CCG, CCL, or waiting for clearance).'),
    gettext_noop('An article over the rule of five goes to the copyright queue.'),
    gettext_noop("Entering sourcing: build the rota if it has no lender waiting (staff may then edit it); a format the library's policy sends automatically goes to the first lender at once."),  # noqa: E501
    gettext_noop('Only copies (articles, chapters) go through copyright review.'),
    gettext_noop('The copy is recorded in the copyright queue, waiting for clearance.'),
    gettext_noop('Clearance obtained: the copy complies with the law otherwise (CCL), with the fee or the exception.'),
    gettext_noop('The patron is e-mailed (cancelled).'),
    gettext_noop("A lender has been chosen (the rota's next entry, or one picked by hand)."),
    gettext_noop("The lender's rota entry is closed as unfilled (conditions refused)."),
    gettext_noop('The request goes to the next lender of the rota (or to “End of rota”).'),
    gettext_noop("The current lender's rota entry gets its answer: unfilled, no answer, or conditions refused."),
    gettext_noop("A shipment or a renewal answer may carry the lender's due date."),
    gettext_noop("The lender's rota entry is closed as supplied."),
    gettext_noop("The lender's link to the copy, kept for the patron's download button on My requests."),
    gettext_noop('The patron is e-mailed (copy delivered).'),
    gettext_noop("The library's ILS creates the temporary item, on hold for the patron with our due date (NCIP AcceptItem, when NCIP is on)."),  # noqa: E501
    gettext_noop('The patron is e-mailed (ready for pickup).'),
    gettext_noop("The patron's due date is the lender's minus a buffer for the return trip."),
    gettext_noop("The item is checked out in the library's ILS (NCIP CheckOutItem, when NCIP is on)."),
    gettext_noop("The recall's earlier due date goes to the library's ILS (RecallItem, a RenewItem with the date, or a to-do for its desk) (NCIP RecallItem, when NCIP is on)."),  # noqa: E501
    gettext_noop("The loan has been renewed fewer times than the library's limit (its policy; ILLMS_MAX_RENEWALS, 2 by default)."),  # noqa: E501
    gettext_noop("No renewal asked earlier still waits for the lender's answer (one question at a time)."),
    gettext_noop("The request shows a renewal waiting for the lender's answer from now (a repeated ask keeps the first day)."),  # noqa: E501
    gettext_noop("The renewal no longer waits; a granted one counts one more renewal and takes the lender's new due date."),  # noqa: E501
    gettext_noop('The patron is e-mailed (renewal answered).'),
    gettext_noop("The new due date goes to the library's ILS, when the renewal was granted (NCIP RenewItem, when NCIP is on)."),  # noqa: E501
    gettext_noop("A recall brings the patron's due date forward (to the new lender date less the buffer)."),
    gettext_noop('The patron is e-mailed (recalled).'),
    gettext_noop("The item is checked in in the library's ILS (NCIP CheckInItem, when NCIP is on)."),
    gettext_noop("The temporary item is deleted from the library's ILS (NCIP DeleteItem, when NCIP is on)."),
    gettext_noop('The patron is e-mailed (cancelled), when staff cancelled.'),
    gettext_noop("The lender's rota entry is closed as skipped (cancelled)."),
    gettext_noop('Our copy is put on hold in our ILS for pulling (NCIP RequestItem, when NCIP is on).'),
    gettext_noop('The hold on our copy is lifted in our ILS (NCIP CancelRequestItem, when NCIP is on).'),
    gettext_noop('A loan, not a copy: copies are delivered, not shipped.'),
    gettext_noop('Shipping a loan gives it a due date: the one given, or our loan period from today.'),
    gettext_noop('A copy may be asked for: not a loan of a book (or thesis…), which is shipped and comes back.'),
    gettext_noop('The borrower asked to renew the loan, and nobody has answered yet.'),
    gettext_noop('The renewal no longer waits; a granted one counts one more renewal and sets the new due date (given, or one more loan period).'),  # noqa: E501
    gettext_noop("Inside the cancellation's transaction: the vendor is asked to cancel the order (once per order)."),
})
