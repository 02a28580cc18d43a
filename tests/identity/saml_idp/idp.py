"""A small SAML 2.0 identity provider on pysaml2, run in its own process for the SAML door's tests.

``python tests/identity/saml_idp/idp.py --port P --dir D`` serves on 127.0.0.1:P (0: a free port, written to
``D/ready``) and keeps everything in D:

- ``idp.key`` / ``idp.crt`` (and ``stranger.key`` / ``stranger.crt``): the key pairs it signs with, made by the
  fixture; ``idp_metadata.xml`` is written here at start-up for the service provider to trust;
- ``sp_metadata.xml``: the service provider's metadata, written by the fixture, read at every request;
- ``state.json``, read at every request: ``users`` (name → ``password`` and ``attributes``) and how to answer:
  ``sign_assertion`` (default true), ``lifetime_minutes`` (default 15; negative issues an expired assertion),
  ``tamper`` (``[old, new]``: replaced in the XML after signing), ``stranger`` (answer as another IdP, with
  another entity id and key, that the service provider does not know).

Single sign-on takes the AuthnRequest by HTTP-Redirect, shows a user name and password form, and answers with
an auto-submitting HTTP-POST form; single logout takes and sends LogoutRequests and LogoutResponses by
HTTP-Redirect (``/slo/initiate?user=NAME`` starts an IdP-initiated logout). Standard library and pysaml2 only.
"""

from __future__ import annotations

import argparse
import hashlib
import html
import json
import shutil
from pathlib import Path
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, make_server

from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.authn_context import PASSWORD
from saml2.config import IdPConfig
from saml2.metadata import create_metadata_string
from saml2.saml import NAME_FORMAT_URI, NAMEID_FORMAT_PERSISTENT, NameID
from saml2.server import Server


