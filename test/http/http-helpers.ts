/**
 * Small shared steps for the per-resource HTTP suites: calls, contracts in a given state, and
 * readers of the ledger rows the API should (or should not) have written.
 */
import { expect } from "vitest";
import { offer, type ApiAnswer, type TestServer, type TestUser } from "../support/server.js";

export type Call = (
  user: TestUser | string | undefined,
  method: string,
  url: string,
  body?: unknown,
  headers?: Record<string, string>,
) => Promise<ApiAnswer>;

/** `call(user, "POST", url, body)`: the request as that user (a TestUser or a bare token). */
export function caller(server: TestServer): Call {
  return (user, method, url, body, headers) =>
    server.request(method, url, {
      token: typeof user === "string" ? user : user?.token,
      ...(body === undefined ? {} : { body }),
      ...(headers ? { headers } : {}),
    });
}

/** Asserts the error shape of API.md and returns the body. */
export function expectError(
  answer: { status: number; body: any },
  status: number,
  code: string,
  field?: string,
) {
  expect({ status: answer.status, code: answer.body?.error?.code }).toEqual({ status, code });
  expect(typeof answer.body.error.message).toBe("string");
  if (field !== undefined) expect(answer.body.error.field).toBe(field);
  return answer.body;
}

export interface Parties {
  readonly client: TestUser;
  readonly freelancer: TestUser;
}

export async function parties(server: TestServer): Promise<Parties> {
  return {
    client: await server.signUp("Client"),
    freelancer: await server.signUp("Freelancer", { card: null }),
  };
}

/** An accepted contract with the given milestone amounts (the first funded). */
export async function activeContract(server: TestServer, amounts: number[] = [10_000, 20_000]) {
  const who = await parties(server);
  const contract = await offer(server, who.client, who.freelancer, amounts);
  const accepted = await server.request("POST", `/v1/contracts/${contract.id}/accept`, {
    token: who.freelancer.token,
  });
  expect(accepted.status).toBe(200);
  const ids: string[] = contract.milestones.map((m: { id: string }) => m.id);
  return { ...who, contract: accepted.body, id: contract.id as string, milestones: ids };
}

/** A contract the client has ended with its first milestone's money still in escrow. */
export async function endedWithEscrow(server: TestServer, amounts: number[] = [10_000, 20_000]) {
  const active = await activeContract(server, amounts);
  const ended = await server.request("POST", `/v1/contracts/${active.id}/end`, {
    token: active.client.token,
    body: { reason: "Stopping here" },
  });
  expect(ended.body.status).toBe("ended");
  return active;
}

/** Every transaction row the user sees, newest first, as [type, amount] pairs. */
export async function moneyOf(server: TestServer, user: TestUser, contractId?: string) {
  const query = contractId ? `&contractId=${contractId}` : "";
  const answer = await server.request("GET", `/v1/transactions?limit=100${query}`, {
    token: user.token,
  });
  expect(answer.status).toBe(200);
  return answer.body.data.map((t: { type: string; amount: number }) => [t.type, t.amount]);
}

/** How many ledger postings exist: unchanged means no money moved. */
export async function postingCount(server: TestServer): Promise<number> {
  const row = await server.database.handle.db
    .selectFrom("postings")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** The contract as its client sees it now. */
export async function contractOf(server: TestServer, user: TestUser, id: string) {
  const answer = await server.request("GET", `/v1/contracts/${id}`, { token: user.token });
  expect(answer.status).toBe(200);
  return answer.body;
}

/**
 * A POST arriving from `remote` (the TCP peer), with an X-Forwarded-For header when given: to
 * tell the per-address throttles from the per-account one, and a proxy from its clients.
 */
export async function postFrom(
  server: TestServer,
  remote: string,
  url: string,
  body: unknown,
  forwardedFor?: string,
) {
  const response = await server.app.server.app.inject({
    method: "POST",
    url,
    remoteAddress: remote,
    headers: {
      "content-type": "application/json",
      ...(forwardedFor ? { "x-forwarded-for": forwardedFor } : {}),
    },
    payload: JSON.stringify(body),
  });
  return { status: response.statusCode, body: response.json(), headers: response.headers };
}

/** A login arriving from `remote` (see `postFrom`). */
export function loginFrom(
  server: TestServer,
  remote: string,
  body: { email: string; password: string },
  forwardedFor?: string,
) {
  return postFrom(server, remote, "/v1/auth/login", body, forwardedFor);
}
