import sys

import pytest

from reconstruct.memory import keep_freed_memory


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's allocator only")
def test_the_allocator_keeps_freed_memory_on_linux():
    """glibc takes both thresholds (mallopt refuses a value past its limits: 0)."""
    assert keep_freed_memory()
