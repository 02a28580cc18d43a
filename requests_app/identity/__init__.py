"""Identity: who signs in through the institution's doors (SAML, CAS, LDAP, OpenID Connect) and who the
library's own systems say its patrons are (the patron load).

Every door reads the identity provider's attributes into one :class:`~.mapping.IdentityAttributes` with
:func:`~.mapping.read_attributes` and hands it to :func:`~.provisioning.provision`, which finds or creates the
account and keeps its patron profile current. The patron load goes through the same two functions, so a row of
a nightly load and a sign-in agree on what a patron is.
"""
