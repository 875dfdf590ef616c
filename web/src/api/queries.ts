/** Server state through TanStack Query: one key per resource, every write refreshes them all. */
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { ApiError, api, query, type RequestOptions } from "./client";
import type {
  AppNotification,
  Contract,
  ContractEvent,
  Dispute,
  Page,
  PaymentMethod,
  RefundRequest,
  TransactionPage,
  TransactionTotal,
  User,
} from "./types";

export const keys = {
  me: ["me"] as const,
  contracts: (role: string) => ["contracts", role] as const,
  contract: (id: string) => ["contract", id] as const,
  events: (id: string) => ["events", id] as const,
  refund: (id: string) => ["refund", id] as const,
  paymentMethods: ["payment-methods"] as const,
  disputes: (status: string) => ["disputes", status] as const,
  dispute: (id: string) => ["dispute", id] as const,
  transactions: (params: Record<string, string>) => ["transactions", params] as const,
  transactionTotals: (filters: Record<string, string>) =>
    ["transactions", "totals", filters] as const,
  clock: ["clock"] as const,
  notifications: (filter: "all" | "unread") => ["notifications", filter] as const,
  unread: ["notifications", "unread-count"] as const,
};

/** The most unread notifications counted for the menu's badge; past it the badge says "50+". */
export const UNREAD_COUNTED = 50;

export function useMe() {
  return useQuery({
    queryKey: keys.me,
    queryFn: async () => {
      try {
        return await api<User>("/v1/me");
      } catch (error) {
        if (error instanceof ApiError && error.status === 401) return null;
        throw error;
      }
    },
    staleTime: 60_000,
  });
}

export function useContracts(role: "client" | "freelancer") {
  return useQuery({
    queryKey: keys.contracts(role),
    queryFn: () => api<Page<Contract>>(`/v1/contracts${query({ role, limit: 100 })}`),
  });
}

export function useContract(id: string) {
  return useQuery({
    queryKey: keys.contract(id),
    queryFn: () => api<Contract>(`/v1/contracts/${encodeURIComponent(id)}`),
  });
}

/** The whole history, oldest first, following the pages. */
export function useEvents(contractId: string) {
  return useQuery({
    queryKey: keys.events(contractId),
    queryFn: async () => {
      const all: ContractEvent[] = [];
      let after: string | undefined;
      for (;;) {
        const page = await api<Page<ContractEvent>>(
          `/v1/contracts/${encodeURIComponent(contractId)}/events${query({ limit: 100, startingAfter: after })}`,
        );
        all.push(...page.data);
        if (!page.hasMore || page.data.length === 0) return all;
        after = page.data[page.data.length - 1]!.id;
      }
    },
  });
}

export function useRefundRequest(id: string | null) {
  return useQuery({
    queryKey: keys.refund(id ?? "none"),
    queryFn: () => api<RefundRequest>(`/v1/refund-requests/${encodeURIComponent(id!)}`),
    enabled: id !== null,
  });
}

export function usePaymentMethods() {
  return useQuery({
    queryKey: keys.paymentMethods,
    queryFn: () => api<Page<PaymentMethod>>("/v1/payment-methods"),
  });
}

export function useDisputes(status: "open" | "resolved") {
  return useQuery({
    queryKey: keys.disputes(status),
    queryFn: () => api<Page<Dispute>>(`/v1/disputes${query({ status, limit: 100 })}`),
  });
}

/** Your notifications, newest first, a page at a time ("Show older" fetches the next). */
export function useNotifications(filter: "all" | "unread") {
  return useInfiniteQuery({
    queryKey: keys.notifications(filter),
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) =>
      api<Page<AppNotification>>(
        `/v1/notifications${query({ unread: filter === "unread" ? "true" : undefined, limit: 20, startingAfter: pageParam })}`,
      ),
    getNextPageParam: (last) => (last.hasMore ? last.data[last.data.length - 1]?.id : undefined),
  });
}

/** How many notifications are unread (at most UNREAD_COUNTED, and whether there are more). */
export function useUnreadCount() {
  return useQuery({
    queryKey: keys.unread,
    queryFn: async () => {
      const page = await api<Page<AppNotification>>(
        `/v1/notifications${query({ unread: "true", limit: UNREAD_COUNTED })}`,
      );
      return { count: page.data.length, more: page.hasMore };
    },
    refetchInterval: 30_000,
  });
}

/** Totals over every transaction matching the filters: one request per filter, not per page. */
export function useTransactionTotals(filters: Record<string, string>) {
  return useQuery({
    queryKey: keys.transactionTotals(filters),
    queryFn: () => api<{ data: TransactionTotal[] }>(`/v1/transactions/totals${query(filters)}`),
    placeholderData: (previous) => previous,
  });
}

export function useTransactions(params: Record<string, string>) {
  return useQuery({
    queryKey: keys.transactions(params),
    queryFn: () => api<TransactionPage>(`/v1/transactions${query(params)}`),
    placeholderData: (previous) => previous,
  });
}

/**
 * The server's "now". Usually the wall clock; a server started with the test clock reports its
 * own time at /v1/test-clock (404 otherwise), so countdowns match the rules that will run.
 */
export function useServerNow(): number {
  const clock = useQuery({
    queryKey: keys.clock,
    queryFn: async () => {
      const fetchedAt = Date.now();
      try {
        const { now } = await api<{ now: string }>("/v1/test-clock");
        return new Date(now).getTime() - fetchedAt;
      } catch {
        return 0;
      }
    },
    staleTime: 30_000,
    retry: false,
  });
  return Date.now() + (clock.data ?? 0);
}

/** A write through the API; on success every cached read is refreshed. */
export function useApiMutation<TVariables = void, TResult = unknown>(
  request: (variables: TVariables) => { path: string } & RequestOptions,
) {
  const client = useQueryClient();
  return useMutation<TResult, Error, TVariables>({
    mutationFn: (variables) => {
      const { path, ...options } = request(variables);
      return api<TResult>(path, { method: "POST", ...options });
    },
    onSuccess: () => {
      void client.invalidateQueries();
    },
  });
}
