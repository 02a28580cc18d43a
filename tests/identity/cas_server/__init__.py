"""A real CAS 3.0 server for the CAS door's tests: django-mama-cas in a minimal Django project of its own.

It runs in a second process (:mod:`.run`), with its own SQLite database, and knows the people and the attributes
it releases from a JSON file the test fixture writes (``CAS_SERVER_USERS``), read again at every validation.
"""
