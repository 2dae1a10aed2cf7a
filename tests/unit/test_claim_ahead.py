"""The workbench's claim-ahead state, without a window: what Submit shows, when it waits, and
that no sequence of events shows an item twice or sends two claims at once."""

from hypothesis import given, strategies as st

from annotator.ui.claim_ahead import Ahead, ClaimAhead


def test_a_held_item_is_shown_at_submit_while_the_one_after_it_is_claimed():
    ahead = ClaimAhead()
    assert ahead.start() and not ahead.start()  # one claim on its way at a time
    assert ahead.arrived("b") is False and ahead.held == "b"
    assert ahead.take_with_next() == "b" and ahead.state is Ahead.CLAIMING  # the submit claims "c"
    assert ahead.advance() == ("wait", None)  # done with "b" before "c" came: wait for it
    assert ahead.arrived("c") is True and ahead.state is Ahead.NONE  # shown as it comes


def test_nothing_ahead_means_a_claim_and_nothing_coming_back_tells_the_waiting_person():
    ahead = ClaimAhead()
    assert ahead.advance() == ("claim", None)
    ahead.start()
    assert ahead.advance() == ("wait", None)
    assert ahead.arrived(None) is True and ahead.state is Ahead.NONE
    ahead.start()
    assert ahead.arrived(None) is False and ahead.held is None


def test_closing_forgets_the_held_item_and_keeps_one_on_its_way_unshown():
    ahead = ClaimAhead()
    ahead.start()
    ahead.advance()
    ahead.drop()
    assert ahead.arrived("x") is False and ahead.held == "x"
    ahead.drop()
    assert ahead.held is None and ahead.state is Ahead.NONE


@given(st.lists(st.sampled_from(["start", "arrive", "arrive-none", "take", "advance", "drop"]), max_size=40))
def test_no_item_is_shown_twice_and_no_claim_is_sent_while_one_is_coming(events):
    ahead, sent, shown, coming = ClaimAhead(), 0, [], 0
    for event in events:
        if event == "start":
            if ahead.start():
                assert coming == 0
                coming += 1
        elif event.startswith("arrive") and coming:
            coming -= 1
            item = None if event == "arrive-none" else f"item{sent}"
            sent += 1
            if ahead.arrived(item) and item is not None:
                shown.append(item)
        elif event == "take":
            item = ahead.take_with_next()
            if item is not None:
                shown.append(item)
                coming += 1
        elif event == "advance":
            step, item = ahead.advance()
            if step == "show":
                shown.append(item)
            assert (step == "wait") == (coming > 0)
        elif event == "drop":
            ahead.drop()
        assert (ahead.state in (Ahead.CLAIMING, Ahead.WANTED)) == (coming > 0)
    assert len(shown) == len(set(shown))
