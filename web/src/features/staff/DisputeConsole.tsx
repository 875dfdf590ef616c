import { useQuery } from "@tanstack/react-query";
import { Link, Navigate, useNavigate, useParams } from "react-router-dom";
import { api } from "../../api/client";
import { keys, useApiMutation, useContract, useDisputes, useEvents } from "../../api/queries";
import type { Dispute } from "../../api/types";
import { useUser } from "../../app/useUser";
import { ErrorNote } from "../../components/ErrorNote";
import { Money } from "../../components/Money";
import { StatusBadge } from "../../components/StatusBadge";
import { Time } from "../../components/Time";
import { formatMoney } from "../../lib/money";
import { Timeline } from "../contracts/Timeline";
import { SplitForm } from "./SplitForm";

function DisputeDetail({ dispute }: { dispute: Dispute }) {
  const contract = useContract(dispute.contractId);
  const events = useEvents(dispute.contractId);
  const navigate = useNavigate();
  const resolve = useApiMutation<{
    split: { refundAmount: number; releaseAmount: number; reason: string };
    key: string;
  }>(({ split, key }) => ({
    path: `/v1/disputes/${dispute.id}/resolve`,
    body: split,
    idempotencyKey: key,
  }));
  const c = contract.data;
  if (!c) return <ErrorNote error={contract.error} />;
  const refundEvent = events.data?.find(
    (e) =>
      e.type === "refund_request.created" && e.data.refundRequestId === dispute.refundRequestId,
  );
  return (
    <div className="stack">
      <section className="card stack" aria-labelledby="dispute-heading">
        <h2 id="dispute-heading">
          Dispute on <Link to={`/contracts/${c.id}`}>“{c.title}”</Link>
        </h2>
        <p>
          Client <strong>{c.client.name}</strong> ({c.client.email}) asked for a refund of{" "}
          <Money amount={dispute.amount} currency={c.currency} />
          {typeof refundEvent?.data.reason === "string" ? `: “${refundEvent.data.reason}”` : "."}
        </p>
        <p>
          Freelancer <strong>{c.freelancer.name}</strong> ({c.freelancer.email}) disputed it: “
          {dispute.reason}”
        </p>
        <p className="small muted">
          Opened <Time iso={dispute.createdAt} />
        </p>
        {dispute.status === "resolved" && dispute.resolution ? (
          <p role="status">
            Settled: {formatMoney(dispute.resolution.refundAmount, c.currency)} refunded,{" "}
            {formatMoney(dispute.resolution.releaseAmount, c.currency)} released. “
            {dispute.resolution.reason}”
          </p>
        ) : (
          <SplitForm
            amount={dispute.amount}
            currency={c.currency}
            clientName={c.client.name}
            freelancerName={c.freelancer.name}
            pending={resolve.isPending}
            error={resolve.error}
            onSubmit={(split, key) =>
              resolve.mutate(
                { split, key },
                { onSuccess: () => void navigate(`/contracts/${c.id}`) },
              )
            }
          />
        )}
      </section>
      <section className="card" aria-labelledby="milestones-state">
        <h2 id="milestones-state">Milestones</h2>
        <ul className="plain">
          {c.milestones.map((m) => (
            <li key={m.id}>
              {m.position}. {m.title} — <Money amount={m.amount} currency={c.currency} />{" "}
              <StatusBadge status={m.status} />
              {m.fundedAmount > 0 && (
                <span className="muted small">
                  {" "}
                  (holds <Money amount={m.fundedAmount} currency={c.currency} />)
                </span>
              )}
            </li>
          ))}
        </ul>
      </section>
      <section className="card" aria-labelledby="dispute-history">
        <h2 id="dispute-history">Contract history</h2>
        <ErrorNote error={events.error} />
        {events.data && <Timeline contract={c} events={events.data} />}
      </section>
    </div>
  );
}

/** Staff only: the open disputes, one at a time with the contract's history and a split form. */
export function DisputeConsole() {
  const user = useUser();
  const { id } = useParams();
  const open = useDisputes("open");
  const selected = useQuery({
    queryKey: keys.dispute(id ?? "none"),
    queryFn: () => api<Dispute>(`/v1/disputes/${encodeURIComponent(id!)}`),
    enabled: !!id,
  });
  if (!user.isStaff) return <Navigate to="/" replace />;
  return (
    <div className="stack">
      <h1>Dispute console</h1>
      <div className="console">
        <section className="card" aria-labelledby="queue-heading">
          <h2 id="queue-heading">Open disputes</h2>
          <ErrorNote error={open.error} />
          {open.data?.data.length === 0 && <p className="muted">No open disputes.</p>}
          <ul className="queue">
            {open.data?.data.map((d) => (
              <li key={d.id} className={d.id === id ? "selected" : undefined}>
                <Link
                  to={`/staff/disputes/${d.id}`}
                  aria-current={d.id === id ? "page" : undefined}
                >
                  Dispute over <DisputeAmount dispute={d} />
                </Link>
                <div className="small muted">
                  opened <Time iso={d.createdAt} />
                </div>
              </li>
            ))}
          </ul>
        </section>
        <div>
          {!id && <p className="muted">Choose a dispute from the queue.</p>}
          <ErrorNote error={selected.error} />
          {selected.data && <DisputeDetail key={selected.data.id} dispute={selected.data} />}
        </div>
      </div>
    </div>
  );
}

function DisputeAmount({ dispute }: { dispute: Dispute }) {
  const contract = useContract(dispute.contractId);
  return contract.data ? (
    <>
      <Money amount={dispute.amount} currency={contract.data.currency} /> on “{contract.data.title}”
    </>
  ) : (
    <>…</>
  );
}
