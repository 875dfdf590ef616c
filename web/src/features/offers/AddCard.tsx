import { useState } from "react";
import { useApiMutation } from "../../api/queries";
import type { PaymentMethod } from "../../api/types";
import { ErrorNote } from "../../components/ErrorNote";

/** Adds a sandbox card by its payment token; the newest card becomes the default. */
export function AddCard({ onAdded }: { onAdded?: (method: PaymentMethod) => void }) {
  const [token, setToken] = useState("tok_visa");
  const add = useApiMutation<void, PaymentMethod>(() => ({
    path: "/v1/payment-methods",
    body: { token },
  }));
  return (
    <fieldset className="add-card">
      <legend>Add a card</legend>
      <p className="hint">This is the sandbox: choose a test card.</p>
      <label className="radio">
        <input
          type="radio"
          name="card-token"
          value="tok_visa"
          checked={token === "tok_visa"}
          onChange={() => setToken("tok_visa")}
        />{" "}
        Visa test card (charges succeed)
      </label>
      <label className="radio">
        <input
          type="radio"
          name="card-token"
          value="tok_chargeDeclined"
          checked={token === "tok_chargeDeclined"}
          onChange={() => setToken("tok_chargeDeclined")}
        />{" "}
        Test card that is always declined
      </label>
      <ErrorNote error={add.error} />
      <button
        type="button"
        className="btn-secondary"
        disabled={add.isPending}
        onClick={() => add.mutate(undefined, { onSuccess: (method) => onAdded?.(method) })}
      >
        {add.isPending ? "Adding…" : "Add card"}
      </button>
    </fieldset>
  );
}
