import { useState } from "react";
import { ConfirmPanel } from "../../components/ConfirmPanel";
import { MoneyInput } from "../../components/MoneyInput";
import { formatMoney, toMajorString, toMinorUnits } from "../../lib/money";

export interface ApproveFormProps {
  milestoneTitle: string;
  fundedAmount: number;
  currency: string;
  freelancerName: string;
  /** "Visa ending 4242", for an extra charge; null when the client has no card. */
  cardLabel: string | null;
  pending?: boolean;
  error?: unknown;
  /** Minor units to release, and the idempotency key of this confirmation. */
  onSubmit: (amount: number, idempotencyKey: string) => void;
  onCancel: () => void;
}

/** What releasing `amount` of a milestone funded with `funded` does, in words (R13, R15). */
export function describeRelease(
  amount: number,
  funded: number,
  currency: string,
  freelancerName: string,
  cardLabel: string | null,
): string[] {
  const money = (n: number) => formatMoney(n, currency);
  if (amount === funded) {
    return [`${money(amount)} in escrow is released to ${freelancerName}.`];
  }
  if (amount < funded) {
    return [
      `${money(amount)} is released to ${freelancerName}.`,
      `The other ${money(funded - amount)} stays in this contract’s escrow as unallocated money: it pays toward the next milestone when you fund it, or comes back to you with an escrow refund after the contract ends.`,
    ];
  }
  return [
    `${money(amount)} is released to ${freelancerName}: the ${money(funded)} in escrow plus ${money(amount - funded)} extra.`,
    `The extra ${money(amount - funded)} is charged to ${cardLabel ?? "your card"} now, in the same step. If the charge is declined, nothing is released.`,
  ];
}

/** Approve a milestone, releasing its funded amount or a different one (R13, R15). */
export function ApproveForm(props: ApproveFormProps) {
  const { fundedAmount, currency } = props;
  const [value, setValue] = useState(toMajorString(fundedAmount, currency));
  const [confirming, setConfirming] = useState(false);
  const parsed = toMinorUnits(value, currency);
  const amount = parsed.ok ? parsed.minor : null;
  const valid = amount !== null && amount >= 1;
  const lines =
    valid && amount !== null
      ? describeRelease(amount, fundedAmount, currency, props.freelancerName, props.cardLabel)
      : [];
  const needsCard = valid && amount > fundedAmount && !props.cardLabel;

  return (
    <div className="stack approve-form">
      <form
        className="stack"
        aria-label={`Approve ${props.milestoneTitle}`}
        onSubmit={(event) => {
          event.preventDefault();
          if (valid && !needsCard) setConfirming(true);
        }}
      >
        <MoneyInput
          label="Amount to release"
          currency={currency}
          value={value}
          onChange={(next) => {
            setConfirming(false);
            setValue(next);
          }}
          hint={`Funded: ${formatMoney(fundedAmount, currency)}. You may release less or more.`}
        />
        {valid && (
          <div className="explain" aria-live="polite" data-testid="release-explanation">
            {lines.map((line) => (
              <p key={line}>{line}</p>
            ))}
          </div>
        )}
        {amount === 0 && <p className="field-error">Release at least one minor unit.</p>}
        {needsCard && (
          <p role="alert" className="error-note">
            Releasing more than was funded charges the difference: add a card first.
          </p>
        )}
        {!confirming && (
          <div className="actions">
            <button type="submit" className="btn-primary" disabled={!valid || needsCard}>
              Review release
            </button>
            <button type="button" className="btn-secondary" onClick={props.onCancel}>
              Cancel
            </button>
          </div>
        )}
      </form>
      {confirming && valid && (
        <ConfirmPanel
          title={`Approve “${props.milestoneTitle}”?`}
          confirmLabel={`Release ${formatMoney(amount, currency)}`}
          pending={props.pending}
          error={props.error}
          onCancel={() => setConfirming(false)}
          onConfirm={(key) => props.onSubmit(amount, key)}
        >
          {lines.map((line) => (
            <p key={line}>{line}</p>
          ))}
          <p>The milestone becomes paid. This cannot be undone.</p>
        </ConfirmPanel>
      )}
    </div>
  );
}
