import { useState } from "react";
import { useNavigate } from "react-router-dom";
import { useApiMutation } from "../../api/queries";
import type { Contract } from "../../api/types";
import { ConfirmPanel } from "../../components/ConfirmPanel";
import { formatMoney } from "../../lib/money";
import type { Viewer } from "./roles";

type Action = null | "accept" | "decline" | "withdraw" | "end" | "refund";

/** Contract-level actions: answer or withdraw the offer, end the contract, ask for a refund. */
export function ContractActions({ contract, viewer }: { contract: Contract; viewer: Viewer }) {
  const [action, setAction] = useState<Action>(null);
  const [reason, setReason] = useState("");
  const navigate = useNavigate();
  const money = (n: number) => formatMoney(n, contract.currency);
  const base = `/v1/contracts/${contract.id}`;
  const run = useApiMutation<{ verb: Exclude<Action, null>; key: string }>(({ verb, key }) => {
    if (verb === "refund") {
      return {
        path: `${base}/refund-requests`,
        body: reason.trim() ? { reason: reason.trim() } : {},
        idempotencyKey: key,
      };
    }
    if (verb === "end") {
      return {
        path: `${base}/end`,
        body: reason.trim() ? { reason: reason.trim() } : {},
        idempotencyKey: key,
      };
    }
    return { path: `${base}/${verb}`, idempotencyKey: key };
  });
  const close = () => {
    setAction(null);
    setReason("");
    run.reset();
  };
  const escrow = contract.escrowBalance;
  const first = contract.milestones[0];
  const waitingReview = contract.milestones.some((m) => m.status === "submitted");
  const buttons: {
    verb: Exclude<Action, null>;
    label: string;
    danger?: boolean;
    disabled?: string;
  }[] = [];
  if (contract.status === "offered" && viewer === "freelancer") {
    buttons.push(
      { verb: "accept", label: "Accept offer" },
      { verb: "decline", label: "Decline", danger: true },
    );
  }
  if (contract.status === "offered" && viewer === "client") {
    buttons.push({ verb: "withdraw", label: "Withdraw offer", danger: true });
  }
  if (contract.status === "active" && (viewer === "client" || viewer === "freelancer")) {
    buttons.push({
      verb: "end",
      label: "End contract",
      danger: true,
      ...(viewer === "freelancer" && waitingReview
        ? { disabled: "You cannot end the contract while your submission awaits review." }
        : {}),
    });
  }
  if (
    contract.status === "ended" &&
    viewer === "client" &&
    escrow > 0 &&
    contract.openRefundRequestId === null
  ) {
    buttons.push({ verb: "refund", label: `Request a refund of ${money(escrow)}` });
  }
  if (buttons.length === 0) return null;

  const confirmText: Record<
    Exclude<Action, null>,
    { title: string; body: string[]; label: string }
  > = {
    accept: {
      title: "Accept this offer?",
      body: [
        `You agree to the ${contract.milestones.length} milestone(s) and their amounts, ${money(contract.totalAmount)} in total.`,
        `${money(first?.fundedAmount ?? 0)} is already in escrow for milestone 1; start work when you are ready.`,
      ],
      label: "Accept offer",
    },
    decline: {
      title: "Decline this offer?",
      body: [
        `The ${money(escrow)} deposit goes back to ${contract.client.name} at once. This cannot be undone.`,
      ],
      label: "Decline offer",
    },
    withdraw: {
      title: "Withdraw this offer?",
      body: [
        `The ${money(escrow)} deposit comes back to your card at once. This cannot be undone.`,
      ],
      label: "Withdraw offer",
    },
    end: {
      title: "End this contract?",
      body:
        viewer === "client"
          ? [
              "Milestones that were never funded are cancelled.",
              escrow > 0
                ? `The ${money(escrow)} in escrow stays there until you release it or request an escrow refund, which the freelancer has ${contract.refundWindowDays} days to answer.`
                : "No money is in escrow.",
              waitingReview
                ? `A submission awaiting review keeps its ${contract.reviewWindowDays}-day automatic approval.`
                : "",
            ].filter(Boolean)
          : [
              "Milestones that were never funded are cancelled.",
              escrow > 0
                ? `You give up the ${money(escrow)} in escrow: it goes back to ${contract.client.name} at once.`
                : "No money is in escrow.",
            ],
      label: "End contract",
    },
    refund: {
      title: `Request a refund of ${money(escrow)}?`,
      body: [
        `You ask for all ${money(escrow)} in escrow back to your card.`,
        `${contract.freelancer.name} has ${contract.refundWindowDays} days to approve or dispute it; with no answer, it is approved automatically. While the request is open, this money cannot be released.`,
      ],
      label: "Request refund",
    },
  };

  return (
    <section className="card stack" aria-labelledby="contract-actions">
      <h2 id="contract-actions">Actions</h2>
      {action === null ? (
        <div className="actions">
          {buttons.map((b) => (
            <span key={b.verb}>
              <button
                type="button"
                className={b.danger ? "btn-danger-outline" : "btn-primary"}
                disabled={!!b.disabled}
                aria-describedby={b.disabled ? `why-${b.verb}` : undefined}
                onClick={() => setAction(b.verb)}
              >
                {b.label}
              </button>
              {b.disabled && (
                <small id={`why-${b.verb}`} className="hint">
                  {" "}
                  {b.disabled}
                </small>
              )}
            </span>
          ))}
        </div>
      ) : (
        <ConfirmPanel
          title={confirmText[action].title}
          confirmLabel={confirmText[action].label}
          tone={action === "accept" || action === "refund" ? "primary" : "danger"}
          pending={run.isPending}
          error={run.error}
          onCancel={close}
          onConfirm={(key) =>
            run.mutate(
              { verb: action, key },
              {
                onSuccess: () => {
                  close();
                  if (action === "decline") void navigate("/");
                },
              },
            )
          }
        >
          {confirmText[action].body.map((line) => (
            <p key={line}>{line}</p>
          ))}
          {(action === "end" || action === "refund") && (
            <div className="field">
              <label htmlFor="action-reason">Reason (optional, both parties see it)</label>
              <textarea
                id="action-reason"
                rows={2}
                value={reason}
                onChange={(e) => setReason(e.target.value)}
              />
            </div>
          )}
        </ConfirmPanel>
      )}
    </section>
  );
}
