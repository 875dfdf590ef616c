/**
 * How a route is declared: method, path, who may call it, the schemas, and the handler. Every
 * route goes through `addRoute`, which applies the checks in the documented order: 401 (no
 * valid token), 404 (object not visible), 403 (not your action), 400 (validation), then the
 * handler (409 state, 402 payment). The route table it fills is what the access-control matrix
 * test walks.
 */
import { createHash } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Static, TSchema } from "@sinclair/typebox";
import type { Caller } from "../domain/aggregate.js";
import { runCommand } from "../app/run-command.js";
import type { CommandContext, StoredResponse, Tx, User } from "../app/ports.js";
import type { Result } from "../domain/result.js";
import { failureResponse, HttpFailure, validationFailure } from "./errors.js";
import type { Services } from "./services.js";
import { authenticate } from "./authenticate.js";
import { INVALID_JSON } from "./json-body.js";

export type ContractResource =
  "contract" | "milestone" | "refund_request" | "dispute" | "due_date_change";
/** Objects that belong to one user (not to a contract): only that user sees them. */
export type UserResource = "notification" | "webhook_endpoint";
export type Resource = ContractResource | UserResource;
/** Who may act on a visible object: `view` is any party or staff; `owner` the object's user. */
export type Allow = "view" | "client" | "freelancer" | "party" | "staff" | "owner";

export type Access =
  | { readonly kind: "public" }
  | { readonly kind: "user" }
  | { readonly kind: "staff" }
  | {
      readonly kind: "object";
      readonly resource: ContractResource;
      readonly allow: Exclude<Allow, "owner">;
    }
  | { readonly kind: "object"; readonly resource: UserResource; readonly allow: "owner" };

export interface RouteSpec<B extends TSchema | undefined, Q extends TSchema | undefined> {
  readonly method: "GET" | "POST" | "PATCH" | "DELETE";
  readonly url: string;
  readonly summary: string;
  readonly tags: readonly string[];
  readonly access: Access;
  readonly body?: B;
  readonly querystring?: Q;
  readonly handler: (ctx: HandlerContext<B, Q>) => Promise<Reply | undefined>;
}

export interface Reply {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
}

type StaticOf<S> = S extends TSchema ? Static<S> : undefined;

export interface HandlerContext<B, Q> {
  readonly request: FastifyRequest;
  readonly reply: FastifyReply;
  readonly services: Services;
  readonly user: (User & { sessionId: string }) | null;
  readonly caller: Caller;
  readonly body: StaticOf<B>;
  readonly query: StaticOf<Q>;
  readonly id: string;
  /** Runs a command through the write pipeline, with the request's Idempotency-Key if any. */
  readonly command: <T>(
    execute: (ctx: CommandContext) => Promise<Result<T>>,
    render: (value: T, tx: Tx, now: number) => Promise<StoredResponse>,
  ) => Promise<Reply>;
}

export interface RegisteredRoute {
  readonly method: string;
  readonly url: string;
  readonly access: Access;
}

const ANONYMOUS: Caller = { userId: "", isStaff: false };

/** A canonical JSON text: object keys sorted, so key order does not change the fingerprint. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value ?? null);
}

async function checkAccess(
  services: Services,
  access: Access,
  caller: Caller,
  id: string,
): Promise<void> {
  if (access.kind === "staff" && !caller.isStaff)
    throw new HttpFailure(403, "forbidden", "only staff may do this");
  if (access.kind !== "object") return;
  const noun = access.resource.replaceAll("_", " ");
  if (access.allow === "owner") {
    // Someone else's object answers exactly like a missing one, staff included (R2).
    const owner = id.includes("\u0000") ? undefined : await services.ownerOf(access.resource, id);
    if (owner === undefined || owner !== caller.userId)
      throw new HttpFailure(404, "not_found", `${noun} not found`);
    return;
  }
  // PostgreSQL cannot hold a NUL character in text: no object has such an id.
  const parties = id.includes("\u0000") ? undefined : await services.parties(access.resource, id);
  const party =
    parties &&
    (caller.userId === parties.clientId
      ? "client"
      : caller.userId === parties.freelancerId
        ? "freelancer"
        : null);
  if (!parties || (!party && !caller.isStaff))
    throw new HttpFailure(404, "not_found", `${noun} not found`);
  const allowed =
    access.allow === "view" ||
    (access.allow === "staff"
      ? caller.isStaff
      : access.allow === "party"
        ? party !== null
        : party === access.allow);
  if (!allowed) {
    const who =
      access.allow === "party"
        ? "a party to the contract"
        : access.allow === "staff"
          ? "staff"
          : `the ${access.allow}`;
    throw new HttpFailure(403, "forbidden", `only ${who} may do this`);
  }
}

/** The path of the first string or key holding a NUL character (PostgreSQL refuses them). */
function nulPath(value: unknown, path: string): string | null {
  if (typeof value === "string") return value.includes("\u0000") ? path : null;
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) {
      const found = nulPath(item, `${path}[${index}]`);
      if (found !== null) return found;
    }
    return null;
  }
  if (value !== null && typeof value === "object") {
    for (const [key, item] of Object.entries(value)) {
      const at = path ? `${path}.${key}` : key;
      const found = key.includes("\u0000") ? at : nulPath(item, at);
      if (found !== null) return found;
    }
  }
  return null;
}

