/** The transactions report over HTTP (API.md "Transactions", R21): sides, filters, paging, CSV. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DIALECTS } from "../support/dialects.js";
import { createTestServer, offer, type TestServer, type TestUser } from "../support/server.js";
import {
  activeContract,
  caller,
  endedWithEscrow,
  expectError,
  moneyOf,
  parties,
  type Call,
} from "./http-helpers.js";

const FIELDS = [
  "id",
  "createdAt",
  "type",
  "description",
  "contractId",
  "milestoneId",
  "amount",
  "currency",
  "status",
];

/** A strict RFC 4180 reader: quoted fields, doubled quotes, CRLF line ends. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let i = 0;
  let quoted = false;
  while (i < text.length) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i += 2;
        continue;
      }
      if (ch === '"') quoted = false;
      else field += ch;
      i++;
      continue;
    }
    if (ch === '"' && field === "") quoted = true;
    else if (ch === ",") {
      row.push(field);
      field = "";
    } else if (ch === "\r" && text[i + 1] === "\n") {
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
      i++;
    } else field += ch;
    i++;
  }
  if (field !== "" || row.length > 0) throw new Error("CSV does not end with CRLF");
  return rows;
}

describe.each(DIALECTS)("transactions over HTTP (%s)", (dialect) => {
  let server: TestServer;
  let call: Call;
  let staff: TestUser;
  beforeAll(async () => {
    server = await createTestServer(dialect);
    call = caller(server);
    staff = await server.staff();
  });
  afterAll(async () => {
    expect(await server.violations()).toEqual([]);
    await server.close();
  });

  const list = async (user: TestUser, query: string) => {
    const answer = await call(user, "GET", `/v1/transactions?${query}`);
    expect(answer.status).toBe(200);
    return answer.body;
  };

  it("R21: each side sees its own money: client deposits and extra charges negative, refunds positive; freelancer payments positive", async () => {
    const { client, freelancer } = await parties(server);
    // A release of more than funded: extra_payment on both sides.
    const hired = await offer(server, client, freelancer, [10_000, 5_000]);
    await call(freelancer, "POST", `/v1/contracts/${hired.id}/accept`);
    const [first] = hired.milestones.map((m: any) => m.id);
    await call(client, "POST", `/v1/milestones/${first}/approve`, { amount: 12_000 });
    // A withdrawn offer: escrow_refund.
    const withdrawn = await offer(server, client, freelancer, [3_000]);
    await call(client, "POST", `/v1/contracts/${withdrawn.id}/withdraw`);

    const clientRows = (await list(client, "limit=100")).data;
    expect(clientRows.map((t: any) => [t.type, t.amount, t.contractId])).toEqual([
      ["escrow_refund", 3_000, withdrawn.id],
      ["escrow_deposit", -3_000, withdrawn.id],
      ["extra_payment", -2_000, hired.id],
      ["escrow_deposit", -10_000, hired.id],
    ]);
    const freelancerRows = (await list(freelancer, "limit=100")).data;
    expect(freelancerRows.map((t: any) => [t.type, t.amount]).sort()).toEqual([
      ["extra_payment", 2_000],
      ["milestone_payment", 10_000],
    ]);
    for (const row of [...clientRows, ...freelancerRows]) {
      expect(Object.keys(row).sort()).toEqual([...FIELDS].sort());
      expect(row).toMatchObject({ currency: "USD", status: "completed" });
      expect(new Date(row.createdAt).toISOString()).toBe(row.createdAt);
      expect(typeof row.description).toBe("string");
    }
    expect(clientRows.find((t: any) => t.type === "extra_payment").milestoneId).toBe(first);
    expect(freelancerRows.every((t: any) => t.milestoneId === first)).toBe(true);
    // Another user's rows never show up.
    expect((await list(staff, "limit=100")).data).toEqual([]);
  });

  it("R19, R21: a dispute outcome is dispute_refund (positive) for the client and dispute_release for the freelancer", async () => {
    const { client, freelancer, id } = await endedWithEscrow(server, [10_000]);
    const request = await call(client, "POST", `/v1/contracts/${id}/refund-requests`);
    const disputed = await call(
      freelancer,
      "POST",
      `/v1/refund-requests/${request.body.id}/dispute`,
      { reason: "Done" },
    );
    await call(staff, "POST", `/v1/disputes/${disputed.body.disputeId}/resolve`, {
      refundAmount: 2_500,
      releaseAmount: 7_500,
      reason: "Mostly done",
    });
    expect(await moneyOf(server, client)).toEqual([
      ["dispute_refund", 2_500],
      ["escrow_deposit", -10_000],
    ]);
    expect(await moneyOf(server, freelancer)).toEqual([["dispute_release", 7_500]]);
  });

  it("R21: filters by contractId and type; a contractId you cannot see gives an empty list; an unknown type is 400", async () => {
    const { client, freelancer } = await parties(server);
    const one = await offer(server, client, freelancer, [1_000]);
    const two = await offer(server, client, freelancer, [2_000]);
    await call(client, "POST", `/v1/contracts/${two.id}/withdraw`);
    const stranger = await server.signUp("Stranger");

    const amounts = (body: any) => body.data.map((t: any) => t.amount);
    expect(amounts(await list(client, `contractId=${one.id}`))).toEqual([-1_000]);
    expect(amounts(await list(client, `contractId=${two.id}`))).toEqual([2_000, -2_000]);
    expect(amounts(await list(client, "type=escrow_refund"))).toEqual([2_000]);
    expect(amounts(await list(client, `type=escrow_deposit&contractId=${two.id}`))).toEqual([
      -2_000,
    ]);
    expect(await list(stranger, `contractId=${one.id}`)).toMatchObject({
      data: [],
      hasMore: false,
    });
    expect(await list(client, "contractId=ctr_does_not_exist")).toMatchObject({
      data: [],
      hasMore: false,
    });
    expectError(
      await call(client, "GET", "/v1/transactions?type=milestone_release"),
      400,
      "validation_failed",
      "type",
    );
    expectError(
      await call(client, "GET", "/v1/transactions?from=yesterday"),
      400,
      "validation_failed",
      "from",
    );
  });

  it("R21: from and to are inclusive, and a date-only `to` covers that whole UTC day", async () => {
    const { client, freelancer } = await parties(server);
    const now = Date.parse((await call(undefined, "GET", "/v1/test-clock")).body.now);
    const day = new Date(now).toISOString().slice(0, 10);
    let lateEvening = Date.parse(`${day}T23:59:00.000Z`);
    if (lateEvening <= now) lateEvening += 86_400_000;
    const advance = async (seconds: number) =>
      expect((await call(undefined, "POST", "/v1/test-clock/advance", { seconds })).status).toBe(
        200,
      );
    await advance(Math.ceil((lateEvening - now) / 1000));
    const evening = await offer(server, client, freelancer, [1_000]);
    await advance(120);
    const morning = await offer(server, client, freelancer, [2_000]);

    const rows = (await list(client, "limit=100")).data;
    const [late, early] = rows as [any, any];
    expect(early.contractId).toBe(evening.id);
    expect(late.contractId).toBe(morning.id);
    const eveningDay = early.createdAt.slice(0, 10);
    const morningDay = late.createdAt.slice(0, 10);
    expect(early.createdAt.slice(11, 16)).toBe("23:59");
    expect(morningDay).not.toBe(eveningDay);

    const ids = async (query: string) =>
      (await list(client, query)).data.map((t: any) => t.contractId);
    expect(await ids(`to=${eveningDay}`)).toEqual([evening.id]);
    expect(await ids(`from=${eveningDay}&to=${eveningDay}`)).toEqual([evening.id]);
    expect(await ids(`from=${morningDay}`)).toEqual([morning.id]);
    expect(await ids(`from=${eveningDay}&to=${morningDay}`)).toEqual([morning.id, evening.id]);
    // A full time is taken as it is: midnight at the start of that day excludes the evening row.
    expect(await ids(`to=${eveningDay}T00:00:00Z`)).toEqual([]);
    // Exact instants are inclusive on both ends.
    expect(
      await ids(
        `from=${encodeURIComponent(early.createdAt)}&to=${encodeURIComponent(early.createdAt)}`,
      ),
    ).toEqual([evening.id]);
    expect(await ids(`from=${encodeURIComponent(late.createdAt)}`)).toEqual([morning.id]);
    expect(await ids(`to=${encodeURIComponent(early.createdAt)}`)).toEqual([evening.id]);

    // The CSV takes the same filters.
    const csv = await call(client, "GET", `/v1/transactions/export.csv?to=${eveningDay}`);
    const parsed = parseCsv(csv.text);
    expect(parsed).toHaveLength(2);
    expect(parsed[1]![parsed[0]!.indexOf("contractId")]).toBe(evening.id);
  });

  it("R21: the list pages newest first with limit, startingAfter and hasMore; limit 0 or 101 and an unknown startingAfter are 400", async () => {
    const { client, freelancer } = await parties(server);
    for (let i = 1; i <= 5; i++) await offer(server, client, freelancer, [i * 100]);
    const all = (await list(client, "")).data.map((t: any) => t.amount);
    expect(all).toEqual([-500, -400, -300, -200, -100]);
    const first = await list(client, "limit=2");
    expect(first.data.map((t: any) => t.amount)).toEqual([-500, -400]);
    expect(first.hasMore).toBe(true);
    const second = await list(client, `limit=2&startingAfter=${first.data[1].id}`);
    expect(second.data.map((t: any) => t.amount)).toEqual([-300, -200]);
    expect(second.hasMore).toBe(true);
    const third = await list(client, `limit=2&startingAfter=${second.data[1].id}`);
    expect(third.data.map((t: any) => t.amount)).toEqual([-100]);
    expect(third.hasMore).toBe(false);
    const filtered = await list(
      client,
      `limit=1&startingAfter=${first.data[0].id}&type=escrow_deposit`,
    );
    expect(filtered.data.map((t: any) => t.amount)).toEqual([-400]);

    expectError(
      await call(client, "GET", "/v1/transactions?limit=0"),
      400,
      "validation_failed",
      "limit",
    );
    expectError(
      await call(client, "GET", "/v1/transactions?limit=101"),
      400,
      "validation_failed",
      "limit",
    );
    expectError(
      await call(client, "GET", "/v1/transactions?startingAfter=pst_nope"),
      400,
      "validation_failed",
      "startingAfter",
    );
    // Another user's row is not an item of my list either.
    const other = await activeContract(server, [100]);
    const theirs = (await list(other.client, "")).data[0].id;
    expectError(
      await call(client, "GET", `/v1/transactions?startingAfter=${theirs}`),
      400,
      "validation_failed",
      "startingAfter",
    );
  });

  it("R21: the CSV export is text/csv with a header of the JSON field names and RFC 4180 quoting (a title with a comma and a quote)", async () => {
    const { client, freelancer } = await parties(server);
    const title = 'Logo, "deluxe" edition';
    const made = await call(client, "POST", "/v1/contracts", {
      freelancerEmail: freelancer.email,
      title,
      currency: "JPY",
      milestones: [{ title: 'Sketch "A", B', amount: 5_000 }],
    });
    expect(made.status).toBe(201);
    await call(client, "POST", `/v1/contracts/${made.body.id}/withdraw`);
    const json = (await list(client, "limit=100")).data;

    const csv = await call(client, "GET", "/v1/transactions/export.csv");
    expect(csv.status).toBe(200);
    expect(String(csv.headers["content-type"])).toMatch(/^text\/csv/);
    const rows = parseCsv(csv.text);
    expect(rows[0]).toEqual(Object.keys(json[0]));
    expect(rows[0]).toEqual(FIELDS);
    expect(rows).toHaveLength(1 + json.length);
    rows.slice(1).forEach((row, i) => {
      const expected = json[i];
      expect(row).toEqual(FIELDS.map((f) => (expected[f] === null ? "" : String(expected[f]))));
    });
    expect(json[0].description).toContain(title);
    expect(rows[1]![3]).toContain(title);
    // The raw text quotes the field and doubles the quotes.
    expect(csv.text).toContain(`"${json[0].description.replaceAll('"', '""')}"`);
    expect(rows.slice(1).map((r) => [r[2], r[6], r[7]])).toEqual([
      ["escrow_refund", "5000", "JPY"],
      ["escrow_deposit", "-5000", "JPY"],
    ]);
    const filtered = parseCsv(
      (await call(client, "GET", "/v1/transactions/export.csv?type=escrow_refund")).text,
    );
    expect(filtered.map((r) => r[2])).toEqual(["type", "escrow_refund"]);
    expectError(
      await call(undefined, "GET", "/v1/transactions/export.csv"),
      401,
      "unauthenticated",
    );
  });

  it("R21: the CSV has every matching row, even past 100", async () => {
    const { client, freelancer } = await parties(server);
    const count = 105;
    for (let i = 0; i < count; i++) await offer(server, client, freelancer, [1 + i]);
    const page = await list(client, "limit=100");
    expect(page.data).toHaveLength(100);
    expect(page.hasMore).toBe(true);
    const rows = parseCsv((await call(client, "GET", "/v1/transactions/export.csv")).text);
    expect(rows).toHaveLength(1 + count);
    const amounts = rows.slice(1).map((r) => Number(r[6]));
    expect(amounts).toEqual(Array.from({ length: count }, (_, i) => -(count - i)));
  });
});
