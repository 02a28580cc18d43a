"""The SAML 2.0 door: our service provider on pysaml2, which signs and checks XML with the ``xmlsec1`` program.

A patron's sign-in goes from the sign-in button (``signin-saml``) to the identity provider with a signed
AuthnRequest (HTTP-Redirect) and comes back to the assertion consumer service by HTTP-POST; only an answer to a
request we sent, from the identity provider in ``ILLMS_SAML_IDP_METADATA``, with a signed assertion still in its
lifetime, signs anyone in, once. The attributes go through the door's mapping to :func:`provision`, as at every
door. Single logout works both ways: our logout sends a LogoutRequest on to the identity provider, and the
identity provider's LogoutRequest ends our session.

pysaml2 is used directly rather than through djangosaml2: djangosaml2's assertion consumer hands the attributes
to an authentication backend that may only return a user or nothing, so the words of a refusal by
:func:`provision` would be lost, and it reads its configuration from a settings dictionary at start-up, where a
missing ``xmlsec1`` or unreadable metadata would stop the site instead of closing this door alone.
"""
