/**
 * In-app notifications and webhook endpoints (API.md "Notifications and webhooks";
 * docs/NOTIFICATIONS.md). Both belong to one user: someone else's id answers 404 like a missing one.
 */
import type { FastifyInstance } from "fastify";
import { Type } from "@sinclair/typebox";
import { checkWebhookUrl, UnsafeWebhookUrl } from "../../webhooks/address-guard.js";
import { HttpFailure } from "../errors.js";
import { addRoute, type RegisteredRoute } from "../route.js";
import { EventTypeSchema, NotificationQuery, PageQuery } from "../schemas.js";
import type { Services } from "../services.js";
import { listed, paging } from "./helpers.js";

const WebhookEndpointBody = Type.Object(
  {
    url: Type.String({ minLength: 1, maxLength: 2048 }),
    events: Type.Optional(Type.Array(EventTypeSchema, { minItems: 1, maxItems: 100 })),
  },
  { additionalProperties: false },
);

export function notificationRoutes(
  app: FastifyInstance,
  services: Services,
  table: RegisteredRoute[],
): void {
  const store = services.notifications;

  addRoute(app, services, table, {
    method: "GET",
    url: "/v1/notifications",
    summary: "Your notifications, newest first; ?unread=true for the unread ones",
    tags: ["notifications"],
    access: { kind: "user" },
    querystring: NotificationQuery,
    handler: async ({ caller, query }) => {
      // What committed before this request is listed: fan the outbox out first if needed.
      await services.dispatcher.fanOutNow();
      return {
        status: 200,
        body: await listed(() =>
          store.notifications(caller.userId, query?.unread === "true", paging(query)),
        ),
      };
    },
  });

  addRoute(app, services, table, {
    method: "POST",
    url: "/v1/notifications/:id/read",
    summary: "Mark one of your notifications read",
    tags: ["notifications"],
    access: { kind: "object", resource: "notification", allow: "owner" },
    handler: async ({ caller, id }) => {
      const notification = await store.markRead(caller.userId, id, await services.deps.clock.now());
      if (!notification) throw new HttpFailure(404, "not_found", "notification not found");
      return { status: 200, body: notification };
    },
  });

  addRoute(app, services, table, {
    method: "POST",
    url: "/v1/webhook-endpoints",
    summary: "Register a webhook endpoint; the signing secret is shown only in this answer",
    tags: ["webhooks"],
    access: { kind: "user" },
    body: WebhookEndpointBody,
    handler: async ({ caller, body }) => {
      let url: string;
      try {
        url = checkWebhookUrl(body.url, services.config.webhooksAllowPrivate);
      } catch (error) {
        if (error instanceof UnsafeWebhookUrl)
          throw new HttpFailure(400, "validation_failed", error.message, "url");
        throw error;
      }
      const events = body.events ? [...new Set(body.events)] : null;
      const endpoint = await store.createEndpoint(
        caller.userId,
        url,
        events,
        await services.deps.clock.now(),
      );
      return { status: 201, body: endpoint };
    },
  });

  addRoute(app, services, table, {
    method: "GET",
    url: "/v1/webhook-endpoints",
    summary: "Your webhook endpoints, newest first (without secrets)",
    tags: ["webhooks"],
    access: { kind: "user" },
    querystring: PageQuery,
    handler: async ({ caller, query }) => ({
      status: 200,
      body: await listed(() => store.endpoints(caller.userId, paging(query))),
    }),
  });

  addRoute(app, services, table, {
    method: "GET",
    url: "/v1/webhook-endpoints/:id/deliveries",
    summary: "The delivery log of one of your endpoints, newest first",
    tags: ["webhooks"],
    access: { kind: "object", resource: "webhook_endpoint", allow: "owner" },
    querystring: PageQuery,
    handler: async ({ id, query }) => ({
      status: 200,
      body: await listed(() => store.deliveries(id, paging(query))),
    }),
  });

  addRoute(app, services, table, {
    method: "DELETE",
    url: "/v1/webhook-endpoints/:id",
    summary: "Delete one of your webhook endpoints; calls not yet made are cancelled",
    tags: ["webhooks"],
    access: { kind: "object", resource: "webhook_endpoint", allow: "owner" },
    handler: async ({ caller, id }) => {
      const deleted = await store.deleteEndpoint(
        caller.userId,
        id,
        await services.deps.clock.now(),
      );
      if (!deleted) throw new HttpFailure(404, "not_found", "webhook endpoint not found");
      return { status: 204 };
    },
  });
}
