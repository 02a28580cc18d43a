"""The partner side: how this installation talks to other libraries' systems.

Incoming ISO 18626 messages (:mod:`.endpoint`, :mod:`.handler`), the messages we send
(:mod:`.outgoing`, :mod:`.outbox`, :mod:`.transports`), how partners prove who they are
(:mod:`.authentication`, :mod:`.throttling`, :mod:`.credentials`) and the REST API
(:mod:`.api`). It uses the core (models, services, the workflow engine) and the codec
(:mod:`requests_app.iso18626`); the core does not import it.
"""
