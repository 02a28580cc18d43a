"""The OpenID Connect door (mozilla-django-oidc): the authorization code flow with PKCE and a nonce, the ID token
verified against the provider's published keys (signature, issuer, audience, expiry), the claims read through
the door's mapping and the patron provisioned as at every door; end_session at our logout.

Configured from ``ILLMS_OIDC_*`` (docs/authentication.md); the provider's endpoints come from its discovery
document, fetched at first use (never at start-up, so a provider that is down does not stop the site), or from
explicit settings that override it.
"""
