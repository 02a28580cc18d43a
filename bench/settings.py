"""The benchmark's settings: the project's own, plus the URL of the constant endpoint (the API ceiling)."""

from illms.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"

# Without Redis, Celery's broker is a folder: the benchmark's own, so that tasks queued against the
# benchmark's database (new lending requests' availability checks, from the API's create and the
# ISO 18626 intake) are never picked up by a development worker running against another database.
if not REDIS_URL:  # noqa: F405
    CELERY_BROKER_DIR = VAR_DIR / "bench" / "celery-broker"  # noqa: F405
    CELERY_BROKER_TRANSPORT_OPTIONS = {  # noqa: F405
        **CELERY_BROKER_TRANSPORT_OPTIONS,  # noqa: F405
        **{key: str(CELERY_BROKER_DIR / folder) for key, folder in (
            ("data_folder_in", "out"), ("data_folder_out", "out"), ("processed_folder", "processed"),
            ("control_folder", "control"))},
    }

# The benchmark measures how fast the doors answer a partner that sends as fast as it can: the rate limits
# (which would answer most of its calls 429) are off; their counting in the cache still runs.
ILLMS_THROTTLE_API_KEY_RATE = ILLMS_THROTTLE_PARTNER_RATE = "100000000/min"
