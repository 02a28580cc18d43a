"""Make the provider's database: migrations, the people of claims.json (password ``pw-<username>``) and our
application, whose client id, secret and URIs come from OIDC_PROVIDER_CLIENT_* variables."""

import json
import os

import django


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.identity.oidc_provider.settings")
    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from oauth2_provider.models import Application

    call_command("migrate", verbosity=0)
    for username in json.loads((settings.STATE / "claims.json").read_text()):
        get_user_model().objects.create_user(username, password=f"pw-{username}")
    Application.objects.create(
        name="ILLMS", client_id=os.environ["OIDC_PROVIDER_CLIENT_ID"],
        client_secret=os.environ["OIDC_PROVIDER_CLIENT_SECRET"],
        client_type=Application.CLIENT_CONFIDENTIAL, authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=os.environ["OIDC_PROVIDER_REDIRECT_URI"],
        post_logout_redirect_uris=os.environ["OIDC_PROVIDER_POST_LOGOUT_URI"],
        algorithm=Application.RS256_ALGORITHM, skip_authorization=True,
    )


if __name__ == "__main__":
    main()
