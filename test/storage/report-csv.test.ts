/**
 * The CSV export's fast row writer gives exactly the line the general one gives (RFC 4180
 * quoting and the formula guard on the text people typed), for any description.
 *
 * The seed is logged; replay a failure with FC_SEED=<seed>.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  CSV_CHUNK_ROWS,
  CSV_COLUMNS,
  csvChunks,
  csvLine,
  csvRow,
  type TransactionRow,
} from "../../src/storage/report.js";

const SEED = process.env.FC_SEED ? Number(process.env.FC_SEED) : Date.now() % 2_147_483_647;
console.info(`[report-csv] fast-check seed ${SEED} (replay: FC_SEED=${SEED})`);

const id = (prefix: string) =>
  fc.stringMatching(/^[0-9A-HJKMNP-TV-Z]{26}$/).map((ulid) => `${prefix}_${ulid}`);

const row: fc.Arbitrary<TransactionRow> = fc.record({
  id: id("pst"),
  createdAt: fc.integer({ min: 0, max: 4_102_444_800_000 }).map((ms) => new Date(ms).toISOString()),
  type: fc.constantFrom("escrow_deposit", "milestone_payment", "escrow_refund", "dispute_release"),
  description: fc.oneof(
    fc.string(),
    fc.constantFrom('=HYPERLINK("x")', "+1", "-2", "@a", "a,b", 'say "hi"', "line\r\nbreak"),
  ),
  contractId: id("ctr"),
  milestoneId: fc.option(id("mst"), { nil: null }),
  amount: fc.integer({ min: -Number.MAX_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }),
  currency: fc.constantFrom("USD", "EUR", "JPY"),
  status: fc.constant("completed" as const),
});

describe("CSV rows", () => {
  it("R21: the row writer matches the general CSV line for every row", () => {
    fc.assert(
      fc.property(row, (r) => {
        expect(csvRow(r)).toBe(csvLine(CSV_COLUMNS.map((c) => r[c])));
      }),
      { seed: SEED, numRuns: 500 },
    );
  });

  it("R21: a typed title that looks like a formula or holds a comma is guarded and quoted", () => {
    const line = csvRow({
      id: "pst_1",
      createdAt: "2026-01-01T00:00:00.000Z",
      type: "milestone_payment",
      description: '=SUM(A1), "x"',
      contractId: "ctr_1",
      milestoneId: null,
      amount: -500,
      currency: "USD",
      status: "completed",
    });
    expect(line).toBe(
      `pst_1,2026-01-01T00:00:00.000Z,milestone_payment,"'=SUM(A1), ""x""",ctr_1,,-500,USD,completed\r\n`,
    );
  });
});

describe("CSV export chunks", () => {
  it("R21: an export is the header and every row, in order, and no chunk holds more than CSV_CHUNK_ROWS lines whatever the page size", async () => {
    const rows = fc.sample(row, { seed: SEED, numRuns: 2_345 });
    async function* pages(size: number) {
      for (let i = 0; i < rows.length; i += size)
        yield await Promise.resolve(rows.slice(i, i + size));
    }
    for (const pageSize of [1, 499, 2_000, 5_000]) {
      const chunks: string[] = [];
      for await (const chunk of csvChunks(pages(pageSize))) chunks.push(chunk);
      expect(chunks.join("")).toBe(csvLine(CSV_COLUMNS) + rows.map(csvRow).join(""));
      for (const chunk of chunks.slice(1)) {
        const lines = rows.filter((r) => chunk.includes(`${r.id},`)).length;
        expect(lines).toBeGreaterThan(0);
        expect(lines).toBeLessThanOrEqual(CSV_CHUNK_ROWS);
      }
    }
  });
});
