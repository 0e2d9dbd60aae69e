"""The in-process broadcast and the SSE frame format (services/booking/sse.py)."""
import asyncio

from services.booking.sse import Broadcast, _items, format_event


def test_frame_format():
    assert format_event({"a": 1}, event_id="r:2", event="StatusChanged") == \
        b'id: r:2\nevent: StatusChanged\ndata: {"a":1}\n\n'


async def test_every_subscriber_gets_every_item():
    feed = Broadcast()
    with feed.subscribe() as one, feed.subscribe() as two:
        feed.publish("x")
        assert one.get_nowait() == "x" and two.get_nowait() == "x"
    assert len(feed) == 0


async def test_a_slow_subscriber_is_dropped_not_waited_for():
    feed = Broadcast(queue_size=2)
    with feed.subscribe() as slow:
        for i in range(5):
            feed.publish(i)
        assert len(feed) == 0
        # It keeps what fits beside the end marker, then its stream ends.
        assert [item async for item in _items(slow, heartbeat_s=1)] == [1]


async def test_heartbeat_is_none_and_close_ends_the_stream():
    feed = Broadcast()
    with feed.subscribe() as queue:
        items = _items(queue, heartbeat_s=0.01)
        assert await anext(items) is None
        feed.close()
        assert [i async for i in items] == []
    await asyncio.sleep(0)
