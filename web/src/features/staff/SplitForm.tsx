import { useState } from "react";
import { ConfirmPanel } from "../../components/ConfirmPanel";
import { MoneyInput } from "../../components/MoneyInput";
import { formatMoney, toMajorString, toMinorUnits } from "../../lib/money";

export interface SplitFormProps {
  /** The disputed amount, in minor units. */
  amount: number;
  currency: string;
  clientName: string;
  freelancerName: string;
  pending?: boolean;
  error?: unknown;
  onSubmit: (
    split: { refundAmount: number; releaseAmount: number; reason: string },
    idempotencyKey: string,
  ) => void;
}

/** Staff split of a disputed amount (R19): refund + release must equal it exactly. */
export function SplitForm(props: SplitFormProps) {
  const { amount, currency } = props;
  const [refund, setRefund] = useState("");
  const [release, setRelease] = useState("");
  const [reason, setReason] = useState("");
  const [confirming, setConfirming] = useState(false);
  const money = (n: number) => formatMoney(n, currency);
  const r = toMinorUnits(refund, currency);
  const l = toMinorUnits(release, currency);
  const both = r.ok && l.ok;
  const sum = (r.ok ? r.minor : 0) + (l.ok ? l.minor : 0);
  const balanced = both && sum === amount;
  const reasonOk = reason.trim().length > 0;
  let status: string;
  if (!both) status = `Enter both parts; together they must make ${money(amount)}.`;
  else if (sum < amount)
    status = `${money(amount - sum)} short: the parts add up to ${money(sum)}, not ${money(amount)}.`;
  else if (sum > amount)
    status = `${money(sum - amount)} too much: the parts add up to ${money(sum)}, not ${money(amount)}.`;
  else status = `Adds up to ${money(amount)}.`;
  const refundMinor = r.ok ? r.minor : 0;
  const releaseMinor = l.ok ? l.minor : 0;

  return (
    <div className="stack">
      <form
        className="stack"
        aria-label="Split the disputed amount"
        onSubmit={(e) => {
          e.preventDefault();
          if (balanced && reasonOk) setConfirming(true);
        }}
      >
        <p>
          Disputed amount: <strong>{money(amount)}</strong>
        </p>
        <div className="row">
          <MoneyInput
            label={`Refund to ${props.clientName}`}
            currency={currency}
            value={refund}
            onChange={(v) => {
              setConfirming(false);
              setRefund(v);
            }}
          />
          <MoneyInput
            label={`Release to ${props.freelancerName}`}
            currency={currency}
            value={release}
            onChange={(v) => {
              setConfirming(false);
              setRelease(v);
            }}
          />
        </div>
        <div className="actions">
          <button
            type="button"
            className="btn-link"
            disabled={!r.ok || refundMinor > amount}
            onClick={() => {
              setConfirming(false);
              setRelease(toMajorString(amount - refundMinor, currency));
            }}
          >
            Release the rest
          </button>
        </div>
        <p
          className={balanced ? "split-ok" : "field-error"}
          role="status"
          aria-live="polite"
          data-testid="split-status"
        >
          {status}
        </p>
        <div className="field">
          <label htmlFor="split-reason">Reason (both parties see it)</label>
          <textarea
            id="split-reason"
            required
            rows={3}
            value={reason}
            onChange={(e) => {
              setConfirming(false);
              setReason(e.target.value);
            }}
          />
        </div>
        {!confirming && (
          <button type="submit" className="btn-primary" disabled={!balanced || !reasonOk}>
            Review decision
          </button>
        )}
      </form>
      {confirming && balanced && (
        <ConfirmPanel
          title="Settle this dispute?"
          confirmLabel="Settle dispute"
          pending={props.pending}
          error={props.error}
          onCancel={() => setConfirming(false)}
          onConfirm={(key) =>
            props.onSubmit(
              { refundAmount: refundMinor, releaseAmount: releaseMinor, reason: reason.trim() },
              key,
            )
          }
        >
          <p>
            <strong>{money(refundMinor)}</strong> is refunded to {props.clientName}’s card and{" "}
            <strong>{money(releaseMinor)}</strong> is released to {props.freelancerName}. This is
            final.
          </p>
        </ConfirmPanel>
      )}
    </div>
  );
}
