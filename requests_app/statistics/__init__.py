"""ILL statistics: volumes, fill rates, turnaround, top titles and unfilled reasons, for one member library.

Every figure is computed in the database from the request rows and the immutable event log,
in a fixed number of queries whatever the number of requests (``queries.py``); the
definitions are in docs/statistics.md. Figures never read the patron's identity, only the
category and department copied onto each request, so they survive the privacy purge.

A read-only reports package: it reads models and selectors, writes nothing, and imports no
services or tasks (``tests/illms/test_import_layers.py`` says so).
"""
