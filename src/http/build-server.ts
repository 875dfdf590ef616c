/**
 * The HTTP server, built but not listening: routes, the error shape, OpenAPI and its reference
 * page. `main.ts` listens; tests use `inject`.
 */
import { randomUUID } from "node:crypto";
import cookie from "@fastify/cookie";
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
} from "fastify";
import { ConcurrentChangeError } from "../app/errors.js";
import { errorBody, HttpFailure } from "./errors.js";
import { installJsonParser } from "./json-body.js";
import type { RegisteredRoute } from "./route.js";
import { contractRoutes } from "./routes/contracts.js";
import { milestoneRoutes } from "./routes/milestones.js";
import { notificationRoutes } from "./routes/notifications.js";
import { refundRoutes } from "./routes/refunds.js";
import { systemRoutes } from "./routes/system.js";
import { transactionRoutes } from "./routes/transactions.js";
import { userRoutes } from "./routes/users.js";
import type { Services } from "./services.js";

export interface BuiltServer {
  readonly app: FastifyInstance;
  /** Every route with its declared access policy. */
  readonly routes: readonly RegisteredRoute[];
}

export interface ServerOptions {
  /** A pino logger; every line of a request carries its `requestId`. None: silent. */
  readonly logger?: FastifyBaseLogger | undefined;
  /** Extra routes the composition root mounts (the web app), given the services. */
  readonly plugins?: ((app: FastifyInstance, services: Services) => Promise<void>)[];
}

function requestId(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  return value && /^[\w.:-]{1,100}$/.test(value) ? value : randomUUID();
}

/**
 * `request.ip` (the login throttle's key) is read from X-Forwarded-For only through trusted
 * proxies: the nearest `n` hops, or those at the listed addresses and ranges.
 */
function trustedProxies(
  setting: false | number | readonly string[],
): boolean | string[] | ((address: string, hop: number) => boolean) {
  if (typeof setting === "number") return (_address, hop) => hop < setting;
  return setting === false ? false : [...setting];
}

export async function buildServer(
  services: Services,
  options: ServerOptions = {},
): Promise<BuiltServer> {
  const app = Fastify({
    ...(options.logger ? { loggerInstance: options.logger } : { logger: false }),
    bodyLimit: services.config.bodyLimitBytes,
    trustProxy: trustedProxies(services.config.trustProxy),
    genReqId: (request) => requestId(request.headers["x-request-id"]),
    logController: new LogController({ requestIdLogLabel: "requestId" }),
    ajv: {
      customOptions: {
        removeAdditional: false,
        coerceTypes: false,
        useDefaults: false,
        allErrors: false,
      },
    },
    // Ids are opaque: a long one still reaches the handler (401 first, then 404), and the
    // router's own refusals (an over-long or badly encoded path) keep the documented error shape.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 1000 },
    frameworkErrors: (error, request, routerReply) => {
      const reply = routerReply as unknown as FastifyReply;
      const path = request.url.split("?")[0] ?? "";
      if (error.code === "FST_ERR_BAD_URL" || error.code === "FST_ERR_MAX_PARAM_LENGTH") {
        void reply.code(404).send(errorBody("not_found", `no route ${request.method} ${path}`));
        return;
      }
      void reply
        .code(500)
        .send(errorBody("internal_error", "something went wrong on our side; nothing was changed"));
    },
  });
  app.addHook("onRequest", (request, reply, done) => {
    void reply.header("x-request-id", request.id);
    done();
  });
  installJsonParser(app);
  await app.register(cookie);
  await app.register(swagger, {
    openapi: {
      openapi: "3.0.3",
      info: {
        title: "Escrow for fixed-price work",
        version: "1.0.0",
        description:
          "Milestone escrow: offers, funding, review, release, refunds and disputes. See API.md.",
      },
      components: {
        securitySchemes: {
          bearer: { type: "http", scheme: "bearer" },
          cookie: { type: "apiKey", in: "cookie", name: "escrow_session" },
        },
      },
    },
  });
  await app.register(swaggerUi, { routePrefix: "/v1/docs" });

  app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, request, reply) => {
    if (error instanceof HttpFailure) {
      for (const [name, value] of Object.entries(error.headers)) void reply.header(name, value);
      return reply.code(error.status).send(errorBody(error.code, error.message, error.field));
    }
    if (error instanceof ConcurrentChangeError) {
      return reply
        .code(409)
        .send(
          errorBody(
            "invalid_state",
            "this was changed at the same moment by another request; reload and try again",
          ),
        );
    }
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      const message = status === 413 ? "the request body is too large" : error.message;
      return reply
        .code(status)
        .send(errorBody(status === 429 ? "rate_limited" : "validation_failed", message));
    }
    request.log.error({ err: error }, "request failed");
    return reply
      .code(500)
      .send(errorBody("internal_error", "something went wrong on our side; nothing was changed"));
  });
  app.setNotFoundHandler((request, reply) =>
    reply
      .code(404)
      .send(errorBody("not_found", `no route ${request.method} ${request.url.split("?")[0]}`)),
  );

  const routes: RegisteredRoute[] = [];
  systemRoutes(app, services, routes);
  userRoutes(app, services, routes);
  contractRoutes(app, services, routes);
  milestoneRoutes(app, services, routes);
  refundRoutes(app, services, routes);
  transactionRoutes(app, services, routes);
  notificationRoutes(app, services, routes);
  app.get("/v1/openapi.json", { schema: { hide: true } }, () => app.swagger());
  for (const plugin of options.plugins ?? []) await plugin(app, services);
  await app.ready();
  return { app, routes };
}
