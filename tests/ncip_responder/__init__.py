"""An NCIP 2.02 responder for tests (never shipped): a second process serving real HTTP on a loopback port.

It validates every message it receives against the official schema (an invalid one is answered with a
message-level Problem and logged as invalid), keeps users, items and holds in memory, and answers as an
ILS does, with Problem elements for an unknown user, a blocked user, an unknown item and a duplicate item.
``/_control/...`` sets its state, the services it offers (a profile), its credentials, and whether it is
slow or down; ``/_control/log`` tells what it received. See :mod:`.server` and the ``ils`` fixture in
:mod:`.fixtures`.
"""
