"""The workbench's claim-ahead, as one state: while a person works on an item, the next one is
claimed in the background, so Submit shows it at once. No Qt here: the window asks this object
what to do and renders the answer, and the object has tests of its own."""

from __future__ import annotations

from enum import Enum
from typing import Any


class Ahead(Enum):
    NONE = "none"  # nothing claimed ahead, and no claim on its way
    CLAIMING = "claiming"  # a claim is on its way; the person is still on their item
    WANTED = "wanted"  # a claim is on its way and the person is waiting for it
    HELD = "held"  # the next item is here, kept for the next Submit


class ClaimAhead:
    def __init__(self) -> None:
        self.state = Ahead.NONE
        self.item: Any = None  # the item held, in HELD

    def start(self) -> bool:
        """Whether to send a claim now (then on its way); only when nothing is ahead or coming."""
        if self.state is not Ahead.NONE:
            return False
        self.state = Ahead.CLAIMING
        return True

    def arrived(self, item: Any) -> bool:
        """The claim came back (`item` None: none came). True when the person is waiting and
        should see it (or, with None, be told why there is nothing); else it is kept."""
        waiting = self.state is Ahead.WANTED
        if waiting or item is None:
            self.state, self.item = Ahead.NONE, None
        else:
            self.state, self.item = Ahead.HELD, item
        return waiting

    def take_with_next(self) -> Any:
        """Submit: the held item, to show now, while the submit itself claims the one after it
        (on its way from this moment); None when nothing is held."""
        if self.state is not Ahead.HELD:
            return None
        item, self.item = self.item, None
        self.state = Ahead.CLAIMING
        return item

    def advance(self) -> tuple[str, Any]:
        """What showing the next item means now: ("show", item) when one is held; ("wait", None)
        when one is on its way (a claim of its own would find that one open, not yet held, and
        give the same item twice); ("claim", None) when nothing is ahead."""
        if self.state is Ahead.HELD:
            item, self.item = self.item, None
            self.state = Ahead.NONE
            return "show", item
        if self.state in (Ahead.CLAIMING, Ahead.WANTED):
            self.state = Ahead.WANTED
            return "wait", None
        return "claim", None

    def drop(self) -> None:
        """The window closes: the held item is forgotten (given back with the rest), and one
        still on its way is kept, not shown, when it comes."""
        self.item = None
        self.state = Ahead.CLAIMING if self.state in (Ahead.CLAIMING, Ahead.WANTED) else Ahead.NONE

    @property
    def held(self) -> Any:
        """The item kept for the next Submit, if one is."""
        return self.item if self.state is Ahead.HELD else None
