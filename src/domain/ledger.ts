/**
 * The double-entry ledger (R4, R5). Chart of accounts, one set per currency:
 * - `payment_source:<userId>`: the client's payment methods, seen from the client. A charge
 *   credits it (negative), a refund debits it (positive); its balance is minus what the client
 *   has net paid in.
 * - `escrow:<contractId>`: money held for one contract. Never negative.
 * - `earnings:<userId>`: what a freelancer has been paid.
 * A posting's amount is the change to its account's balance; the postings of one journal entry
 * sum to zero. Each posting carries the transaction type the report shows (R21).
 */
import { sumAmounts } from "./money.js";

export type TransactionType =
  | "escrow_deposit"
  | "milestone_payment"
  | "extra_payment"
  | "escrow_refund"
  | "dispute_release"
  | "dispute_refund";

export const TRANSACTION_TYPES: readonly TransactionType[] = [
  "escrow_deposit",
  "milestone_payment",
  "extra_payment",
  "escrow_refund",
  "dispute_release",
  "dispute_refund",
];

export type AccountKind = "payment_source" | "escrow" | "earnings";

export interface PostingDraft {
  readonly account: string;
  readonly accountKind: AccountKind;
  /** The user whose money this account is (payment_source, earnings); null for escrow. */
  readonly ownerUserId: string | null;
  readonly amount: number;
  readonly type: TransactionType;
  readonly milestoneId: string | null;
}

/** A movement of money as the rules speak of it; turned into postings by `postingsFor`. */
export type Movement =
  | { readonly kind: "deposit"; readonly amount: number; readonly milestoneId: string | null }
  | { readonly kind: "release"; readonly amount: number; readonly milestoneId: string | null }
  | { readonly kind: "extra"; readonly amount: number; readonly milestoneId: string | null }
  | { readonly kind: "refund"; readonly amount: number; readonly milestoneId: string | null }
  | {
      readonly kind: "dispute_release";
      readonly amount: number;
      readonly milestoneId: string | null;
    }
  | {
      readonly kind: "dispute_refund";
      readonly amount: number;
      readonly milestoneId: string | null;
    };

export interface LedgerParties {
  readonly contractId: string;
  readonly clientId: string;
  readonly freelancerId: string;
}

function posting(
  kind: AccountKind,
  id: string,
  amount: number,
  type: TransactionType,
  milestoneId: string | null,
): PostingDraft {
  const account = `${kind}:${id}`;
  return {
    account,
    accountKind: kind,
    ownerUserId: kind === "escrow" ? null : id,
    amount,
    type,
    milestoneId,
  };
}

/** The balanced postings of one movement. */
export function postingsFor(parties: LedgerParties, movement: Movement): PostingDraft[] {
  const { contractId, clientId, freelancerId } = parties;
  const { amount, milestoneId } = movement;
  if (!Number.isSafeInteger(amount) || amount <= 0)
    throw new Error(`bad movement amount ${amount}`);
  switch (movement.kind) {
    case "deposit":
      return [
        posting("payment_source", clientId, -amount, "escrow_deposit", milestoneId),
        posting("escrow", contractId, amount, "escrow_deposit", milestoneId),
      ];
    case "release":
      return [
        posting("escrow", contractId, -amount, "milestone_payment", milestoneId),
        posting("earnings", freelancerId, amount, "milestone_payment", milestoneId),
      ];
    case "extra":
      // Charged to the client and released with the milestone in the same entry (R15).
      return [
        posting("payment_source", clientId, -amount, "extra_payment", milestoneId),
        posting("earnings", freelancerId, amount, "extra_payment", milestoneId),
      ];
    case "refund":
      return [
        posting("escrow", contractId, -amount, "escrow_refund", milestoneId),
        posting("payment_source", clientId, amount, "escrow_refund", milestoneId),
      ];
    case "dispute_release":
      return [
        posting("escrow", contractId, -amount, "dispute_release", milestoneId),
        posting("earnings", freelancerId, amount, "dispute_release", milestoneId),
      ];
    case "dispute_refund":
      return [
        posting("escrow", contractId, -amount, "dispute_refund", milestoneId),
        posting("payment_source", clientId, amount, "dispute_refund", milestoneId),
      ];
  }
}

/** Net change a list of movements makes to the contract's escrow account. */
export function escrowDelta(movements: readonly Movement[]): number {
  return sumAmounts(
    movements.map((m) => {
      switch (m.kind) {
        case "deposit":
          return m.amount;
        case "extra":
          return 0;
        case "release":
        case "refund":
        case "dispute_release":
        case "dispute_refund":
          return -m.amount;
      }
    }),
  );
}

/** Throws when postings do not sum to zero: an unbalanced entry is a programmer bug. */
export function assertBalanced(postings: readonly PostingDraft[]): void {
  if (postings.length < 2 || sumAmounts(postings.map((p) => p.amount)) !== 0) {
    throw new Error("unbalanced journal entry");
  }
}
