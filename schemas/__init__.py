"""Everything that crosses a labbook service boundary: messages, topics, rules.

The only package every service imports.
"""
# Every decoder must know every event type: importing any schemas module runs this
# first, and events.py registers each Event subclass in envelope.EVENT_TYPES as it
# is defined (envelope.py itself never imports events.py).
from . import events as _events  # noqa: F401
