"""The attributes the test CAS server releases: the person's entry in the users file, read at each validation."""

import json
import os


def users() -> dict:
    with open(os.environ["CAS_SERVER_USERS"], encoding="utf-8") as handle:
        return json.load(handle)


def from_users_file(user, service) -> dict:
    return dict(users().get(user.get_username(), {}).get("attributes", {}))
