/** Health, readiness and the test clock (API.md: only with ESCROW_TEST_CLOCK=1). */
import type { FastifyInstance } from "fastify";
import { addRoute, type RegisteredRoute } from "../route.js";
import { AdvanceBody } from "../schemas.js";
import type { Services } from "../services.js";
import { iso } from "../../storage/read-model.js";

export function systemRoutes(
  app: FastifyInstance,
  services: Services,
  table: RegisteredRoute[],
): void {
  addRoute(app, services, table, {
    method: "GET",
    url: "/healthz",
    summary: "The process is up",
    tags: ["system"],
    access: { kind: "public" },
    handler: () => Promise.resolve({ status: 200, body: { status: "ok" } }),
  });

  addRoute(app, services, table, {
    method: "GET",
    url: "/readyz",
    summary: "The server can reach its database",
    tags: ["system"],
    access: { kind: "public" },
    handler: async () =>
      (await services.ready())
        ? { status: 200, body: { status: "ready" } }
        : {
            status: 503,
            body: { error: { code: "not_ready", message: "the database is not reachable" } },
          },
  });

  const testClock = services.testClock;
  if (!testClock) return;

  addRoute(app, services, table, {
    method: "GET",
    url: "/v1/test-clock",
    summary: "The test clock's time",
    tags: ["test clock"],
    access: { kind: "public" },
    handler: async () => ({ status: 200, body: { now: iso(await testClock.now()) } }),
  });

  addRoute(app, services, table, {
    method: "POST",
    url: "/v1/test-clock/advance",
    summary:
      "Move the test clock forward; every rule due by then runs, in due order, before the answer",
    tags: ["test clock"],
    access: { kind: "public" },
    body: AdvanceBody,
    handler: async ({ body }) => ({
      status: 200,
      body: { now: iso(await testClock.advance(body.seconds)) },
    }),
  });
}
