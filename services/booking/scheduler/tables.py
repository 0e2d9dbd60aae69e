"""The scheduler's table class: Faust's Table, with its partition check asking only
what the broker has told the consumer.

Before a table's first write from a source topic, Faust compares the source's partition
count with its changelog's, both from the consumer's metadata snapshot, and refuses the
write on a difference (PartitionsMismatch). aiokafka counts a topic it has no metadata
for yet as 0 partitions: a changelog just created, or just after a broker restart, until
the next metadata refresh (up to 5 minutes). Faust calls that a mismatch, and every
event of those minutes was dead-lettered. A count of 0 is "not known yet", not a
difference: the write goes ahead (the producer waits for the changelog's metadata
itself) and the check runs again on the next write, so a real mismatch still stops the
worker's writes once the count is known.
"""
from __future__ import annotations

import faust


class Table(faust.Table):
    def _verify_source_topic_partitions(self, source_topic: str) -> None:
        consumer = self.app.consumer
        if not consumer.topic_partitions(self.changelog_topic_name) or not consumer.topic_partitions(source_topic):
            return  # not known yet; asked again on the next write
        super()._verify_source_topic_partitions(source_topic)
