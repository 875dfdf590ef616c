const LABELS: Record<string, string> = {
  offered: "Offer sent",
  active: "Active",
  ended: "Ended",
  declined: "Declined",
  withdrawn: "Withdrawn",
  pending: "Not funded",
  funded: "Funded",
  submitted: "Submitted for review",
  changes_requested: "Changes requested",
  paid: "Paid",
  refunded: "Refunded",
  cancelled: "Cancelled",
};

const TONES: Record<string, string> = {
  active: "ok",
  paid: "ok",
  funded: "info",
  submitted: "warn",
  changes_requested: "warn",
  offered: "warn",
};

export function StatusBadge({ status }: { status: string }) {
  return (
    <span className={`badge badge-${TONES[status] ?? "muted"}`}>{LABELS[status] ?? status}</span>
  );
}
