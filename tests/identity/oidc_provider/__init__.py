"""A real OpenID provider for the OIDC door's tests: django-oauth-toolkit in a process of its own.

The fixture in tests/identity/test_oidc_signin.py writes its RSA key, user claims and database into a fresh
folder, runs ``setup`` once (migrations, users, our application) and serves ``settings`` with runserver.
"""
