"""Assignment uids: RFC 9562 version 7 UUIDs, whose text sorts in the order they were made (so
the unique index takes each new one on its newest page) and which any UUID parser accepts."""

import time
import uuid

from annotator.db.base import time_ordered_uid


def test_uids_are_version_7_uuids_that_sort_by_the_time_they_were_made():
    first = [time_ordered_uid() for _ in range(200)]
    made_by = time.time_ns() // 1_000_000
    while time.time_ns() // 1_000_000 == made_by:  # into the next millisecond, which must sort after
        pass
    later = [time_ordered_uid() for _ in range(200)]
    for text in first + later:
        parsed = uuid.UUID(text)
        assert (str(parsed), parsed.version, parsed.variant) == (text, 7, uuid.RFC_4122)
    assert max(first) < min(later)
    assert len(set(first + later)) == 400
    assert abs(int(first[0].replace("-", "")[:12], 16) - time.time_ns() // 1_000_000) < 60_000
