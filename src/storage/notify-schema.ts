/** The tables of migration 0002 (notifications), as Kysely types; see schema.ts for the rest. */
export type OutboxTable = {
  event_id: string;
  contract_id: string;
  created_at: number;
};

export type NotificationsTable = {
  id: string;
  user_id: string;
  event_id: string;
  contract_id: string;
  type: string;
  message: string;
  created_at: number;
  read_at: number | null;
};

export type WebhookEndpointsTable = {
  id: string;
  user_id: string;
  url: string;
  events: string | null;
  secret: string;
  created_at: number;
  deleted_at: number | null;
};

export type DeliveriesTable = {
  id: string;
  channel: string;
  event_id: string;
  event_type: string;
  recipient: string;
  payload: string;
  status: string;
  attempts: number;
  next_attempt_at: number;
  lease_until: number | null;
  lease_token: string | null;
  last_status_code: number | null;
  last_error: string | null;
  created_at: number;
  last_attempt_at: number | null;
  delivered_at: number | null;
};

export type NotifyTables = {
  outbox: OutboxTable;
  notifications: NotificationsTable;
  webhook_endpoints: WebhookEndpointsTable;
  deliveries: DeliveriesTable;
};
