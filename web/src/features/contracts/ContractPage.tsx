import { Link, useParams } from "react-router-dom";
import { useContract, useEvents, usePaymentMethods, useServerNow } from "../../api/queries";
import type { Contract } from "../../api/types";
import { useUser } from "../../app/useUser";
import { ErrorNote } from "../../components/ErrorNote";
import { Money } from "../../components/Money";
import { StatusBadge } from "../../components/StatusBadge";
import { Countdown, Time } from "../../components/Time";
import { AddMilestoneForm } from "./AddMilestoneForm";
import { ContractActions } from "./ContractActions";
import { escrowTotals, pendingDueDateChanges } from "./history";
import { MilestoneCard } from "./MilestoneCard";
import { RefundPanel } from "./RefundPanel";
import { viewerOf } from "./roles";
import { Timeline } from "./Timeline";

function EscrowSummary({
  contract,
  released,
  refunded,
}: {
  contract: Contract;
  /** Null while the history they are summed from is still loading. */
  released: number | null;
  refunded: number | null;
}) {
  const c = contract.currency;
  return (
    <section className="card" aria-labelledby="escrow-heading">
      <h2 id="escrow-heading">Escrow</h2>
      <dl className="summary-grid">
        <div>
          <dt>In escrow</dt>
          <dd data-testid="in-escrow">
            <Money amount={contract.escrowBalance} currency={c} />
          </dd>
        </div>
        <div>
          <dt>Unallocated</dt>
          <dd data-testid="unallocated">
            <Money amount={contract.unallocatedEscrow} currency={c} />
          </dd>
        </div>
        <div>
          <dt>Released to freelancer</dt>
          <dd data-testid="released" aria-busy={released === null}>
            {released === null ? "…" : <Money amount={released} currency={c} />}
          </dd>
        </div>
        <div>
          <dt>Refunded to client</dt>
          <dd data-testid="refunded" aria-busy={refunded === null}>
            {refunded === null ? "…" : <Money amount={refunded} currency={c} />}
          </dd>
        </div>
        <div>
          <dt>Contract total</dt>
          <dd>
            <Money amount={contract.totalAmount} currency={c} />
          </dd>
        </div>
      </dl>
    </section>
  );
}

export function ContractPage() {
  const { id = "" } = useParams();
  const user = useUser();
  const now = useServerNow();
  const contractQuery = useContract(id);
  const eventsQuery = useEvents(id);
  const contract = contractQuery.data;
  const viewer = contract ? viewerOf(contract, user.id) : "staff";
  const methods = usePaymentMethods();
  if (contractQuery.isPending) return <p>Loading…</p>;
  if (!contract) {
    return (
      <div className="stack">
        <h1>Contract</h1>
        <ErrorNote error={contractQuery.error} />
        <Link to="/">Back to the dashboard</Link>
      </div>
    );
  }
  const events = eventsQuery.data ?? [];
  // Summed from the history: unknown (not zero) until the history has loaded.
  const { released, refunded } = eventsQuery.data
    ? escrowTotals(eventsQuery.data, contract.escrowBalance)
    : { released: null, refunded: null };
  const proposals = pendingDueDateChanges(events);
  const card = methods.data?.data.find((m) => m.isDefault) ?? methods.data?.data[0];
  const cardLabel =
    viewer === "client" && card ? `your ${card.brand} card ending ${card.last4}` : null;
  const next = contract.nextAutomaticAction;
  const nextMilestone =
    next?.type === "milestone_auto_approval"
      ? contract.milestones.find((m) => m.id === next.milestoneId)
      : undefined;
  return (
    <div className="stack">
      <div className="page-head">
        <div>
          <p className="muted small">
            <Link to="/">Dashboard</Link> / Contract
          </p>
          <h1>
            {contract.title} <StatusBadge status={contract.status} />
          </h1>
        </div>
      </div>
      <p className="muted">
        Client <strong>{contract.client.name}</strong> · Freelancer{" "}
        <strong>{contract.freelancer.name}</strong> · {contract.currency} · You are the{" "}
        <strong>{viewer === "staff" ? "dispute team" : viewer}</strong>
      </p>
      {contract.description && <p className="pre">{contract.description}</p>}
      <p className="small muted">
        Offered <Time iso={contract.createdAt} />
        {contract.acceptedAt && (
          <>
            {" "}
            · accepted <Time iso={contract.acceptedAt} />
          </>
        )}
        {contract.endedAt && (
          <>
            {" "}
            · ended by the {contract.endedBy} <Time iso={contract.endedAt} />
          </>
        )}{" "}
        · Review window {contract.reviewWindowDays} days · refund answer window{" "}
        {contract.refundWindowDays} days
      </p>
      {next && (
        <p className="auto-banner" role="status">
          <strong>Next automatic action:</strong>{" "}
          {next.type === "milestone_auto_approval"
            ? `“${nextMilestone?.title ?? "milestone"}” auto-approves `
            : "the escrow refund is approved automatically "}
          <Countdown iso={next.at} now={now} />
        </p>
      )}
      <EscrowSummary contract={contract} released={released} refunded={refunded} />
      <RefundPanel contract={contract} viewer={viewer} now={now} />
      <ContractActions contract={contract} viewer={viewer} />
      <section aria-labelledby="milestones-heading" className="stack">
        <h2 id="milestones-heading">Milestones</h2>
        <ol className="milestones">
          {contract.milestones.map((m) => (
            <MilestoneCard
              key={m.id}
              contract={contract}
              milestone={m}
              viewer={viewer}
              userId={user.id}
              cardLabel={cardLabel}
              proposals={proposals.filter((p) => p.milestoneId === m.id)}
              now={now}
            />
          ))}
        </ol>
        {viewer === "client" && contract.status === "active" && (
          <AddMilestoneForm contract={contract} />
        )}
      </section>
      <section aria-labelledby="history-heading" className="card">
        <h2 id="history-heading">History</h2>
        <ErrorNote error={eventsQuery.error} />
        <Timeline contract={contract} events={events} />
      </section>
    </div>
  );
}
