import { formatMoney } from "../lib/money";

/** An amount in minor units, formatted in its currency; `signed` shows + / - for movements. */
export function Money({
  amount,
  currency,
  signed,
}: {
  amount: number;
  currency: string;
  signed?: boolean;
}) {
  const tone = signed ? (amount > 0 ? "money-in" : amount < 0 ? "money-out" : "") : "";
  return (
    <span className={`money ${tone}`.trim()}>
      {formatMoney(amount, currency, { signed: !!signed })}
    </span>
  );
}
