/**
 * The database schema as Kysely types. Times are epoch milliseconds (BIGINT); amounts are minor
 * units (BIGINT); booleans are 0/1 integers and JSON is text, so one schema serves SQLite and
 * PostgreSQL alike.
 */
export interface UsersTable {
  id: string;
  email: string;
  name: string;
  password_hash: string;
  is_staff: number;
  created_at: number;
}

export interface SessionsTable {
  id: string;
  token_hash: string;
  user_id: string;
  created_at: number;
  last_used_at: number;
  expires_at: number;
  revoked_at: number | null;
}

export interface PasswordResetsTable {
  /** SHA-256 of the token in the emailed link; the token itself is never stored. */
  token_hash: string;
  user_id: string;
  created_at: number;
  expires_at: number;
  used_at: number | null;
}

export interface PaymentMethodsTable {
  id: string;
  user_id: string;
  provider: string;
  token: string;
  brand: string;
  last4: string;
  created_at: number;
}

export interface ContractsTable {
  id: string;
  client_id: string;
  freelancer_id: string;
  title: string;
  description: string;
  currency: string;
  status: string;
  review_window_days: number;
  refund_window_days: number;
  escrow_balance: number;
  ended_by: string | null;
  created_at: number;
  accepted_at: number | null;
  ended_at: number | null;
}

export interface MilestonesTable {
  id: string;
  contract_id: string;
  position: number;
  title: string;
  description: string;
  amount: number;
  due_date: string | null;
  status: string;
  funded_amount: number;
  released_amount: number;
  submitted_at: number | null;
  auto_approve_at: number | null;
  created_at: number;
}

export interface SubmissionsTable {
  id: string;
  milestone_id: string;
  message: string;
  links: string;
  created_at: number;
  review_outcome: string | null;
  review_message: string | null;
  reviewed_at: number | null;
}

export interface RefundRequestsTable {
  id: string;
  contract_id: string;
  amount: number;
  reason: string;
  status: string;
  respond_by: number;
  dispute_id: string | null;
  created_at: number;
  answered_at: number | null;
}

export interface DisputesTable {
  id: string;
  refund_request_id: string;
  contract_id: string;
  amount: number;
  reason: string;
  status: string;
  refund_amount: number | null;
  release_amount: number | null;
  resolution_reason: string | null;
  resolved_by: string | null;
  resolved_at: number | null;
  created_at: number;
}

export interface DueDateChangesTable {
  id: string;
  milestone_id: string;
  contract_id: string;
  due_date: string;
  proposed_by: string;
  status: string;
  created_at: number;
  answered_at: number | null;
}

export interface JournalEntriesTable {
  id: string;
  contract_id: string;
  /** Unique: what caused the movement (`release:<milestoneId>`), so it cannot happen twice. */
  cause: string;
  currency: string;
  provider_reference: string | null;
  created_at: number;
}

export interface PostingsTable {
  id: string;
  entry_id: string;
  account: string;
  account_kind: string;
  owner_user_id: string | null;
  contract_id: string;
  milestone_id: string | null;
  type: string;
  amount: number;
  currency: string;
  created_at: number;
}

export interface EventsTable {
  id: string;
  contract_id: string;
  type: string;
  actor_kind: string;
  actor_user_id: string | null;
  created_at: number;
  data: string;
}

export interface IdempotencyKeysTable {
  user_id: string;
  endpoint: string;
  key: string;
  fingerprint: string;
  status: number | null;
  body: string | null;
  created_at: number;
}

export interface ClockTable {
  id: number;
  now: number;
}

export interface RateLimitsTable {
  key: string;
  window_start: number;
  count: number;
}

export interface RemindersSentTable {
  subject_id: string;
  deadline: number;
  days_before: number;
  contract_id: string;
  sent_at: number;
}

export interface Database {
  reminders_sent: RemindersSentTable;
  rate_limits: RateLimitsTable;
  users: UsersTable;
  sessions: SessionsTable;
  password_resets: PasswordResetsTable;
  payment_methods: PaymentMethodsTable;
  contracts: ContractsTable;
  milestones: MilestonesTable;
  submissions: SubmissionsTable;
  refund_requests: RefundRequestsTable;
  disputes: DisputesTable;
  due_date_changes: DueDateChangesTable;
  journal_entries: JournalEntriesTable;
  postings: PostingsTable;
  events: EventsTable;
  idempotency_keys: IdempotencyKeysTable;
  test_clock: ClockTable;
}
