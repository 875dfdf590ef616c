/**
 * What the HTTP layer is given by the composition root (src/main.ts).
 */
import type { Deps, Tx } from "../app/ports.js";
import type { RateLimiter } from "../auth/rate-limit.js";
import type { Sessions } from "../auth/sessions.js";
import type { Config } from "../config.js";
import type { ReadModel } from "../storage/read-model.js";
import type { ReportQueries } from "../storage/report.js";
import type { Lists } from "../storage/lists.js";
import type { Accounts } from "../auth/accounts.js";
import type { PasswordResets } from "../auth/password-resets.js";
import type { ContractResource, UserResource } from "./route.js";
import type { NotificationStore } from "../storage/notifications.js";
import type { Dispatcher } from "../notify/dispatcher.js";

export interface Parties {
  readonly contractId: string;
  readonly clientId: string;
  readonly freelancerId: string;
}

export interface TestClockControl {
  now(): Promise<number>;
  /** Moves the clock and runs every rule that fell due, in due order, before answering. */
  advance(seconds: number): Promise<number>;
}

export interface Services {
  readonly deps: Deps;
  readonly config: Config;
  readonly readModel: ReadModel;
  readModelIn(tx: Tx): ReadModel;
  readonly lists: Lists;
  readonly report: ReportQueries;
  readonly accounts: Accounts;
  readonly passwordResets: PasswordResets;
  readonly sessions: Sessions;
  readonly rateLimiter: RateLimiter;
  /** The contract and parties an object belongs to, or undefined when it does not exist. */
  parties(resource: ContractResource, id: string): Promise<Parties | undefined>;
  /** The user an owned object (notification, webhook endpoint) belongs to; undefined if none. */
  ownerOf(resource: UserResource, id: string): Promise<string | undefined>;
  /** In-app notifications and webhook endpoints (docs/NOTIFICATIONS.md). */
  readonly notifications: NotificationStore;
  readonly dispatcher: Dispatcher;
  readonly testClock: TestClockControl | null;
  /** Real time, for sessions and throttling, whatever clock the rules run on. */
  wallClock(): number;
  /** True once the database answers (for /readyz). */
  ready(): Promise<boolean>;
}
