"""NCIP 2.02 with the member library's own ILS: codec (:mod:`.codec`), profiles per ILS family
(:mod:`.profiles`), the client (:mod:`.client`); the per-library configuration and the queued calls live
in the core's models and :mod:`.calls`."""
