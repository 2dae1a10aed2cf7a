"""The C allocator's thresholds for decoding photos (media/allocator.py) are ones this
platform's glibc accepts: mallopt refuses a mapping threshold above half its heap size."""

import platform
import sys

import pytest

from annotator.media.allocator import reuse_freed_memory


@pytest.mark.skipif(not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc",
                    reason="mallopt is glibc's")
def test_glibc_takes_the_thresholds():
    assert reuse_freed_memory() is True
    assert reuse_freed_memory() is True  # once per process; asking again changes nothing
