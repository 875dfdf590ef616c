import { useState, type FormEvent } from "react";
import { useNavigate } from "react-router-dom";
import { ApiError } from "../../api/client";
import { useApiMutation, usePaymentMethods } from "../../api/queries";
import type { Contract } from "../../api/types";
import { ConfirmPanel } from "../../components/ConfirmPanel";
import { MoneyInput } from "../../components/MoneyInput";
import { formatMoney, OFFER_CURRENCIES, toMinorUnits } from "../../lib/money";
import { AddCard } from "./AddCard";

interface DraftMilestone {
  key: number;
  title: string;
  description: string;
  amount: string;
  dueDate: string;
}

let nextKey = 1;
const blank = (): DraftMilestone => ({
  key: nextKey++,
  title: "",
  description: "",
  amount: "",
  dueDate: "",
});

export function NewOfferPage() {
  const navigate = useNavigate();
  const methods = usePaymentMethods();
  const [freelancerEmail, setFreelancerEmail] = useState("");
  const [title, setTitle] = useState("");
  const [description, setDescription] = useState("");
  const [currency, setCurrency] = useState("USD");
  const [milestones, setMilestones] = useState<DraftMilestone[]>([blank()]);
  const [confirming, setConfirming] = useState(false);
  const [formError, setFormError] = useState<string | null>(null);
  const [showAddCard, setShowAddCard] = useState(false);

  const parsed = milestones.map((m) => toMinorUnits(m.amount, currency));
  const allValid = parsed.every((p) => p.ok);
  const total = parsed.reduce((sum, p) => sum + (p.ok ? p.minor : 0), 0);
  const first = parsed[0];
  const card = methods.data?.data.find((m) => m.isDefault) ?? methods.data?.data[0];

  const send = useApiMutation<string, Contract>((key) => ({
    path: "/v1/contracts",
    idempotencyKey: key,
    body: {
      freelancerEmail: freelancerEmail.trim(),
      title: title.trim(),
      ...(description.trim() ? { description: description.trim() } : {}),
      currency,
      milestones: milestones.map((m, i) => ({
        title: m.title.trim(),
        ...(m.description.trim() ? { description: m.description.trim() } : {}),
        amount: (parsed[i] as { minor: number }).minor,
        ...(m.dueDate ? { dueDate: m.dueDate } : {}),
      })),
    },
  }));

  const update = (key: number, patch: Partial<DraftMilestone>) => {
    setConfirming(false);
    setMilestones((list) => list.map((m) => (m.key === key ? { ...m, ...patch } : m)));
  };

  const review = (event: FormEvent) => {
    event.preventDefault();
    if (!allValid) {
      setFormError("Check the milestone amounts: each needs a valid amount.");
      return;
    }
    if (!card) {
      setFormError("Add a card first: sending the offer charges the first milestone.");
      setShowAddCard(true);
      return;
    }
    setFormError(null);
    send.reset();
    setConfirming(true);
  };

  const declined = send.error instanceof ApiError && send.error.code === "payment_failed";

  return (
    <div className="stack">
      <h1>New offer</h1>
      <form className="stack" onSubmit={review} aria-describedby="offer-summary">
        <section className="card stack" aria-labelledby="terms-heading">
          <h2 id="terms-heading">Terms</h2>
          <div className="field">
            <label htmlFor="freelancer">Freelancer’s email</label>
            <input
              id="freelancer"
              type="email"
              required
              value={freelancerEmail}
              onChange={(e) => setFreelancerEmail(e.target.value)}
            />
            <small className="hint">They must already have an account.</small>
          </div>
          <div className="field">
            <label htmlFor="title">Contract title</label>
            <input id="title" required value={title} onChange={(e) => setTitle(e.target.value)} />
          </div>
          <div className="field">
            <label htmlFor="description">Description</label>
            <textarea
              id="description"
              rows={3}
              value={description}
              onChange={(e) => setDescription(e.target.value)}
            />
          </div>
          <div className="field">
            <label htmlFor="currency">Currency</label>
            <select
              id="currency"
              value={currency}
              onChange={(e) => {
                setConfirming(false);
                setCurrency(e.target.value);
              }}
            >
              {OFFER_CURRENCIES.map((c) => (
                <option key={c}>{c}</option>
              ))}
            </select>
            <small className="hint">A contract keeps one currency for life.</small>
          </div>
        </section>

        <section className="card stack" aria-labelledby="milestones-heading">
          <h2 id="milestones-heading">Milestones</h2>
          <p className="hint">
            Milestones are paid in this order. Only the first is funded now; you fund each next one
            when the previous is paid.
          </p>
          <ol className="milestone-editor">
            {milestones.map((m, index) => (
              <li key={m.key} className="stack">
                <fieldset>
                  <legend>Milestone {index + 1}</legend>
                  <div className="field">
                    <label htmlFor={`m-title-${m.key}`}>Title</label>
                    <input
                      id={`m-title-${m.key}`}
                      required
                      value={m.title}
                      onChange={(e) => update(m.key, { title: e.target.value })}
                    />
                  </div>
                  <div className="field">
                    <label htmlFor={`m-desc-${m.key}`}>Deliverables</label>
                    <textarea
                      id={`m-desc-${m.key}`}
                      rows={2}
                      value={m.description}
                      onChange={(e) => update(m.key, { description: e.target.value })}
                    />
                  </div>
                  <div className="row">
                    <MoneyInput
                      label="Amount"
                      currency={currency}
                      value={m.amount}
                      required
                      onChange={(amount) => update(m.key, { amount })}
                    />
                    <div className="field">
                      <label htmlFor={`m-due-${m.key}`}>Due date (optional)</label>
                      <input
                        id={`m-due-${m.key}`}
                        type="date"
                        value={m.dueDate}
                        onChange={(e) => update(m.key, { dueDate: e.target.value })}
                      />
                    </div>
                  </div>
                  {milestones.length > 1 && (
                    <button
                      type="button"
                      className="btn-link"
                      onClick={() => setMilestones((list) => list.filter((x) => x.key !== m.key))}
                    >
                      Remove milestone {index + 1}
                    </button>
                  )}
                </fieldset>
              </li>
            ))}
          </ol>
          <button
            type="button"
            className="btn-secondary"
            onClick={() => setMilestones((list) => [...list, blank()])}
          >
            Add a milestone
          </button>
          <p id="offer-summary" className="summary" aria-live="polite">
            Total: <strong>{formatMoney(total, currency)}</strong> in {milestones.length} milestone
            {milestones.length === 1 ? "" : "s"}.
            {first?.ok && (
              <>
                {" "}
                Sending this offer deposits the first milestone,{" "}
                <strong>{formatMoney(first.minor, currency)}</strong>, into escrow now.
              </>
            )}
          </p>
        </section>

        <section className="card stack" aria-labelledby="payment-heading">
          <h2 id="payment-heading">Payment method</h2>
          {methods.isPending ? (
            <p>Loading…</p>
          ) : card ? (
            <p>
              Charged to your <strong className="capitalize">{card.brand}</strong> card ending{" "}
              <strong>{card.last4}</strong>.{" "}
              <button type="button" className="btn-link" onClick={() => setShowAddCard(true)}>
                Use another card
              </button>
            </p>
          ) : (
            <p>You have no card yet. Add one to send the offer.</p>
          )}
          {(showAddCard || (methods.data && !card)) && (
            <AddCard onAdded={() => setShowAddCard(false)} />
          )}
        </section>

        {formError && (
          <p role="alert" className="error-note">
            {formError}
          </p>
        )}
        {!confirming && (
          <button type="submit" className="btn-primary">
            Review offer
          </button>
        )}
      </form>
      {confirming && first?.ok && card && (
        <ConfirmPanel
          title="Send this offer?"
          confirmLabel={`Send offer and pay ${formatMoney(first.minor, currency)}`}
          pending={send.isPending}
          error={send.error}
          onCancel={() => setConfirming(false)}
          onConfirm={(key) =>
            send.mutate(key, {
              onSuccess: (contract) => void navigate(`/contracts/${contract.id}`),
            })
          }
        >
          <p>
            <strong>{formatMoney(first.minor, currency)}</strong> will be charged to your{" "}
            {card.brand} card ending {card.last4} now and held in escrow for milestone 1, “
            {milestones[0]?.title}”.
          </p>
          <p>
            The contract totals {formatMoney(total, currency)}; the other milestones are charged
            only when you fund them. If {freelancerEmail || "the freelancer"} declines or you
            withdraw the offer, the deposit comes back to your card.
          </p>
          {declined && (
            <p>
              Nothing was charged and no offer was sent.{" "}
              <button type="button" className="btn-link" onClick={() => setShowAddCard(true)}>
                Add another card
              </button>
            </p>
          )}
        </ConfirmPanel>
      )}
    </div>
  );
}
