"""The Celery application. Settings come from Django's (``CELERY_*``)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "illms.settings")

app = Celery("illms")
app.config_from_object("django.conf:settings", namespace="CELERY")


@app.on_after_configure.connect
def _prepare_filesystem_broker(sender: Celery, **kwargs) -> None:
    """The embedded broker keeps its queue in folders that must exist before a worker starts."""
    options = sender.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
        if options.get(key):
            os.makedirs(options[key], exist_ok=True)


app.autodiscover_tasks()
