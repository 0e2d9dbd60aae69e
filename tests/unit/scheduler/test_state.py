"""A request's scheduler state as the `requests` table keeps it: a frozen model written
as JSON, and a state an earlier version wrote as a plain dict (Faust's json codec)
still loads, with what it lacked defaulted."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

import pydantic
import pytest
from faust.serializers import codecs

from schemas.states import RequestStatus
from services.booking.scheduler import state as st

RID, RES, OFFER = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
REQUEST = {"request_id": str(RID), "org_id": "org-1", "method_code": "GOST-R-52302", "test_kind": "validation",
           "component": {"name": "Pad", "part_number": "P-1", "category": "brakes"}, "samples": 2,
           "deadline": "2026-04-30", "ship_from_region": "RU-SAM", "preferred_lab_ids": [], "excluded_lab_ids": [],
           "submitted_at": "2026-03-01T09:00:00Z"}
# As flow.py wrote an OFFERED request before states were models (no queued/asked/move keys).
OLD_OFFERED = {"request": REQUEST, "partition": 2, "status": "OFFERED", "seq": 3, "declined": ["lab-x"],
               "tried": [], "pending": None,
               "offer": {"offer_id": str(OFFER), "lab_id": "lab-a", "expires_at": "2026-03-03T09:00:00+00:00"},
               "slot": {"reservation_id": str(RES), "lab_id": "lab-a", "method_code": "GOST-R-52302",
                        "start": "2026-03-05T00:00:00+00:00", "end": "2026-03-07T00:00:00+00:00"},
               "cancelled": False}
OLD_CANCELLED_FIRST = {"request": None, "partition": 1, "status": "CANCELLED", "seq": 0, "cancelled": True,
                       "offer": None, "slot": None, "pending": None}


def test_a_state_an_earlier_version_wrote_as_a_dict_loads_with_what_it_lacked_defaulted():
    state = st.ModelCodec(st.RequestState).loads(codecs.dumps("json", OLD_OFFERED))
    assert state.status is RequestStatus.OFFERED and state.seq == 3 and state.partition == 2
    assert state.request_id == RID and state.request.samples == 2
    assert state.offer.offer_id == OFFER and state.offer.expires_at == datetime(2026, 3, 3, 9, tzinfo=timezone.utc)
    assert state.slot.reservation_id == RES and state.slot.end == datetime(2026, 3, 7, tzinfo=timezone.utc)
    assert state.declined == ("lab-x",) and state.tried == ()
    assert (state.queued, state.asked, state.move, state.declined_offers) == (False, 0, None, ())


def test_a_cancel_that_overtook_its_submission_loads_too():
    state = st.ModelCodec(st.RequestState).loads(codecs.dumps("json", OLD_CANCELLED_FIRST))
    assert state.request is None and state.request_id is None and state.cancelled
    assert state.status is RequestStatus.CANCELLED and state.declined == ()


def test_a_state_survives_the_codec_unchanged():
    state = st.ModelCodec(st.RequestState).loads(codecs.dumps("json", OLD_OFFERED)).but(queued=True, asked=4)
    again = st.ModelCodec(st.RequestState).loads(st.ModelCodec(st.RequestState).dumps(state))
    assert again == state and again is not state


def test_a_state_cannot_be_changed_in_place():
    state = st.ModelCodec(st.RequestState).loads(codecs.dumps("json", OLD_OFFERED))
    with pytest.raises(pydantic.ValidationError):
        state.status = RequestStatus.CANCELLED


def test_the_codec_encodes_only_states():
    with pytest.raises(TypeError):
        st.ModelCodec(st.RequestState).dumps(OLD_OFFERED)


# A lab's record as the lab side wrote it before records were models (Faust's json
# codec: events dumped as JSON, bookings as [id, start, end] rows).
CAPACITY = {"lab_id": "lab-a", "heartbeat_at": "2026-03-01T09:00:00Z",
            "items": [{"method_code": "GOST-R-52302", "slots": 2, "available_from": "2026-03-01T00:00:00Z",
                       "available_to": "2026-06-01T00:00:00Z"}]}
PROFILE = {"lab_id": "lab-a", "name": "Lab A", "inn": "6320000000", "region_code": "RU-SAM", "city": "Samara",
           "lat": 53.2, "lon": 50.1, "updated_at": "2026-03-01T09:00:00Z",
           "accreditation": {"certificate_no": "RA.RU.21AB12", "status": "active", "valid_until": "2027-12-31"},
           "scope": [{"method_code": "GOST-R-52302", "max_samples": 5, "price_rub": "1000"}]}
OLD_LAB = {"profile": PROFILE, "capacity": CAPACITY, "released": ["r-0"],
           "booked": {"GOST-R-52302": [["r-1", "2026-03-05T00:00:00+00:00", "2026-03-07T00:00:00+00:00"]]}}


def test_a_lab_record_an_earlier_version_wrote_as_a_dict_loads_typed():
    record = st.ModelCodec(st.LabRecord).loads(codecs.dumps("json", OLD_LAB))
    assert record.profile.city == "Samara" and record.capacity.items[0].slots == 2
    (booked,) = record.booked["GOST-R-52302"]
    assert booked.reservation_id == "r-1"
    assert (booked.start, booked.end) == (datetime(2026, 3, 5, tzinfo=timezone.utc),
                                          datetime(2026, 3, 7, tzinfo=timezone.utc))
    assert record.released == ("r-0",)


def test_a_supply_record_without_bookings_loads_and_survives_the_codec():
    codec = st.ModelCodec(st.LabRecord)
    record = codec.loads(codecs.dumps("json", {"profile": PROFILE, "capacity": None}))
    assert record.booked == {} and record.released == () and record.capacity is None
    again = codec.loads(codec.dumps(record))
    assert again == record and again is not record


def test_each_codec_encodes_only_its_model():
    with pytest.raises(TypeError):
        st.ModelCodec(st.LabRecord).dumps(st.ModelCodec(st.RequestState).loads(codecs.dumps("json", OLD_OFFERED)))
