"""Two factors for staff: an authenticator app (TOTP) and recovery codes, on django-otp's devices.

``policy`` says who must, may or need not give a code; ``services`` enrols, verifies and replaces devices (rows
locked, so a code is used once even by two requests at once); ``signin`` is the step every sign-in path ends in
(the password form, the admin's login, the identity doors): it signs the person in at once or holds them on the
code or set-up page until they are done; ``views`` are those pages and the account's security page.
"""
