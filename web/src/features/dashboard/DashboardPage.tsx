import { Link } from "react-router-dom";
import { useContracts, useServerNow } from "../../api/queries";
import type { Contract } from "../../api/types";
import { useUser } from "../../app/useUser";
import { ErrorNote } from "../../components/ErrorNote";
import { Money } from "../../components/Money";
import { StatusBadge } from "../../components/StatusBadge";
import { Countdown } from "../../components/Time";
import { neededActions, viewerOf } from "../contracts/roles";

function ContractRow({
  contract,
  userId,
  now,
}: {
  contract: Contract;
  userId: string;
  now: number;
}) {
  const viewer = viewerOf(contract, userId);
  const other = viewer === "client" ? contract.freelancer : contract.client;
  const next = contract.nextAutomaticAction;
  return (
    <li className="contract-row">
      <div>
        <Link to={`/contracts/${contract.id}`} className="contract-title">
          {contract.title}
        </Link>{" "}
        <StatusBadge status={contract.status} />
        <div className="muted small">
          {viewer === "client" ? "Freelancer" : "Client"}: {other.name} · Total{" "}
          <Money amount={contract.totalAmount} currency={contract.currency} /> · In escrow{" "}
          <Money amount={contract.escrowBalance} currency={contract.currency} />
        </div>
      </div>
      {next && (
        <div className="small auto-note">
          {next.type === "milestone_auto_approval" ? "Auto-approves " : "Refund auto-approves "}
          <Countdown iso={next.at} now={now} />
        </div>
      )}
    </li>
  );
}

export function DashboardPage() {
  const user = useUser();
  const now = useServerNow();
  const asClient = useContracts("client");
  const asFreelancer = useContracts("freelancer");
  const all = [...(asClient.data?.data ?? []), ...(asFreelancer.data?.data ?? [])];
  const todo = all
    .map((contract) => ({ contract, actions: neededActions(contract, user.id) }))
    .filter((item) => item.actions.length > 0)
    .sort((a, b) => {
      const at = (x: typeof a) =>
        x.actions.find((action) => action.automatic)?.automatic?.at ?? "9999";
      return at(a).localeCompare(at(b));
    });
  const loading = asClient.isPending || asFreelancer.isPending;
  return (
    <div className="stack">
      <div className="page-head">
        <h1>Dashboard</h1>
        <Link to="/offers/new" className="btn-primary">
          New offer
        </Link>
      </div>
      {user.isStaff && (
        <p className="card">
          You are on the dispute team. <Link to="/staff/disputes">Open the dispute console</Link>.
        </p>
      )}
      <ErrorNote error={asClient.error ?? asFreelancer.error} />
      <section aria-labelledby="todo-heading" className="card">
        <h2 id="todo-heading">Needs your action</h2>
        {loading ? (
          <p>Loading…</p>
        ) : todo.length === 0 ? (
          <p className="muted">Nothing is waiting for you.</p>
        ) : (
          <ul className="todo-list">
            {todo.map(({ contract, actions }) =>
              actions.map((action, index) => (
                <li key={`${contract.id}-${index}`}>
                  <Link to={`/contracts/${contract.id}`}>
                    <strong>{action.label}</strong>
                  </Link>{" "}
                  <span className="muted">on “{contract.title}”</span>
                  {action.automatic && (
                    <span className="auto-note">
                      {" "}
                      · {action.automatic.text} <Countdown iso={action.automatic.at} now={now} />
                    </span>
                  )}
                </li>
              )),
            )}
          </ul>
        )}
      </section>
      <div className="two-col">
        <section aria-labelledby="client-heading" className="card">
          <h2 id="client-heading">As client</h2>
          {asClient.data?.data.length === 0 && (
            <p className="muted">You have not sent any offers yet.</p>
          )}
          <ul className="contract-list">
            {asClient.data?.data.map((c) => (
              <ContractRow key={c.id} contract={c} userId={user.id} now={now} />
            ))}
          </ul>
        </section>
        <section aria-labelledby="freelancer-heading" className="card">
          <h2 id="freelancer-heading">As freelancer</h2>
          {asFreelancer.data?.data.length === 0 && (
            <p className="muted">No offers have been sent to you yet.</p>
          )}
          <ul className="contract-list">
            {asFreelancer.data?.data.map((c) => (
              <ContractRow key={c.id} contract={c} userId={user.id} now={now} />
            ))}
          </ul>
        </section>
      </div>
    </div>
  );
}
