"""The notifier API's URL map (DESIGN.md, "Public contract (v1)"), documented as registered."""
from __future__ import annotations

from aiohttp import web

from schemas.notifier_api import (DeliveryPage, NotificationPage, NotificationView, Redelivered, SecretRotated,
                                  SubscriptionCreated, SubscriptionPage, SubscriptionView)
from schemas.values import ANY_ROLE
from services.common import idempotency
from services.common.openapi import ApiSpec, Operation, spec_routes

from . import views
from .domain import DeliveriesQuery, NotificationsQuery, PageQuery, RedeliverQuery, SubscriptionBody


def setup_routes(app: web.Application) -> ApiSpec:
    spec = ApiSpec("labbook notifier API", "1", "Subscriptions, email, webhooks and the in-app feed.")
    add = lambda handler, **op: spec.route(app, handler, Operation(roles=ANY_ROLE, **op))  # noqa: E731
    add(views.create_subscription, method="POST", path="/v1/subscriptions", summary="Subscribe to notices",
        request=SubscriptionBody, response=SubscriptionCreated, status=201, errors=(400, 404),
        headers=idempotency.HEADER, tag="subscriptions",
        description="Webhook answers carry the signing secret once. Webhook targets on private or loopback"
                    " addresses are refused unless NOTIFIER_ALLOW_PRIVATE_TARGETS is set.")
    add(views.list_subscriptions, method="GET", path="/v1/subscriptions", summary="The caller's subscriptions",
        query=PageQuery, response=SubscriptionPage, errors=(400, 404), tag="subscriptions")
    add(views.get_subscription, method="GET", path="/v1/subscriptions/{id}", summary="One subscription",
        response=SubscriptionView, tag="subscriptions")
    add(views.delete_subscription, method="DELETE", path="/v1/subscriptions/{id}", summary="Unsubscribe",
        response=SubscriptionView, tag="subscriptions", description="Its deliveries still waiting are dropped.")
    add(views.enable_subscription, method="POST", path="/v1/subscriptions/{id}/enable",
        summary="Enable a disabled subscription again", response=SubscriptionView, tag="subscriptions")
    add(views.rotate_secret, method="POST", path="/v1/subscriptions/{id}/rotate-secret",
        summary="A new webhook signing secret", response=SecretRotated, errors=(404, 409), tag="subscriptions",
        description="The old secret keeps signing beside the new one for 24 h (NOTIFIER_SECRET_OVERLAP_S).")
    add(views.notifications, method="GET", path="/v1/notifications", summary="The caller's in-app feed",
        query=NotificationsQuery, response=NotificationPage, errors=(400, 404), tag="notifications")
    add(views.read_notification, method="POST", path="/v1/notifications/{id}/read", summary="Mark one read",
        query=NotificationsQuery, response=NotificationView, errors=(400, 404), tag="notifications")
    add(views.list_deliveries, method="GET", path="/v1/deliveries",
        summary="Every attempt of the caller's deliveries (staff: all)", query=DeliveriesQuery,
        response=DeliveryPage, errors=(400, 404), tag="deliveries")
    add(views.redeliver_failed, method="POST", path="/v1/deliveries/redeliver",
        summary="Queue every failed delivery since a moment again", query=RedeliverQuery, response=Redelivered,
        errors=(400, 404), tag="deliveries")
    add(views.redeliver, method="POST", path="/v1/deliveries/{id}/redeliver",
        summary="Queue one delivery again (same webhook-id)", response=Redelivered, errors=(404, 409),
        tag="deliveries")
    spec_routes(app, spec)
    return spec
