"""The booking state machine as DESIGN.md states it ("Booking state machine"), written
out by hand for tests to check the code's table (schemas/states.py) against, never
derived from it:

SUBMITTED -> MATCHING -> OFFERED -> ACCEPTED -> SCHEDULED -> SAMPLES_RECEIVED -> IN_TESTING
-> COMPLETED -> REPORT_ISSUED; OFFERED -> MATCHING (decline, offer timeout); MATCHING ->
UNMATCHED -> MATCHING (supply appears); CANCELLED from any state before IN_TESTING.
"""

DESIGNED_NEXT: dict[str | None, set[str]] = {
    None: {"SUBMITTED"},
    "SUBMITTED": {"MATCHING", "CANCELLED"},
    "MATCHING": {"OFFERED", "UNMATCHED", "CANCELLED"},
    "UNMATCHED": {"MATCHING", "CANCELLED"},
    "OFFERED": {"ACCEPTED", "MATCHING", "CANCELLED"},
    "ACCEPTED": {"SCHEDULED", "CANCELLED"},
    "SCHEDULED": {"SAMPLES_RECEIVED", "CANCELLED"},
    "SAMPLES_RECEIVED": {"IN_TESTING", "CANCELLED"},
    "IN_TESTING": {"COMPLETED"},
    "COMPLETED": {"REPORT_ISSUED"},
    "REPORT_ISSUED": set(),
    "CANCELLED": set(),
}
BEFORE_TESTING = {"SUBMITTED", "MATCHING", "UNMATCHED", "OFFERED", "ACCEPTED", "SCHEDULED", "SAMPLES_RECEIVED"}
