import pytest
from django.utils.translation import trans_real

from illms.management.commands.compile_translations import compile_all


@pytest.fixture(scope="session")
def compiled_translations():
    """locale/*.po compiled (``make install`` does it; a bare ``pytest`` may run before it), read afresh."""
    import shutil

    compile_all(msgfmt=shutil.which("msgfmt"))
    trans_real._translations = {}
    trans_real._default = None
