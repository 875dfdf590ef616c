/** Refund requests and disputes (R17-R20). */
import type { FastifyInstance } from "fastify";
import { approveRefund } from "../../app/use-cases/approve-refund.js";
import { cancelRefund } from "../../app/use-cases/cancel-refund.js";
import { disputeRefund } from "../../app/use-cases/dispute-refund.js";
import { resolveDispute } from "../../app/use-cases/resolve-dispute.js";
import { addRoute, type RegisteredRoute } from "../route.js";
import { DisputeBody, DisputeListQuery, EmptyBody, ResolveBody } from "../schemas.js";
import type { Services } from "../services.js";
import { listed, paging, renderRefundRequest } from "./helpers.js";

export function refundRoutes(
  app: FastifyInstance,
  services: Services,
  table: RegisteredRoute[],
): void {
  addRoute(app, services, table, {
    method: "GET",
    url: "/v1/refund-requests/:id",
    summary: "A refund request",
    tags: ["refunds"],
    access: { kind: "object", resource: "refund_request", allow: "view" },
    handler: async ({ id }) => ({ status: 200, body: await services.readModel.refundRequest(id) }),
  });

  const answers = [
    [
      "approve",
      "freelancer",
      approveRefund,
      "Approve the refund: the escrow goes back to the client (R18)",
    ],
    [
      "cancel",
      "client",
      cancelRefund,
      "Cancel a pending refund request; the money stays in escrow (R20)",
    ],
  ] as const;
  for (const [verb, allow, useCase, summary] of answers) {
    addRoute(app, services, table, {
      method: "POST",
      url: `/v1/refund-requests/:id/${verb}`,
      summary,
      tags: ["refunds"],
      access: { kind: "object", resource: "refund_request", allow },
      body: EmptyBody,
      handler: ({ command, caller, id }) =>
        command(
          (ctx) => useCase(ctx, caller, id),
          (_p, tx) => renderRefundRequest(services, id, tx),
        ),
    });
  }

  addRoute(app, services, table, {
    method: "POST",
    url: "/v1/refund-requests/:id/dispute",
    summary: "Dispute the refund; staff will split the money (R18, R19)",
    tags: ["refunds"],
    access: { kind: "object", resource: "refund_request", allow: "freelancer" },
    body: DisputeBody,
    handler: ({ command, caller, id, body }) =>
      command(
        (ctx) => disputeRefund(ctx, caller, id, body.reason),
        (_p, tx) => renderRefundRequest(services, id, tx),
      ),
  });

  addRoute(app, services, table, {
    method: "GET",
    url: "/v1/disputes",
    summary: "Disputes: staff see all, parties their own",
    tags: ["disputes"],
    access: { kind: "user" },
    querystring: DisputeListQuery,
    handler: async ({ caller, query }) => ({
      status: 200,
      body: await listed(() => services.lists.disputes(caller, query?.status, paging(query))),
    }),
  });

  addRoute(app, services, table, {
    method: "GET",
    url: "/v1/disputes/:id",
    summary: "A dispute and its resolution",
    tags: ["disputes"],
    access: { kind: "object", resource: "dispute", allow: "view" },
    handler: async ({ id }) => ({ status: 200, body: await services.readModel.dispute(id) }),
  });

  addRoute(app, services, table, {
    method: "POST",
    url: "/v1/disputes/:id/resolve",
    summary: "Split the disputed amount between refund and release, with a reason (R19)",
    tags: ["disputes"],
    access: { kind: "object", resource: "dispute", allow: "staff" },
    body: ResolveBody,
    handler: ({ command, caller, id, body }) =>
      command(
        (ctx) => resolveDispute(ctx, caller, id, body),
        async (_p, tx) => ({ status: 200, body: await services.readModelIn(tx).dispute(id) }),
      ),
  });
}
