"""ISO 18626 ``reasonUnfilled`` codes (an open list) a partner's system understands, in words: what our lending desk
offers when it cannot supply, and what the statistics call a partner's reason."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class UnfilledReason(models.TextChoices):
    NOT_HELD = "NotHeld", _("Not held")
    NOT_ON_SHELF = "NotOnShelf", _("Not on shelf")
    ON_LOAN = "OnLoan", _("In use / on loan")
    NON_CIRCULATING = "NonCirculating", _("Non-circulating")
    LOST = "Lost", _("Lost")
    NOT_FOUND_AS_CITED = "NotFoundAsCited", _("Not found as cited")
    POLICY_PROBLEM = "PolicyProblem", _("Policy problem")
    IN_PROCESS = "InProcess", _("In process (try again later)")
