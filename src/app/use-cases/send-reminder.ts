import { decideReminder, type ReminderSubject } from "../../domain/reminders.js";
import type { CommandContext } from "../ports.js";
import { onContract } from "./load.js";

/** R14, R18: the system reminds both parties before an automatic action. */
export function sendReminder(ctx: CommandContext, contractId: string, subject: ReminderSubject) {
  return onContract(ctx, contractId, (agg, dctx) => decideReminder(agg, subject, dctx.now));
}
