import { useState } from "react";
import { Link, useSearchParams } from "react-router-dom";
import { query } from "../../api/client";
import { useContracts, useTransactionTotals, useTransactions } from "../../api/queries";
import { ErrorNote } from "../../components/ErrorNote";
import { Money } from "../../components/Money";
import { Time } from "../../components/Time";

const TYPES: Record<string, string> = {
  escrow_deposit: "Escrow deposit",
  milestone_payment: "Milestone payment",
  extra_payment: "Extra release",
  escrow_refund: "Escrow refund",
  dispute_release: "Dispute outcome: release",
  dispute_refund: "Dispute outcome: refund",
};

const PAGE_SIZE = 20;

/** The transactions report (R21): the viewer's own money, filtered, paged and exported. */
export function TransactionsPage() {
  const [search, setSearch] = useSearchParams();
  const filters = {
    contractId: search.get("contractId") ?? "",
    type: search.get("type") ?? "",
    from: search.get("from") ?? "",
    to: search.get("to") ?? "",
  };
  // Cursor stack: the ids each visited page started after.
  const [cursors, setCursors] = useState<string[]>([]);
  const startingAfter = cursors[cursors.length - 1];
  const params: Record<string, string> = { limit: String(PAGE_SIZE) };
  for (const [k, v] of Object.entries(filters)) if (v) params[k] = v;
  if (startingAfter) params.startingAfter = startingAfter;
  const report = useTransactions(params);
  const activeFilters: Record<string, string> = {};
  for (const [k, v] of Object.entries(filters)) if (v) activeFilters[k] = v;
  const totals = useTransactionTotals(activeFilters);
  const asClient = useContracts("client");
  const asFreelancer = useContracts("freelancer");
  const contracts = [...(asClient.data?.data ?? []), ...(asFreelancer.data?.data ?? [])];
  const titleOf = (id: string) => contracts.find((c) => c.id === id)?.title ?? id;
  const setFilter = (key: string, value: string) => {
    const next = new URLSearchParams(search);
    if (value) next.set(key, value);
    else next.delete(key);
    setSearch(next, { replace: true });
    setCursors([]);
  };
  const rows = report.data?.data ?? [];
  const csvHref = `/v1/transactions/export.csv${query(filters)}`;
  return (
    <div className="stack">
      <div className="page-head">
        <h1>Transactions</h1>
        <a className="btn-secondary" href={csvHref} download="transactions.csv">
          Download CSV
        </a>
      </div>
      <p className="muted">
        Every movement of your own money: charges and refunds of your card as a client, payments you
        received as a freelancer. Releases of money already in escrow are in each contract’s
        history.
      </p>
      <form className="card filters" aria-label="Filters" onSubmit={(e) => e.preventDefault()}>
        <div className="field">
          <label htmlFor="f-contract">Contract</label>
          <select
            id="f-contract"
            value={filters.contractId}
            onChange={(e) => setFilter("contractId", e.target.value)}
          >
            <option value="">All contracts</option>
            {contracts.map((c) => (
              <option key={c.id} value={c.id}>
                {c.title}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="f-type">Type</label>
          <select
            id="f-type"
            value={filters.type}
            onChange={(e) => setFilter("type", e.target.value)}
          >
            <option value="">All types</option>
            {Object.entries(TYPES).map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="f-from">From</label>
          <input
            id="f-from"
            type="date"
            value={filters.from}
            onChange={(e) => setFilter("from", e.target.value)}
          />
        </div>
        <div className="field">
          <label htmlFor="f-to">To (inclusive)</label>
          <input
            id="f-to"
            type="date"
            value={filters.to}
            onChange={(e) => setFilter("to", e.target.value)}
          />
        </div>
      </form>
      <ErrorNote error={report.error} />
      {totals.data && (
        <section aria-labelledby="totals-heading" className="card">
          <h2 id="totals-heading">Totals for these filters</h2>
          {totals.data.data.length === 0 ? (
            <p className="muted">No transactions match.</p>
          ) : (
            <ul className="totals">
              {totals.data.data.map((t) => (
                <li key={t.currency} data-testid={`total-${t.currency}`}>
                  <strong>
                    <Money amount={t.net} currency={t.currency} signed />
                  </strong>{" "}
                  net in {t.count} transaction{t.count === 1 ? "" : "s"}
                </li>
              ))}
            </ul>
          )}
        </section>
      )}
      <div className="table-wrap">
        <table>
          <caption className="sr-only">Transactions, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Date</th>
              <th scope="col">Type</th>
              <th scope="col">Description</th>
              <th scope="col">Contract</th>
              <th scope="col" className="num">
                Amount
              </th>
              <th scope="col">Status</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((t) => (
              <tr key={t.id}>
                <td>
                  <Time iso={t.createdAt} />
                </td>
                <td>{TYPES[t.type] ?? t.type}</td>
                <td>{t.description}</td>
                <td>
                  <Link to={`/contracts/${t.contractId}`}>{titleOf(t.contractId)}</Link>
                </td>
                <td className="num">
                  <Money amount={t.amount} currency={t.currency} signed />
                </td>
                <td>{t.status}</td>
              </tr>
            ))}
            {report.data && rows.length === 0 && (
              <tr>
                <td colSpan={6} className="muted">
                  No transactions.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
      <nav className="actions" aria-label="Pages">
        <button
          type="button"
          className="btn-secondary"
          disabled={cursors.length === 0}
          onClick={() => setCursors((c) => c.slice(0, -1))}
        >
          Previous page
        </button>
        <span className="muted small">Page {cursors.length + 1}</span>
        <button
          type="button"
          className="btn-secondary"
          disabled={!report.data?.hasMore || rows.length === 0}
          onClick={() => setCursors((c) => [...c, rows[rows.length - 1]!.id])}
        >
          Next page
        </button>
      </nav>
    </div>
  );
}
