import { useState } from "react";
import { Link } from "react-router-dom";
import { useApiMutation, useRefundRequest } from "../../api/queries";
import type { Contract } from "../../api/types";
import { ConfirmPanel } from "../../components/ConfirmPanel";
import { ErrorNote } from "../../components/ErrorNote";
import { Countdown } from "../../components/Time";
import { formatMoney } from "../../lib/money";
import type { Viewer } from "./roles";

/** The open escrow refund request: answer it, cancel it, or see that staff has it (R17-R20). */
export function RefundPanel({
  contract,
  viewer,
  now,
}: {
  contract: Contract;
  viewer: Viewer;
  now: number;
}) {
  const refund = useRefundRequest(contract.openRefundRequestId);
  const [panel, setPanel] = useState<null | "approve" | "dispute" | "cancel">(null);
  const [reason, setReason] = useState("");
  const answer = useApiMutation<{ verb: "approve" | "dispute" | "cancel"; key: string }>(
    ({ verb, key }) => ({
      path: `/v1/refund-requests/${contract.openRefundRequestId}/${verb}`,
      ...(verb === "dispute" ? { body: { reason } } : {}),
      idempotencyKey: key,
    }),
  );
  if (!contract.openRefundRequestId) return null;
  const r = refund.data;
  const close = () => {
    setPanel(null);
    answer.reset();
  };
  const money = (n: number) => formatMoney(n, contract.currency);
  return (
    <section className="card stack notice-card" aria-labelledby="refund-heading">
      <h2 id="refund-heading">Escrow refund request</h2>
      <ErrorNote error={refund.error} />
      {r && (
        <>
          <p>
            {contract.client.name} asked for <strong>{money(r.amount)}</strong> back from escrow
            {r.reason ? `: “${r.reason}”` : "."}
          </p>
          {r.status === "pending" ? (
            <p className="auto-note">
              If {contract.freelancer.name} does not answer, it is approved automatically{" "}
              <Countdown iso={r.respondBy} now={now} />. Until then this money cannot be released.
            </p>
          ) : (
            <p>
              <strong>Disputed.</strong> The dispute team decides how the {money(r.amount)} is
              split; the money stays frozen in escrow until then.{" "}
              {viewer === "staff" && r.disputeId && (
                <Link to={`/staff/disputes/${r.disputeId}`}>Open in the dispute console</Link>
              )}
            </p>
          )}
          {r.status === "pending" && panel === null && (
            <div className="actions">
              {viewer === "freelancer" && (
                <>
                  <button type="button" className="btn-primary" onClick={() => setPanel("approve")}>
                    Approve refund
                  </button>
                  <button
                    type="button"
                    className="btn-danger-outline"
                    onClick={() => setPanel("dispute")}
                  >
                    Dispute
                  </button>
                </>
              )}
              {viewer === "client" && (
                <button type="button" className="btn-secondary" onClick={() => setPanel("cancel")}>
                  Cancel refund request
                </button>
              )}
            </div>
          )}
          {panel === "approve" && (
            <ConfirmPanel
              title="Approve the refund?"
              confirmLabel={`Refund ${money(r.amount)}`}
              pending={answer.isPending}
              error={answer.error}
              onCancel={close}
              onConfirm={(key) => answer.mutate({ verb: "approve", key }, { onSuccess: close })}
            >
              <p>
                <strong>{money(r.amount)}</strong> goes back from escrow to {contract.client.name}’s
                card. You receive nothing more from this escrow.
              </p>
            </ConfirmPanel>
          )}
          {panel === "dispute" && (
            <ConfirmPanel
              title="Dispute the refund?"
              confirmLabel="Send dispute to staff"
              tone="danger"
              pending={answer.isPending}
              error={answer.error}
              confirmDisabled={!reason.trim()}
              onCancel={close}
              onConfirm={(key) => answer.mutate({ verb: "dispute", key }, { onSuccess: close })}
            >
              <p>
                The {money(r.amount)} stays frozen in escrow. The dispute team decides how much is
                refunded to {contract.client.name} and how much is released to you, and both of you
                see their reason.
              </p>
              <div className="field">
                <label htmlFor="dispute-reason">Why do you dispute it? (required)</label>
                <textarea
                  id="dispute-reason"
                  required
                  rows={3}
                  value={reason}
                  onChange={(e) => setReason(e.target.value)}
                />
              </div>
            </ConfirmPanel>
          )}
          {panel === "cancel" && (
            <ConfirmPanel
              title="Cancel the refund request?"
              confirmLabel="Cancel request"
              pending={answer.isPending}
              error={answer.error}
              onCancel={close}
              onConfirm={(key) => answer.mutate({ verb: "cancel", key }, { onSuccess: close })}
            >
              <p>
                The {money(r.amount)} stays in escrow. Any automatic approval that fell due while
                the request was open runs at once.
              </p>
            </ConfirmPanel>
          )}
        </>
      )}
    </section>
  );
}
