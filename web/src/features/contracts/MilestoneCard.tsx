import { useState } from "react";
import { useApiMutation } from "../../api/queries";
import type { Contract, Milestone } from "../../api/types";
import { ConfirmPanel } from "../../components/ConfirmPanel";
import { ErrorNote } from "../../components/ErrorNote";
import { Money } from "../../components/Money";
import { MoneyInput } from "../../components/MoneyInput";
import { StatusBadge } from "../../components/StatusBadge";
import { Countdown, DueDate, Time } from "../../components/Time";
import { formatCalendarDate } from "../../lib/dates";
import { formatMoney, toMajorString, toMinorUnits } from "../../lib/money";
import { ApproveForm } from "./ApproveForm";
import type { PendingDueDateChange } from "./history";
import { nextFundable, type Viewer } from "./roles";

type Panel = null | "approve" | "changes" | "submit" | "fund" | "edit" | "cancel" | "due";

const HOLDS_MONEY = ["funded", "submitted", "changes_requested"];
const CLOSED = ["paid", "refunded", "cancelled"];

export function MilestoneCard({
  contract,
  milestone: m,
  viewer,
  userId,
  cardLabel,
  proposals,
  now,
}: {
  contract: Contract;
  milestone: Milestone;
  viewer: Viewer;
  userId: string;
  cardLabel: string | null;
  proposals: PendingDueDateChange[];
  now: number;
}) {
  const [panel, setPanel] = useState<Panel>(null);
  const [message, setMessage] = useState("");
  const [links, setLinks] = useState("");
  const [editAmount, setEditAmount] = useState(toMajorString(m.amount, contract.currency));
  const [editDescription, setEditDescription] = useState(m.description);
  const [dueDate, setDueDate] = useState(m.dueDate ?? "");
  const money = (n: number) => formatMoney(n, contract.currency);
  const path = `/v1/milestones/${m.id}`;
  const close = () => setPanel(null);

  const approve = useApiMutation<{ amount: number; key: string }>(({ amount, key }) => ({
    path: `${path}/approve`,
    body: { amount },
    idempotencyKey: key,
  }));
  const requestChanges = useApiMutation(() => ({
    path: `${path}/request-changes`,
    body: { message },
  }));
  const submit = useApiMutation(() => ({
    path: `${path}/submit`,
    body: {
      message,
      links: links
        .split(/\s+/)
        .map((l) => l.trim())
        .filter(Boolean),
    },
  }));
  const fund = useApiMutation<string>((key) => ({ path: `${path}/fund`, idempotencyKey: key }));
  const cancel = useApiMutation(() => ({ path: `${path}/cancel` }));
  const parsedEdit = toMinorUnits(editAmount, contract.currency);
  const edit = useApiMutation(() => ({
    path,
    method: "PATCH",
    body: {
      ...(parsedEdit.ok && parsedEdit.minor !== m.amount ? { amount: parsedEdit.minor } : {}),
      ...(editDescription !== m.description ? { description: editDescription } : {}),
    },
  }));
  const propose = useApiMutation(() => ({ path: `${path}/due-date-changes`, body: { dueDate } }));
  const answerDue = useApiMutation<{ id: string; answer: "accept" | "decline" }>(
    ({ id, answer }) => ({ path: `/v1/due-date-changes/${id}/${answer}` }),
  );

  const active = contract.status === "active";
  const ended = contract.status === "ended";
  const refundOpen = contract.openRefundRequestId !== null;
  const isClient = viewer === "client";
  const isFreelancer = viewer === "freelancer";
  const canApprove = isClient && (active || ended) && HOLDS_MONEY.includes(m.status) && !refundOpen;
  const canRequestChanges = isClient && active && m.status === "submitted";
  const canSubmit =
    isFreelancer && active && (m.status === "funded" || m.status === "changes_requested");
  const canFund = isClient && active && nextFundable(contract)?.id === m.id;
  const canEdit = isClient && active && m.status === "pending";
  const canPropose = (isClient || isFreelancer) && active && !CLOSED.includes(m.status);
  const fromUnallocated = Math.min(contract.unallocatedEscrow, m.amount);
  const charged = m.amount - fromUnallocated;
  const titleId = `milestone-${m.id}`;

  return (
    <li className="milestone card" aria-labelledby={titleId}>
      <div className="milestone-head">
        <h3 id={titleId}>
          <span className="muted">{m.position}.</span> {m.title}
        </h3>
        <StatusBadge status={m.status} />
      </div>
      {m.description && <p className="pre">{m.description}</p>}
      <dl className="facts">
        <div>
          <dt>Amount</dt>
          <dd>
            <Money amount={m.amount} currency={contract.currency} />
          </dd>
        </div>
        {m.fundedAmount > 0 && (
          <div>
            <dt>{HOLDS_MONEY.includes(m.status) ? "In escrow" : "Funded"}</dt>
            <dd>
              <Money amount={m.fundedAmount} currency={contract.currency} />
            </dd>
          </div>
        )}
        {m.releasedAmount > 0 && (
          <div>
            <dt>Released</dt>
            <dd>
              <Money amount={m.releasedAmount} currency={contract.currency} />
            </dd>
          </div>
        )}
        <div>
          <dt>Due</dt>
          <dd>
            <DueDate day={m.dueDate} overdue={m.overdue} />
          </dd>
        </div>
      </dl>
      {m.status === "submitted" && m.autoApproveAt && (
        <p className="auto-note">
          {m.autoApprovalPaused ? (
            <>Automatic approval is paused while a refund request is open.</>
          ) : (
            <>
              Auto-approves <Countdown iso={m.autoApproveAt} now={now} />: if the client does not
              answer, {money(m.fundedAmount)} is released to {contract.freelancer.name}.
            </>
          )}
        </p>
      )}
      {m.submissions.length > 0 && (
        <details className="submissions" open={m.status === "submitted"}>
          <summary>
            {m.submissions.length} submission{m.submissions.length === 1 ? "" : "s"}
          </summary>
          <ol>
            {m.submissions.map((s) => (
              <li key={s.id}>
                <div className="small muted">
                  <Time iso={s.createdAt} />
                </div>
                <p className="pre">{s.message}</p>
                {s.links.length > 0 && (
                  <ul>
                    {s.links.map((link) => (
                      <li key={link}>
                        <a href={link} rel="noopener noreferrer nofollow" target="_blank">
                          {link}
                        </a>
                      </li>
                    ))}
                  </ul>
                )}
                {s.review && (
                  <p className="small">
                    <strong>
                      {s.review.outcome === "changes_requested"
                        ? "Changes requested"
                        : s.review.outcome === "auto_approved"
                          ? "Approved automatically"
                          : "Approved"}
                    </strong>
                    {s.review.message ? `: ${s.review.message}` : ""}
                  </p>
                )}
              </li>
            ))}
          </ol>
        </details>
      )}
      {proposals.map((p) => (
        <div key={p.id} className="notice">
          New due date proposed: <strong>{formatCalendarDate(p.dueDate)}</strong>.{" "}
          {p.proposedBy === userId ? (
            <span className="muted">Waiting for the other party.</span>
          ) : (
            (isClient || isFreelancer) && (
              <span className="actions inline">
                <button
                  type="button"
                  className="btn-secondary"
                  disabled={answerDue.isPending}
                  onClick={() => answerDue.mutate({ id: p.id, answer: "accept" })}
                >
                  Accept new date
                </button>
                <button
                  type="button"
                  className="btn-secondary"
                  disabled={answerDue.isPending}
                  onClick={() => answerDue.mutate({ id: p.id, answer: "decline" })}
                >
                  Decline
                </button>
              </span>
            )
          )}
          <ErrorNote error={answerDue.error} />
        </div>
      ))}

      {panel === null && (
        <div className="actions">
          {canFund && (
            <button type="button" className="btn-primary" onClick={() => setPanel("fund")}>
              Fund this milestone
            </button>
          )}
          {canApprove && (
            <button type="button" className="btn-primary" onClick={() => setPanel("approve")}>
              Approve and release
            </button>
          )}
          {canRequestChanges && (
            <button type="button" className="btn-secondary" onClick={() => setPanel("changes")}>
              Request changes
            </button>
          )}
          {canSubmit && (
            <button type="button" className="btn-primary" onClick={() => setPanel("submit")}>
              {m.status === "changes_requested" ? "Submit revised work" : "Submit work"}
            </button>
          )}
          {canEdit && (
            <button type="button" className="btn-secondary" onClick={() => setPanel("edit")}>
              Edit
            </button>
          )}
          {canEdit && (
            <button type="button" className="btn-secondary" onClick={() => setPanel("cancel")}>
              Cancel milestone
            </button>
          )}
          {canPropose && (
            <button type="button" className="btn-link" onClick={() => setPanel("due")}>
              Propose a new due date
            </button>
          )}
        </div>
      )}

      {panel === "approve" && (
        <ApproveForm
          milestoneTitle={m.title}
          fundedAmount={m.fundedAmount}
          currency={contract.currency}
          freelancerName={contract.freelancer.name}
          cardLabel={cardLabel}
          pending={approve.isPending}
          error={approve.error}
          onCancel={close}
          onSubmit={(amount, key) => approve.mutate({ amount, key }, { onSuccess: close })}
        />
      )}
      {panel === "fund" && (
        <ConfirmPanel
          title={`Fund “${m.title}”?`}
          confirmLabel={charged > 0 ? `Fund and pay ${money(charged)}` : "Fund from escrow"}
          pending={fund.isPending}
          error={fund.error}
          onCancel={close}
          onConfirm={(key) => fund.mutate(key, { onSuccess: close })}
        >
          <p>
            {money(m.amount)} goes into escrow for this milestone.{" "}
            {fromUnallocated > 0 && (
              <>
                <strong>{money(fromUnallocated)}</strong> comes from this contract’s unallocated
                escrow.{" "}
              </>
            )}
            {charged > 0 ? (
              <>
                <strong>{money(charged)}</strong> is charged to {cardLabel ?? "your card"} now.
              </>
            ) : (
              <>Nothing is charged to your card.</>
            )}
          </p>
        </ConfirmPanel>
      )}
      {panel === "changes" && (
        <form
          className="stack"
          onSubmit={(e) => {
            e.preventDefault();
            requestChanges.mutate(undefined, { onSuccess: close });
          }}
        >
          <div className="field">
            <label htmlFor={`changes-${m.id}`}>What needs to change?</label>
            <textarea
              id={`changes-${m.id}`}
              required
              rows={3}
              value={message}
              onChange={(e) => setMessage(e.target.value)}
            />
            <small className="hint">
              This answers the submission and stops the automatic approval until the next one.
            </small>
          </div>
          <ErrorNote error={requestChanges.error} />
          <div className="actions">
            <button type="submit" className="btn-primary" disabled={requestChanges.isPending}>
              Send request for changes
            </button>
            <button type="button" className="btn-secondary" onClick={close}>
              Cancel
            </button>
          </div>
        </form>
      )}
      {panel === "submit" && (
        <form
          className="stack"
          onSubmit={(e) => {
            e.preventDefault();
            submit.mutate(undefined, {
              onSuccess: () => {
                setMessage("");
                setLinks("");
                close();
              },
            });
          }}
        >
          <div className="field">
            <label htmlFor={`submit-${m.id}`}>Message to the client</label>
            <textarea
              id={`submit-${m.id}`}
              required
              rows={3}
              value={message}
              onChange={(e) => setMessage(e.target.value)}
            />
          </div>
          <div className="field">
            <label htmlFor={`links-${m.id}`}>Links (optional, one per line)</label>
            <textarea
              id={`links-${m.id}`}
              rows={2}
              value={links}
              onChange={(e) => setLinks(e.target.value)}
            />
          </div>
          <p className="hint">
            The client has {contract.reviewWindowDays} days to review. Without an answer, the{" "}
            {money(m.fundedAmount)} in escrow is released to you automatically.
          </p>
          <ErrorNote error={submit.error} />
          <div className="actions">
            <button type="submit" className="btn-primary" disabled={submit.isPending}>
              Submit for review
            </button>
            <button type="button" className="btn-secondary" onClick={close}>
              Cancel
            </button>
          </div>
        </form>
      )}
      {panel === "edit" && (
        <form
          className="stack"
          onSubmit={(e) => {
            e.preventDefault();
            if (parsedEdit.ok) edit.mutate(undefined, { onSuccess: close });
          }}
        >
          <MoneyInput
            label="Amount"
            currency={contract.currency}
            value={editAmount}
            onChange={setEditAmount}
          />
          <div className="field">
            <label htmlFor={`edit-desc-${m.id}`}>Deliverables</label>
            <textarea
              id={`edit-desc-${m.id}`}
              rows={2}
              value={editDescription}
              onChange={(e) => setEditDescription(e.target.value)}
            />
          </div>
          <p className="hint">The title and order of a milestone never change.</p>
          <ErrorNote error={edit.error} />
          <div className="actions">
            <button
              type="submit"
              className="btn-primary"
              disabled={edit.isPending || !parsedEdit.ok}
            >
              Save changes
            </button>
            <button type="button" className="btn-secondary" onClick={close}>
              Cancel
            </button>
          </div>
        </form>
      )}
      {panel === "cancel" && (
        <ConfirmPanel
          title={`Cancel “${m.title}”?`}
          confirmLabel="Cancel milestone"
          tone="danger"
          pending={cancel.isPending}
          error={cancel.error}
          onCancel={close}
          onConfirm={() => cancel.mutate(undefined, { onSuccess: close })}
        >
          <p>
            It is not funded, so no money moves. It stays in the list as cancelled and the contract
            total drops by {money(m.amount)}.
          </p>
        </ConfirmPanel>
      )}
      {panel === "due" && (
        <form
          className="stack"
          onSubmit={(e) => {
            e.preventDefault();
            propose.mutate(undefined, { onSuccess: close });
          }}
        >
          <div className="field">
            <label htmlFor={`due-${m.id}`}>Proposed due date</label>
            <input
              id={`due-${m.id}`}
              type="date"
              required
              value={dueDate}
              onChange={(e) => setDueDate(e.target.value)}
            />
            <small className="hint">The date changes only if the other party accepts.</small>
          </div>
          <ErrorNote error={propose.error} />
          <div className="actions">
            <button type="submit" className="btn-primary" disabled={propose.isPending}>
              Propose date
            </button>
            <button type="button" className="btn-secondary" onClick={close}>
              Cancel
            </button>
          </div>
        </form>
      )}
    </li>
  );
}
