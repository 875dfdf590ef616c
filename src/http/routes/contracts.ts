/** Offers and contracts (R6-R9), milestones added to a contract (R10), history (R22), refunds (R17). */
import type { FastifyInstance } from "fastify";
import { acceptOffer } from "../../app/use-cases/accept-offer.js";
import { addMilestone } from "../../app/use-cases/add-milestone.js";
import { declineOffer } from "../../app/use-cases/decline-offer.js";
import { endContract } from "../../app/use-cases/end-contract.js";
import { makeOffer } from "../../app/use-cases/make-offer.js";
import { requestRefund } from "../../app/use-cases/request-refund.js";
import { withdrawOffer } from "../../app/use-cases/withdraw-offer.js";
import { addRoute, type RegisteredRoute } from "../route.js";
import {
  ContractListQuery,
  EmptyBody,
  EndBody,
  NewMilestoneBody,
  OfferBody,
  PageQuery,
  RefundRequestBody,
} from "../schemas.js";
import type { Services } from "../services.js";
import { listed, paging, renderContract, renderMilestone } from "./helpers.js";

export function contractRoutes(
  app: FastifyInstance,
  services: Services,
  table: RegisteredRoute[],
): void {
  const route = (spec: Parameters<typeof addRoute>[3]) => addRoute(app, services, table, spec);
  const contract = renderContract(services);

  addRoute(app, services, table, {
    method: "POST",
    url: "/v1/contracts",
    summary: "Make an offer; its first milestone is charged into escrow (R6, R7)",
    tags: ["contracts"],
    access: { kind: "user" },
    body: OfferBody,
    handler: ({ command, caller, body }) =>
      command(
        (ctx) => makeOffer(ctx, caller, body),
        (value, tx, now) => renderContract(services, 201)(value.contractId, tx, now),
      ),
  });

  addRoute(app, services, table, {
    method: "GET",
    url: "/v1/contracts",
    summary: "Your contracts, newest first (staff: all)",
    tags: ["contracts"],
    access: { kind: "user" },
    querystring: ContractListQuery,
    handler: async ({ caller, query }) => ({
      status: 200,
      body: await listed(async () =>
        services.lists.contracts(caller, query, paging(query), await services.deps.clock.now()),
      ),
    }),
  });

  addRoute(app, services, table, {
    method: "GET",
    url: "/v1/contracts/:id",
    summary: "A contract with its milestones and escrow",
    tags: ["contracts"],
    access: { kind: "object", resource: "contract", allow: "view" },
    handler: async ({ id }) => ({
      status: 200,
      body: await services.readModel.contract(id, await services.deps.clock.now()),
    }),
  });

  const transitions = [
    ["accept", "freelancer", acceptOffer, "Accept the offer (R8)"],
    [
      "decline",
      "freelancer",
      declineOffer,
      "Decline the offer; its escrow is refunded at once (R8)",
    ],
    [
      "withdraw",
      "client",
      withdrawOffer,
      "Withdraw the offer; its escrow is refunded at once (R8)",
    ],
  ] as const;
  for (const [verb, allow, useCase, summary] of transitions) {
    route({
      method: "POST",
      url: `/v1/contracts/:id/${verb}`,
      summary,
      tags: ["contracts"],
      access: { kind: "object", resource: "contract", allow },
      body: EmptyBody,
      handler: ({ command, caller, id }) =>
        command(
          (ctx) => useCase(ctx, caller, id),
          (_plan, tx, now) => contract(id, tx, now),
        ),
    });
  }

  addRoute(app, services, table, {
    method: "POST",
    url: "/v1/contracts/:id/end",
    summary: "End the contract (R9)",
    tags: ["contracts"],
    access: { kind: "object", resource: "contract", allow: "party" },
    body: EndBody,
    handler: ({ command, caller, id, body }) =>
      command(
        (ctx) => endContract(ctx, caller, id, body?.reason ?? ""),
        (_plan, tx, now) => contract(id, tx, now),
      ),
  });

  addRoute(app, services, table, {
    method: "GET",
    url: "/v1/contracts/:id/events",
    summary: "The contract's history, oldest first (R22)",
    tags: ["contracts"],
    access: { kind: "object", resource: "contract", allow: "view" },
    querystring: PageQuery,
    handler: async ({ id, query }) => ({
      status: 200,
      body: await listed(() => services.lists.events(id, paging(query))),
    }),
  });

  addRoute(app, services, table, {
    method: "POST",
    url: "/v1/contracts/:id/milestones",
    summary: "Add a milestone after the last one (R10)",
    tags: ["milestones"],
    access: { kind: "object", resource: "contract", allow: "client" },
    body: NewMilestoneBody,
    handler: ({ command, caller, id, body }) =>
      command(
        (ctx) => addMilestone(ctx, caller, id, body),
        (plan, tx, now) => renderMilestone(services, 201)(plan.milestones[0]!.id, tx, now),
      ),
  });

  addRoute(app, services, table, {
    method: "POST",
    url: "/v1/contracts/:id/refund-requests",
    summary: "Request a refund of all the escrow of an ended contract (R17)",
    tags: ["refunds"],
    access: { kind: "object", resource: "contract", allow: "client" },
    body: RefundRequestBody,
    handler: ({ command, caller, id, body }) =>
      command(
        (ctx) => requestRefund(ctx, caller, id, body?.reason ?? ""),
        async (plan, tx) => ({
          status: 201,
          body: await services.readModelIn(tx).refundRequest(plan.refundRequests[0]!.id),
        }),
      ),
  });

  addRoute(app, services, table, {
    method: "GET",
    url: "/v1/contracts/:id/refund-requests",
    summary: "The contract's refund requests, newest first",
    tags: ["refunds"],
    access: { kind: "object", resource: "contract", allow: "view" },
    querystring: PageQuery,
    handler: async ({ id, query }) => ({
      status: 200,
      body: await listed(() => services.lists.refundRequests(id, paging(query))),
    }),
  });
}
