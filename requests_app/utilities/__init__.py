"""Infrastructure with no domain in it: keyset pagination, percentiles, CSV downloads, ids in URLs and
forms, fast admin lists, outgoing HTTP, statements compiled once.

Nothing here imports a model, service or workflow of the project (``tests/illms/test_import_layers.py``
says so); the apps use it, it uses Django.
"""
