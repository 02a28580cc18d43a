"""The secrets we send to partners, encrypted at rest: kept here for the partner side's imports; the
functions live in ``requests_app.utilities.credentials``, which the core's NCIP connections use too."""

from ..utilities.credentials import CredentialError, decrypt, derived_key, encrypt, rotate

__all__ = ["CredentialError", "decrypt", "derived_key", "encrypt", "rotate"]
