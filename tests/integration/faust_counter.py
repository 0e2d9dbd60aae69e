"""A small Faust app for the integration test: counts StatusChanged events per
request in a table (changelog-backed) and emits each new count.

Run: python -m tests.integration.faust_counter worker  (settings from COUNTER_* env)
"""
from __future__ import annotations

import os

import faust

from schemas import faust_codec
from schemas.faust_codec import Decoded, Rejected

faust_codec.register()
env = os.environ
app = faust.App(
    env["COUNTER_APP_ID"],
    broker=f"kafka://{env.get('KAFKA_BOOTSTRAP', '127.0.0.1:9092')}",
    store="memory://",
    processing_guarantee=env.get("COUNTER_GUARANTEE", "exactly_once"),
    topic_partitions=4,
    web_host="127.0.0.1",
    web_bind="127.0.0.1",
    web_port=int(env["COUNTER_WEB_PORT"]),
    broker_session_timeout=10,
    broker_heartbeat_interval=1,
    datadir=env["COUNTER_DATADIR"],
)
source = app.topic(env["COUNTER_SOURCE"], key_serializer="raw", value_serializer=faust_codec.CODEC_NAME)
output = app.topic(env["COUNTER_OUTPUT"], key_serializer="raw", value_serializer="raw")
counts = app.Table("counts", default=int, partitions=4)


@app.agent(source)
async def count(stream):
    async for key, message in stream.items():
        if isinstance(message, Rejected):
            await output.send(key=b"rejected", value=message.reason.encode())
        elif isinstance(message, Decoded):
            request_id = str(message.event.request_id)
            counts[request_id] += 1
            await output.send(key=request_id.encode(), value=str(counts[request_id]).encode())


if __name__ == "__main__":
    app.main()
