"""A serving process freezes the heap its start-up made (illms/startup.py), so the cycle collector stops walking it."""

from __future__ import annotations

import subprocess
import sys

from django.conf import settings


def test_the_wsgi_application_leaves_its_start_up_objects_frozen():
    code = "import gc, illms.wsgi; print(gc.get_freeze_count())"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                            cwd=settings.BASE_DIR, check=True)
    assert int(result.stdout.split()[-1]) > 10_000


def test_freezing_leaves_the_objects_made_later_to_the_collector():
    import gc

    from illms.startup import freeze_heap

    frozen = freeze_heap()
    try:
        cycle: list = []
        cycle.append(cycle)
        del cycle
        assert gc.collect() >= 1 and gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()
