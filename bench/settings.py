"""The benchmark's settings: the project's own, plus the URL of the constant endpoint (the API ceiling)."""

from illms.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
