"""The labs API's URL map (DESIGN.md, "Public contract (v1)"), documented as registered."""
from __future__ import annotations

from aiohttp import web

from schemas.labs_api import (AcceptBody, CapacityBody, DeclineBody, HeartbeatView, JobEventBody, JobView, LabPage,
                              LabView, ListQuery, MethodPage, MethodsQuery, OfferPage, OffersQuery, OfferView, PatchLab,
                              RegisterLab)
from schemas.values import LAB_READERS, STAFF_ROLES, Role
from services.common import idempotency
from services.common.openapi import ApiSpec, Operation, spec_routes

from . import views


def setup_routes(app: web.Application) -> ApiSpec:
    spec = ApiSpec("labbook labs API", "1", "Accredited labs, their scope and capacity, offers and jobs.")
    add = lambda handler, **op: spec.route(app, handler, Operation(**op))  # noqa: E731
    add(views.register_lab, method="POST", path="/v1/labs", summary="Register an accredited lab", roles=STAFF_ROLES,
        request=RegisterLab, response=LabView, status=201, errors=(400, 404, 409), tag="labs",
        headers=idempotency.HEADER,
        description="`id` is optional (generated when absent). 409: the id or the register record is taken.")
    add(views.list_labs, method="GET", path="/v1/labs", summary="List labs", roles=STAFF_ROLES, query=ListQuery,
        response=LabPage, errors=(400, 404), tag="labs")
    add(views.get_lab, method="GET", path="/v1/labs/{id}", summary="One lab (a lab: itself only)",
        roles=LAB_READERS, response=LabView, tag="labs")
    add(views.patch_lab, method="PATCH", path="/v1/labs/{id}", summary="Change a lab's profile, scope or accreditation",
        roles=STAFF_ROLES, request=PatchLab, response=LabView, errors=(400, 404, 409), tag="labs",
        description="Absent fields stay as they are; scope is replaced whole.")
    add(views.put_capacity, method="PUT", path="/v1/labs/{id}/capacity", summary="Replace a lab's capacity windows",
        roles=LAB_READERS, request=CapacityBody, response=LabView, errors=(400, 404), tag="labs",
        description="Each bound is an ISO date (a whole day in the lab's own time zone, from its region: "
                    "`available_to` includes its date) or a date-time with an offset; a date-time without an "
                    "offset is a 422 that says what to add.")
    add(views.heartbeat, method="POST", path="/v1/labs/{id}/heartbeat", summary="The lab is alive",
        roles=(Role.LAB,), response=HeartbeatView, tag="labs")
    add(views.list_offers, method="GET", path="/v1/offers", summary="Offers (a lab: its own; staff: all)",
        roles=LAB_READERS, query=OffersQuery, response=OfferPage, errors=(400, 404), tag="offers")
    add(views.accept_offer, method="POST", path="/v1/offers/{id}/accept", summary="Accept a pending offer",
        roles=(Role.LAB,), request=AcceptBody, response=OfferView, errors=(400, 404, 409), tag="offers",
        description="The body is optional. `planned_start` as a date is 00:00 that day in the lab's time zone.")
    add(views.decline_offer, method="POST", path="/v1/offers/{id}/decline", summary="Decline a pending offer",
        roles=(Role.LAB,), request=DeclineBody, response=OfferView, errors=(400, 404, 409), tag="offers")
    add(views.job_event, method="POST", path="/v1/jobs/{request_id}/events",
        summary="Report a job's progress (samples received ... report issued)", roles=(Role.LAB,), request=JobEventBody,
        response=JobView, errors=(400, 404, 409), tag="jobs")
    add(views.list_methods, method="GET", path="/v1/methods", summary="The test-method catalogue",
        query=MethodsQuery, response=MethodPage, errors=(400,), tag="catalogue",
        description="Public: reference data, needed before anyone has a token.")
    spec_routes(app, spec)
    return spec
