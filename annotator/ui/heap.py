"""The objects the app keeps for its whole run (modules, classes, the ORM's mappings, Qt's
wrappers), set aside from the garbage collector once a window has shown. Each full collection
walks every tracked object: with SQLAlchemy and Qt loaded that is a 50 ms pause of the UI
thread, at random, in the middle of a scroll or a submit (benchmarks/lead_bench.py)."""

from __future__ import annotations

import gc


def settle() -> None:
    """Collect what is garbage now, then freeze the rest: later collections walk only objects
    made after this. Cheap when called again, since the frozen objects are not walked. A frozen
    object that dies later is still freed when its last reference goes; only a cycle among such
    objects (a closed window's) waits for the app's exit."""
    gc.collect()
    gc.freeze()
