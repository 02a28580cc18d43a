"""The service provider's pysaml2 configuration, built from the ``ILLMS_SAML_*`` settings.

:func:`service_provider` gives the configuration with the identity provider's metadata loaded, or raises
:class:`SamlUnavailable` saying why the door cannot work now (no ``xmlsec1``, metadata that cannot be read, our
key pair missing), so that the site still starts and the sign-in button leads to that reason. A loaded
configuration is kept for :data:`METADATA_LIFETIME` seconds, so remote metadata is fetched again now and then,
not at every sign-in.
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
from pathlib import Path

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.config import SPConfig
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

logger = logging.getLogger(__name__)

METADATA_LIFETIME = 3600
_loaded: dict[tuple, tuple[float, SPConfig]] = {}
_lock = threading.Lock()
SIGNING = {"sign_alg": SIG_RSA_SHA256, "digest_alg": DIGEST_SHA256}


class SamlUnavailable(Exception):
    """The SAML door cannot work now; ``reason`` says why, in words for the person and the administrator."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def xmlsec_binary() -> str:
    """The ``xmlsec1`` program pysaml2 calls, or raises ``SamlUnavailable``."""
    wanted = getattr(settings, "ILLMS_SAML_XMLSEC_BINARY", "") or "xmlsec1"
    found = shutil.which(wanted)
    if not found:
        raise SamlUnavailable(_("the xmlsec1 program is not installed on the server (%(name)s was not found; "
                                "install the Debian package xmlsec1).") % {"name": wanted})
    return found


def site_base(request: HttpRequest | None) -> str:
    """This site's address, as the identity provider reaches it: ``ILLMS_SITE_URL`` or the request's host."""
    configured = getattr(settings, "ILLMS_SITE_URL", "").rstrip("/")
    if configured or request is None:
        return configured
    return request.build_absolute_uri("/").rstrip("/")


def entity_id(base: str) -> str:
    return getattr(settings, "ILLMS_SAML_ENTITY_ID", "") or base + reverse("saml-metadata")


def _key_pair() -> tuple[str, str]:
    cert, key = settings.ILLMS_SAML_CERT_FILE, settings.ILLMS_SAML_KEY_FILE
    for name, path in (("ILLMS_SAML_CERT_FILE", cert), ("ILLMS_SAML_KEY_FILE", key)):
        if not path:
            raise SamlUnavailable(_("%(name)s is not set (our signing key pair).") % {"name": name})
        if not Path(path).is_file():
            raise SamlUnavailable(_("%(name)s names %(path)s, which cannot be read.") % {"name": name, "path": path})
    return cert, key


def _metadata_source() -> dict:
    source = settings.ILLMS_SAML_IDP_METADATA
    if not source:
        raise SamlUnavailable(_("ILLMS_SAML_IDP_METADATA is not set (the identity provider's metadata)."))
    if source.startswith(("https://", "http://")):
        return {"remote": [{"url": source}]}
    if not Path(source).is_file():
        raise SamlUnavailable(_("the identity provider's metadata file %(path)s cannot be read.") % {"path": source})
    return {"local": [source]}


def _settings_dict(base: str, *, with_idp: bool) -> dict:
    cert, key = _key_pair()
    return {
        "entityid": entity_id(base),
        "xmlsec_binary": xmlsec_binary(),
        "key_file": key,
        "cert_file": cert,
        "encryption_keypairs": [{"key_file": key, "cert_file": cert}],
        "metadata": _metadata_source() if with_idp else {},
        "allow_unknown_attributes": True,
        "http_client_timeout": 10,
        "accepted_time_diff": 60,
        "service": {"sp": {
            "name": "ILLMS interlibrary loan",
            "endpoints": {
                "assertion_consumer_service": [(base + reverse("saml-acs"), BINDING_HTTP_POST)],
                "single_logout_service": [(base + reverse("saml-sls"), BINDING_HTTP_REDIRECT)],
            },
            "authn_requests_signed": True,
            "logout_requests_signed": True,
            "logout_responses_signed": True,
            # Signed assertions are required: an unsigned (or altered) one is refused even in a signed response.
            "want_assertions_signed": True,
            "want_response_signed": False,
            "allow_unsolicited": False,
            "signing_algorithm": SIG_RSA_SHA256,
            "digest_algorithm": DIGEST_SHA256,
        }},
    }


def service_provider(base: str, *, with_idp: bool = True) -> SPConfig:
    """The loaded configuration for this site at ``base``; raises ``SamlUnavailable``."""
    key = (base, with_idp, settings.ILLMS_SAML_IDP_METADATA, getattr(settings, "ILLMS_SAML_ENTITY_ID", ""),
           settings.ILLMS_SAML_CERT_FILE, settings.ILLMS_SAML_KEY_FILE,
           getattr(settings, "ILLMS_SAML_XMLSEC_BINARY", ""))
    with _lock:
        cached = _loaded.get(key)
        if cached and time.monotonic() - cached[0] < METADATA_LIFETIME:
            return cached[1]
    config = SPConfig()
    try:
        config.load(_settings_dict(base, with_idp=with_idp))
    except SamlUnavailable:
        raise
    except Exception as exc:  # pysaml2 raises many kinds for unreadable metadata (I/O, HTTP, XML, schema)
        logger.warning("SAML metadata %s cannot be read: %s", settings.ILLMS_SAML_IDP_METADATA, exc)
        raise SamlUnavailable(_("the identity provider's metadata (%(source)s) cannot be read: %(error)s")
                              % {"source": settings.ILLMS_SAML_IDP_METADATA, "error": exc}) from exc
    if with_idp and not config.metadata.identity_providers():
        raise SamlUnavailable(_("the metadata %(source)s describes no identity provider.")
                              % {"source": settings.ILLMS_SAML_IDP_METADATA})
    with _lock:
        _loaded[key] = (time.monotonic(), config)
    return config


def identity_provider(config: SPConfig) -> str:
    """The entity id of the identity provider we send patrons to (the first the metadata describes)."""
    return sorted(config.metadata.identity_providers())[0]


def forget_loaded() -> None:
    with _lock:
        _loaded.clear()
