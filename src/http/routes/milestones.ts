/** Milestones (R10-R16): edit, cancel, fund, submit, request changes, approve, due dates. */
import type { FastifyInstance } from "fastify";
import { answerDueDate } from "../../app/use-cases/answer-due-date.js";
import { approveMilestone } from "../../app/use-cases/approve-milestone.js";
import { cancelMilestone } from "../../app/use-cases/cancel-milestone.js";
import { fundMilestone } from "../../app/use-cases/fund-milestone.js";
import { proposeDueDate } from "../../app/use-cases/propose-due-date.js";
import { requestChanges } from "../../app/use-cases/request-changes.js";
import { submitWork } from "../../app/use-cases/submit-work.js";
import { updateMilestone } from "../../app/use-cases/update-milestone.js";
import { addRoute, type RegisteredRoute } from "../route.js";
import {
  ApproveBody,
  DueDateBody,
  EditMilestoneBody,
  EmptyBody,
  MessageBody,
  SubmitBody,
} from "../schemas.js";
import type { Services } from "../services.js";
import { renderMilestone } from "./helpers.js";

export function milestoneRoutes(
  app: FastifyInstance,
  services: Services,
  table: RegisteredRoute[],
): void {
  const milestone = renderMilestone(services);
  const dueDateChange =
    (status: number) => async (id: string, tx: Parameters<typeof milestone>[1]) => ({
      status,
      body: await services.readModelIn(tx).dueDateChange(id),
    });

  addRoute(app, services, table, {
    method: "GET",
    url: "/v1/milestones/:id",
    summary: "A milestone with its submissions",
    tags: ["milestones"],
    access: { kind: "object", resource: "milestone", allow: "view" },
    handler: async ({ id }) => ({
      status: 200,
      body: await services.readModel.milestone(id, await services.deps.clock.now()),
    }),
  });

  addRoute(app, services, table, {
    method: "PATCH",
    url: "/v1/milestones/:id",
    summary:
      "Change an unfunded milestone's amount or description (R10); title and position never change",
    tags: ["milestones"],
    access: { kind: "object", resource: "milestone", allow: "client" },
    body: EditMilestoneBody,
    handler: ({ command, caller, id, body }) =>
      command(
        (ctx) => updateMilestone(ctx, caller, id, body),
        (_p, tx, now) => milestone(id, tx, now),
      ),
  });

  const simple = [
    ["cancel", "client", cancelMilestone, "Cancel an unfunded milestone (R10)"],
    [
      "fund",
      "client",
      fundMilestone,
      "Fund the next milestone, from unallocated escrow first (R11)",
    ],
  ] as const;
  for (const [verb, allow, useCase, summary] of simple) {
    addRoute(app, services, table, {
      method: "POST",
      url: `/v1/milestones/:id/${verb}`,
      summary,
      tags: ["milestones"],
      access: { kind: "object", resource: "milestone", allow },
      body: EmptyBody,
      handler: ({ command, caller, id }) =>
        command(
          (ctx) => useCase(ctx, caller, id),
          (_p, tx, now) => milestone(id, tx, now),
        ),
    });
  }

  addRoute(app, services, table, {
    method: "POST",
    url: "/v1/milestones/:id/submit",
    summary: "Submit work for the funded milestone; the review window starts (R12, R14)",
    tags: ["milestones"],
    access: { kind: "object", resource: "milestone", allow: "freelancer" },
    body: SubmitBody,
    handler: ({ command, caller, id, body }) =>
      command(
        (ctx) => submitWork(ctx, caller, id, body),
        (_p, tx, now) => milestone(id, tx, now),
      ),
  });

  addRoute(app, services, table, {
    method: "POST",
    url: "/v1/milestones/:id/request-changes",
    summary: "Send the submission back with a message (R13)",
    tags: ["milestones"],
    access: { kind: "object", resource: "milestone", allow: "client" },
    body: MessageBody,
    handler: ({ command, caller, id, body }) =>
      command(
        (ctx) => requestChanges(ctx, caller, id, body.message),
        (_p, tx, now) => milestone(id, tx, now),
      ),
  });

  addRoute(app, services, table, {
    method: "POST",
    url: "/v1/milestones/:id/approve",
    summary: "Release the milestone, in full or a different amount (R13, R15)",
    tags: ["milestones"],
    access: { kind: "object", resource: "milestone", allow: "client" },
    body: ApproveBody,
    handler: ({ command, caller, id, body }) =>
      command(
        (ctx) => approveMilestone(ctx, caller, id, body?.amount),
        (_p, tx, now) => milestone(id, tx, now),
      ),
  });

  addRoute(app, services, table, {
    method: "POST",
    url: "/v1/milestones/:id/due-date-changes",
    summary: "Propose a new due date; the other party answers (R16)",
    tags: ["milestones"],
    access: { kind: "object", resource: "milestone", allow: "party" },
    body: DueDateBody,
    handler: ({ command, caller, id, body }) =>
      command(
        (ctx) => proposeDueDate(ctx, caller, id, body.dueDate),
        (plan, tx) => dueDateChange(201)(plan.dueDateChanges[0]!.id, tx),
      ),
  });

  for (const answer of ["accept", "decline"] as const) {
    addRoute(app, services, table, {
      method: "POST",
      url: `/v1/due-date-changes/:id/${answer}`,
      summary: `${answer === "accept" ? "Accept" : "Decline"} a proposed due date (R16)`,
      tags: ["milestones"],
      access: { kind: "object", resource: "due_date_change", allow: "party" },
      body: EmptyBody,
      handler: ({ command, caller, id }) =>
        command(
          (ctx) => answerDueDate(ctx, caller, id, answer),
          (_p, tx) => dueDateChange(200)(id, tx),
        ),
    });
  }
}