function checkValidation(request: FastifyRequest): void {
  if (request.body === INVALID_JSON)
    throw new HttpFailure(400, "validation_failed", "the body is not valid JSON");
  const error = request.validationError as
    (Error & { validation?: unknown[]; validationContext?: string }) | undefined;
  if (error) {
    throw validationFailure(
      (error.validation ?? []) as Parameters<typeof validationFailure>[0],
      error.validationContext ?? "body",
    );
  }
  for (const [part, value] of [
    ["body", request.body],
    ["querystring", request.query],
  ] as const) {
    const at = nulPath(value, "");
    if (at !== null) {
      const field = at || part;
      throw new HttpFailure(
        400,
        "validation_failed",
        `${field} must not contain NUL characters`,
        field,
      );
    }
  }
}

export function addRoute<B extends TSchema | undefined, Q extends TSchema | undefined>(
  app: FastifyInstance,
  services: Services,
  table: RegisteredRoute[],
  spec: RouteSpec<B, Q>,
): void {
  table.push({ method: spec.method, url: spec.url, access: spec.access });
  app.route({
    method: spec.method,
    url: spec.url,
    attachValidation: true,
    schema: {
      summary: spec.summary,
      tags: [...spec.tags],
      ...(spec.body ? { body: spec.body } : {}),
      ...(spec.querystring ? { querystring: spec.querystring } : {}),
      ...(spec.access.kind === "public" ? {} : { security: [{ bearer: [] }, { cookie: [] }] }),
    },
    handler: async (request, reply) => {
      const user = await authenticate(services, request);
      if (spec.access.kind !== "public" && !user) {
        throw new HttpFailure(
          401,
          "unauthenticated",
          "log in first: send Authorization: Bearer <token>",
        );
      }
      const caller: Caller = user ? { userId: user.id, isStaff: user.isStaff } : ANONYMOUS;
      const id = (request.params as { id?: string }).id ?? "";
      await checkAccess(services, spec.access, caller, id);
      checkValidation(request);
      const ctx: HandlerContext<B, Q> = {
        request,
        reply,
        services,
        user,
        caller,
        id,
        body: request.body as StaticOf<B>,
        query: request.query as StaticOf<Q>,
        command: (execute, render) => runHttpCommand(services, request, user, execute, render),
      };
      const answer = await spec.handler(ctx);
      if (!answer) return reply;
      for (const [name, value] of Object.entries(answer.headers ?? {}))
        void reply.header(name, value);
      return reply.code(answer.status).send(answer.body ?? null);
    },
  });
}

async function runHttpCommand<T>(
  services: Services,
  request: FastifyRequest,
  user: User | null,
  execute: (ctx: CommandContext) => Promise<Result<T>>,
  render: (value: T, tx: Tx, now: number) => Promise<StoredResponse>,
): Promise<Reply> {
  const header = request.headers["idempotency-key"];
  const key = Array.isArray(header) ? header[0] : header;
  if (key !== undefined && (key.length === 0 || key.length > 255)) {
    throw new HttpFailure(
      400,
      "validation_failed",
      "Idempotency-Key must be 1 to 255 characters",
      "Idempotency-Key",
    );
  }
  // The route's pattern with its id, so spellings of one URL (a trailing slash, percent
  // escapes) share one key scope.
  const id = (request.params as { id?: string }).id;
  const pattern = request.routeOptions.url ?? request.url.split("?")[0] ?? "";
  const endpoint = `${request.method} ${id === undefined ? pattern : pattern.replace(":id", id)}`;
  const idempotency =
    key && user
      ? {
          userId: user.id,
          endpoint,
          key,
          fingerprint: createHash("sha256")
            .update(canonicalJson(request.body ?? null))
            .digest("hex"),
        }
      : undefined;
  const outcome = await runCommand(services.deps, {
    idempotency,
    execute,
    respond: (result, tx, now) =>
      result.ok ? render(result.value, tx, now) : Promise.resolve(failureResponse(result)),
  });
  return {
    status: outcome.response.status,
    body: outcome.response.body,
    headers: outcome.replayed ? { "idempotent-replayed": "true" } : {},
  };
}
