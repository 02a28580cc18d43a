"""Who may perform an action: the kinds of actor the workflow tables and the event log name.

Its own module so that the models (an event records its actor's kind) and the workflow engine
(a transition lists who may perform it) both import it without importing each other.
"""

from __future__ import annotations

from django.db import models


class ActorKind(models.TextChoices):
    PATRON = "patron", "Patron"
    STAFF = "staff", "Staff"
    PARTNER = "partner", "Partner library"
    SYSTEM = "system", "System"
