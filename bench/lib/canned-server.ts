/**
 * The HTTP baseline: the real server (createApp: Fastify, the JSON parser, the error shape) with
 * two extra routes that authenticate the caller, check access to the milestone and validate the
 * body exactly as the lifecycle routes do, and then answer a canned milestone (a real answer,
 * given in BENCH_CANNED_BODY) without touching the ledger. Started by bench/lib/server.ts.
 */
import { loadConfig } from "../../src/config.js";
import { addRoute } from "../../src/http/route.js";
import { ApproveBody } from "../../src/http/schemas.js";
import { createApp, createLogger } from "../../src/main.js";

const config = loadConfig(process.env);
const body: unknown = JSON.parse(process.env.BENCH_CANNED_BODY ?? "null");
const app = await createApp(config, createLogger(config), {
  plugins: [
    (server, services) => {
      const access = { kind: "object", resource: "milestone", allow: "client" } as const;
      const common = { method: "POST", summary: "canned", tags: ["bench"], access } as const;
      const handler = () => Promise.resolve({ status: 200, body });
      addRoute(server, services, [], {
        ...common,
        url: "/bench/canned/milestones/:id/approve",
        body: ApproveBody,
        handler,
      });
      addRoute(server, services, [], {
        ...common,
        url: "/bench/canned/milestones/:id/fund",
        handler,
      });
      return Promise.resolve();
    },
  ],
});
await app.server.app.listen({ port: config.port, host: config.host });
process.on("SIGTERM", () => {
  app.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
