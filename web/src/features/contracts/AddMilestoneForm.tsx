import { useState } from "react";
import { useApiMutation } from "../../api/queries";
import type { Contract } from "../../api/types";
import { ErrorNote } from "../../components/ErrorNote";
import { MoneyInput } from "../../components/MoneyInput";
import { toMinorUnits } from "../../lib/money";

/** Appends a milestone to an active contract (R10); it is funded later, in order. */
export function AddMilestoneForm({ contract }: { contract: Contract }) {
  const [open, setOpen] = useState(false);
  const [title, setTitle] = useState("");
  const [description, setDescription] = useState("");
  const [amount, setAmount] = useState("");
  const [dueDate, setDueDate] = useState("");
  const parsed = toMinorUnits(amount, contract.currency);
  const add = useApiMutation(() => ({
    path: `/v1/contracts/${contract.id}/milestones`,
    body: {
      title: title.trim(),
      ...(description.trim() ? { description: description.trim() } : {}),
      amount: parsed.ok ? parsed.minor : 0,
      ...(dueDate ? { dueDate } : {}),
    },
  }));
  if (!open) {
    return (
      <button type="button" className="btn-secondary" onClick={() => setOpen(true)}>
        Add a milestone
      </button>
    );
  }
  return (
    <form
      className="card stack"
      aria-label="Add a milestone"
      onSubmit={(e) => {
        e.preventDefault();
        if (!parsed.ok) return;
        add.mutate(undefined, {
          onSuccess: () => {
            setOpen(false);
            setTitle("");
            setDescription("");
            setAmount("");
            setDueDate("");
          },
        });
      }}
    >
      <h3>New milestone</h3>
      <div className="field">
        <label htmlFor="new-m-title">Title</label>
        <input id="new-m-title" required value={title} onChange={(e) => setTitle(e.target.value)} />
      </div>
      <div className="field">
        <label htmlFor="new-m-desc">Deliverables</label>
        <textarea
          id="new-m-desc"
          rows={2}
          value={description}
          onChange={(e) => setDescription(e.target.value)}
        />
      </div>
      <div className="row">
        <MoneyInput
          label="Amount"
          currency={contract.currency}
          value={amount}
          onChange={setAmount}
          required
        />
        <div className="field">
          <label htmlFor="new-m-due">Due date (optional)</label>
          <input
            id="new-m-due"
            type="date"
            value={dueDate}
            onChange={(e) => setDueDate(e.target.value)}
          />
        </div>
      </div>
      <p className="hint">
        It goes after the last milestone. Nothing is charged until you fund it.
      </p>
      <ErrorNote error={add.error} />
      <div className="actions">
        <button type="submit" className="btn-primary" disabled={add.isPending || !parsed.ok}>
          Add milestone
        </button>
        <button type="button" className="btn-secondary" onClick={() => setOpen(false)}>
          Cancel
        </button>
      </div>
    </form>
  );
}