class IdentityProvider:
    def __init__(self, base: str, directory: Path):
        self.base = base
        self.dir = directory

    def state(self) -> dict:
        path = self.dir / "state.json"
        return json.loads(path.read_text()) if path.exists() else {}

    def config(self, *, stranger: bool = False, lifetime_minutes: int = 15) -> IdPConfig:
        name = "stranger" if stranger else "idp"
        sp_metadata = self.dir / "sp_metadata.xml"
        config = IdPConfig()
        config.load({
            "entityid": f"{self.base}/{name}/metadata",
            "xmlsec_binary": shutil.which("xmlsec1"),
            "key_file": str(self.dir / f"{name}.key"),
            "cert_file": str(self.dir / f"{name}.crt"),
            "metadata": {"local": [str(sp_metadata)]} if sp_metadata.exists() else {},
            "service": {"idp": {
                "name": "Test university IdP",
                "endpoints": {
                    "single_sign_on_service": [(f"{self.base}/sso/redirect", BINDING_HTTP_REDIRECT)],
                    "single_logout_service": [(f"{self.base}/slo/redirect", BINDING_HTTP_REDIRECT)],
                },
                "policy": {"default": {"lifetime": {"minutes": lifetime_minutes}, "attribute_restrictions": None,
                                       "name_form": NAME_FORMAT_URI}},
                "name_id_format": [NAMEID_FORMAT_PERSISTENT],
            }},
        })
        return config

    def server(self, **kwargs) -> Server:
        return Server(config=self.config(**kwargs))

    def write_metadata(self) -> None:
        for stranger in (False, True):
            name = "stranger" if stranger else "idp"
            (self.dir / f"{name}_metadata.xml").write_text(create_metadata_string(
                None, config=self.config(stranger=stranger)).decode())

    # --- WSGI ---
    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "/")
        params = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        if environ["REQUEST_METHOD"] == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            params.update({k: v[0] for k, v in parse_qs(environ["wsgi.input"].read(length).decode()).items()})
        try:
            if path == "/sso/redirect":
                status, headers, body = self.login_form(params)
            elif path == "/sso/login":
                status, headers, body = self.sign_in(params)
            elif path == "/slo/redirect":
                status, headers, body = self.single_logout(params)
            elif path == "/slo/initiate":
                status, headers, body = self.initiate_logout(params)
            else:
                status, headers, body = "404 Not Found", [], "not here"
        except Exception as exc:  # the test reads the reason in the page
            status, headers, body = "400 Bad Request", [], f"IdP error: {type(exc).__name__}: {exc}"
        if not any(h[0].lower() == "content-type" for h in headers):
            headers.append(("Content-Type", "text/html; charset=utf-8"))
        start_response(status, headers)
        return [body.encode()]

    def _authn_request(self, params: dict):
        return self.server().parse_authn_request(params["SAMLRequest"], BINDING_HTTP_REDIRECT)

    def login_form(self, params: dict, error: str = ""):
        self._authn_request(params)  # refuses garbage before showing the form
        hidden = "".join(f'<input type="hidden" name="{k}" value="{html.escape(params.get(k, ""))}">'
                         for k in ("SAMLRequest", "RelayState"))
        body = (f"<!doctype html><title>Test IdP sign-in</title><h1>Test university sign-in</h1>"
                f"{f'<p role=alert>{html.escape(error)}</p>' if error else ''}"
                f'<form method="post" action="{self.base}/sso/login">{hidden}'
                '<label>User name <input name="username" autocomplete="username"></label>'
                '<label>Password <input type="password" name="password"></label>'
                '<button type="submit">Sign in</button></form>')
        return "200 OK", [], body

    def _name_id(self, username: str, sp_entity_id: str, idp: Server) -> NameID:
        return NameID(format=NAMEID_FORMAT_PERSISTENT, name_qualifier=idp.config.entityid,
                      sp_name_qualifier=sp_entity_id,
                      text="p-" + hashlib.sha256(username.encode()).hexdigest()[:24])

    def sign_in(self, params: dict):
        state = self.state()
        user = state.get("users", {}).get(params.get("username", ""))
        if user is None or user.get("password") != params.get("password"):
            return self.login_form(params, error="Wrong user name or password.")
        request = self._authn_request(params).message
        idp = self.server(stranger=bool(state.get("stranger")), lifetime_minutes=state.get("lifetime_minutes", 15))
        response_args = idp.response_args(request, [BINDING_HTTP_POST])
        destination = response_args["destination"]
        response = str(idp.create_authn_response(
            {k: list(v) for k, v in user["attributes"].items()}, userid=params["username"],
            name_id=self._name_id(params["username"], response_args["sp_entity_id"], idp),
            authn={"class_ref": state.get("class_ref", PASSWORD), "authn_auth": idp.config.entityid},
            sign_assertion=state.get("sign_assertion", True), sign_response=False, **response_args))
        if state.get("tamper"):
            old, new = state["tamper"]
            response = response.replace(old, new)
        http = idp.apply_binding(BINDING_HTTP_POST, response, destination, params.get("RelayState", ""),
                                 response=True)
        return "200 OK", [], http["data"]

    def single_logout(self, params: dict):
        idp = self.server()
        if "SAMLResponse" in params:  # the answer to our IdP-initiated logout
            idp.parse_logout_request_response(params["SAMLResponse"], BINDING_HTTP_REDIRECT)
            return "200 OK", [], "<!doctype html><title>Signed out</title><h1>You are signed out everywhere</h1>"
        request = idp.parse_logout_request(params["SAMLRequest"], BINDING_HTTP_REDIRECT,
                                           relay_state=params.get("RelayState"),
                                           sigalg=params.get("SigAlg"), signature=params.get("Signature"))
        response = idp.create_logout_response(request.message, [BINDING_HTTP_REDIRECT], sign=False)
        destination = idp.response_args(request.message, [BINDING_HTTP_REDIRECT])["destination"]
        http = idp.apply_binding(BINDING_HTTP_REDIRECT, str(response), destination,
                                 params.get("RelayState", ""), response=True, sign=True)
        return "302 Found", [("Location", dict(http["headers"])["Location"])], ""

    def initiate_logout(self, params: dict):
        idp = self.server()
        sp_entity_id = next(iter(idp.metadata.service_providers()))
        destination = idp.metadata.single_logout_service(sp_entity_id, BINDING_HTTP_REDIRECT, "spsso")[0]["location"]
        request_id, request = idp.create_logout_request(
            destination, sp_entity_id, name_id=self._name_id(params["user"], sp_entity_id, idp), sign=False)
        http = idp.apply_binding(BINDING_HTTP_REDIRECT, str(request), destination, "", sign=True)
        return "302 Found", [("Location", dict(http["headers"])["Location"])], ""


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 (the standard library's name)
        pass


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dir", type=Path, required=True)
    options = parser.parse_args()
    app = IdentityProvider("", options.dir)
    # Port 0 takes a free port: tests on several workers each run their own IdP. The port is known once bound,
    # so the addresses in the metadata are made after, and the port is written to ``ready`` for the fixture.
    with make_server("127.0.0.1", options.port, app, handler_class=QuietHandler) as httpd:
        app.base = f"http://127.0.0.1:{httpd.server_port}"
        app.write_metadata()
        (options.dir / "ready.tmp").write_text(str(httpd.server_port))
        (options.dir / "ready.tmp").replace(options.dir / "ready")  # whole, never read half-written
        httpd.serve_forever()


if __name__ == "__main__":
    main()
