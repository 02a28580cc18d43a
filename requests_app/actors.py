"""Who may perform an action: the kinds of actor the workflow tables and the event log name.

Its own module so that the models (an event records its actor's kind) and the workflow engine
(a transition lists who may perform it) both import it without importing each other.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import pgettext_lazy


class ActorKind(models.TextChoices):
    PATRON = "patron", pgettext_lazy("actor kind", "Patron")
    STAFF = "staff", pgettext_lazy("actor kind", "Staff")
    PARTNER = "partner", pgettext_lazy("actor kind", "Partner library")
    SYSTEM = "system", pgettext_lazy("actor kind", "System")
