from requests_app.workflow import WorkflowError


class BillingError(WorkflowError):
    """A refused billing change. Codes as ``WorkflowError`` (``invalid``, ``not_allowed``,
    ``forbidden``), so the one API error handler maps it to JSON and views to a message."""
