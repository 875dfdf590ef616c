import type { Contract, Milestone } from "../../api/types";

export type Viewer = "client" | "freelancer" | "staff";

export function viewerOf(contract: Contract, userId: string): Viewer {
  if (contract.client.id === userId) return "client";
  if (contract.freelancer.id === userId) return "freelancer";
  return "staff";
}

/** The milestone holding money right now (at most one, R11). */
export function currentFunded(contract: Contract): Milestone | undefined {
  return contract.milestones.find((m) =>
    ["funded", "submitted", "changes_requested"].includes(m.status),
  );
}

/** The next milestone the client may fund: every earlier one paid or cancelled, none funded. */
export function nextFundable(contract: Contract): Milestone | undefined {
  if (currentFunded(contract)) return undefined;
  for (const m of contract.milestones) {
    if (m.status === "paid" || m.status === "cancelled") continue;
    return m.status === "pending" ? m : undefined;
  }
  return undefined;
}

export interface NeededAction {
  label: string;
  /** When the system acts on its own if nobody does. */
  automatic?: { text: string; at: string };
}

/** What this viewer must answer on this contract, most urgent first. */
export function neededActions(contract: Contract, userId: string): NeededAction[] {
  const viewer = viewerOf(contract, userId);
  const next = contract.nextAutomaticAction;
  const out: NeededAction[] = [];
  if (contract.status === "offered" && viewer === "freelancer") {
    out.push({ label: "Offer to answer" });
  }
  for (const m of contract.milestones) {
    if (viewer === "client" && m.status === "submitted") {
      const auto =
        next?.type === "milestone_auto_approval" && next.milestoneId === m.id
          ? { text: "auto-approves", at: next.at }
          : undefined;
      out.push({ label: `Submission to review: ${m.title}`, ...(auto ? { automatic: auto } : {}) });
    }
    if (
      viewer === "freelancer" &&
      m.status === "changes_requested" &&
      contract.status === "active"
    ) {
      out.push({ label: `Changes requested: ${m.title}` });
    }
  }
  if (viewer === "freelancer" && next?.type === "refund_auto_approval") {
    out.push({
      label: "Refund request to answer",
      automatic: { text: "refund approves automatically", at: next.at },
    });
  }
  if (viewer === "client" && contract.status === "active" && nextFundable(contract)) {
    out.push({ label: `Fund the next milestone: ${nextFundable(contract)!.title}` });
  }
  return out;
}
