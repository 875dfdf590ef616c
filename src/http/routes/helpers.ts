/** Small pieces the route files share: paging, rendering views inside a command. */
import type { StoredResponse, Tx } from "../../app/ports.js";
import { UnknownCursorError, type PageRequest } from "../../storage/lists.js";
import { HttpFailure } from "../errors.js";
import type { Services } from "../services.js";

export function paging(
  query: { limit?: string | undefined; startingAfter?: string | undefined } | undefined,
): PageRequest {
  const raw = query?.limit;
  const limit = raw === undefined ? 20 : Number(raw);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
    throw new HttpFailure(
      400,
      "validation_failed",
      "limit must be a whole number from 1 to 100",
      "limit",
    );
  }
  return { limit, startingAfter: query?.startingAfter };
}

/** Answers 400 for a `startingAfter` that names no item of the list. */
export async function listed<T>(list: () => Promise<T>): Promise<T> {
  try {
    return await list();
  } catch (error) {
    if (error instanceof UnknownCursorError) {
      throw new HttpFailure(
        400,
        "validation_failed",
        "startingAfter is not an item of this list",
        "startingAfter",
      );
    }
    throw error;
  }
}

export function renderContract(services: Services, status = 200) {
  return async (contractId: string, tx: Tx, now: number): Promise<StoredResponse> => ({
    status,
    body: await services.readModelIn(tx).contract(contractId, now),
  });
}

export function renderMilestone(services: Services, status = 200) {
  return async (milestoneId: string, tx: Tx, now: number): Promise<StoredResponse> => ({
    status,
    body: await services.readModelIn(tx).milestone(milestoneId, now),
  });
}

export async function renderRefundRequest(
  services: Services,
  id: string,
  tx: Tx,
): Promise<StoredResponse> {
  return { status: 200, body: await services.readModelIn(tx).refundRequest(id) };
}
