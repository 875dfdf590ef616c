/** The transactions report (R21): JSON pages and a streamed CSV export. */
import { Readable } from "node:stream";
import type { FastifyInstance } from "fastify";
import type { Static } from "@sinclair/typebox";
import { isCalendarDate } from "../../domain/validation.js";
import { csvChunks, type TransactionFilter } from "../../storage/report.js";
import { HttpFailure } from "../errors.js";
import { addRoute, type RegisteredRoute } from "../route.js";
import { TotalsQuery, TransactionQuery } from "../schemas.js";
import type { Services } from "../services.js";
import { listed, paging } from "./helpers.js";

const DAY_MS = 24 * 60 * 60 * 1000;

/** `from` and `to` are inclusive; a date-only `to` covers that whole UTC day. */
function bound(value: string | undefined, field: "from" | "to"): number | undefined {
  if (value === undefined) return undefined;
  const dateOnly = value.length === 10;
  const at = dateOnly ? Date.parse(`${value}T00:00:00.000Z`) : Date.parse(value);
  if (Number.isNaN(at) || (dateOnly && !isCalendarDate(value))) {
    throw new HttpFailure(
      400,
      "validation_failed",
      `${field} must be a date YYYY-MM-DD or an ISO 8601 time`,
      field,
    );
  }
  return dateOnly && field === "to" ? at + DAY_MS - 1 : at;
}

function filterOf(
  query: Static<typeof TransactionQuery> | Static<typeof TotalsQuery> | undefined,
): TransactionFilter {
  const filter = {
    contractId: query?.contractId,
    type: query?.type,
    from: bound(query?.from, "from"),
    to: bound(query?.to, "to"),
  };
  if (filter.from !== undefined && filter.to !== undefined && filter.from > filter.to) {
    throw new HttpFailure(400, "validation_failed", "from must not be after to", "from");
  }
  return filter;
}

export function transactionRoutes(
  app: FastifyInstance,
  services: Services,
  table: RegisteredRoute[],
): void {
  addRoute(app, services, table, {
    method: "GET",
    url: "/v1/transactions",
    summary: "Movements of your own money, newest first (R21)",
    tags: ["transactions"],
    access: { kind: "user" },
    querystring: TransactionQuery,
    handler: async ({ caller, query }) => ({
      status: 200,
      body: await listed(() => services.report.list(caller.userId, filterOf(query), paging(query))),
    }),
  });

  addRoute(app, services, table, {
    method: "GET",
    url: "/v1/transactions/totals",
    summary: "Net change and count per currency over every transaction matching the filters (R21)",
    tags: ["transactions"],
    access: { kind: "user" },
    querystring: TotalsQuery,
    handler: async ({ caller, query }) => ({
      status: 200,
      body: { data: await services.report.totals(caller.userId, filterOf(query)) },
    }),
  });

  addRoute(app, services, table, {
    method: "GET",
    url: "/v1/transactions/export.csv",
    summary: "Every matching transaction as CSV, streamed (R21)",
    tags: ["transactions"],
    access: { kind: "user" },
    querystring: TransactionQuery,
    handler: async ({ caller, query, reply }) => {
      const filter = filterOf(query);
      const pages = services.report.all(caller.userId, filter);
      await reply
        .code(200)
        .header("content-type", "text/csv; charset=utf-8")
        .header("content-disposition", 'attachment; filename="transactions.csv"')
        .send(Readable.from(csvChunks(pages)));
      return undefined;
    },
  });
}
