"""The staff partner directory: the libraries a member library works with, read-only, with how each one answers us.

Edited in the Django admin (the ``Library`` entry); measured from the member library's own requests with
the statistics selectors (``requests_app.statistics.queries``), so it reads and never writes.
"""
