import os

from django.core.wsgi import get_wsgi_application

from illms.startup import freeze_heap

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "illms.settings")
application = get_wsgi_application()
# The loaded application's objects are out of the cycle collector's sight (illms/startup.py).
freeze_heap()
