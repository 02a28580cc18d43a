"""``python -m tests.identity.cas_server.run PORT USERS_FILE DB_FILE``: the test CAS server on 127.0.0.1:PORT
(0: a free port the system picks).

Makes its database, adds the people of the users file (``{"ada": {"password": "…", "attributes": {…}}}``), and
serves ``/cas/login``, ``/cas/logout``, ``/cas/serviceValidate`` and ``/cas/p3/serviceValidate`` until it is
stopped. Prints ``ready PORT`` once it listens, PORT being the one it listens on.
"""

import os
import sys
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the standard library's name
        pass


def main(port: int, users_file: str, db_file: str) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.identity.cas_server.settings"
    os.environ["CAS_SERVER_USERS"] = users_file
    os.environ["CAS_SERVER_DB"] = db_file
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.core.wsgi import get_wsgi_application

    from tests.identity.cas_server.attributes import users

    call_command("migrate", verbosity=0)
    User = get_user_model()
    for username, entry in users().items():
        user, _created = User.objects.get_or_create(username=username)
        user.set_password(entry["password"])
        user.save()
    server = make_server("127.0.0.1", port, get_wsgi_application(), server_class=_Server, handler_class=_QuietHandler)
    print(f"ready {server.server_port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2], sys.argv[3])
