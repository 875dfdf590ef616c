import {
  QueryClient,
  QueryClientProvider,
  useMutation,
  useQueryClient,
} from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import {
  BrowserRouter,
  Link,
  Navigate,
  NavLink,
  Outlet,
  Route,
  Routes,
  useLocation,
  useNavigate,
} from "react-router-dom";
import { ApiError, api } from "../api/client";
import { keys, useMe, useUnreadCount } from "../api/queries";
import { LoginPage, SignupPage } from "../features/auth/AuthPages";
import { ForgotPasswordPage, ResetPasswordPage } from "../features/auth/PasswordResetPages";
import { ContractPage } from "../features/contracts/ContractPage";
import { DashboardPage } from "../features/dashboard/DashboardPage";
import { NotificationsPage } from "../features/notifications/NotificationsPage";
import { NewOfferPage } from "../features/offers/NewOfferPage";
import { DisputeConsole } from "../features/staff/DisputeConsole";
import { TransactionsPage } from "../features/transactions/TransactionsPage";

function makeClient() {
  return new QueryClient({
    defaultOptions: {
      queries: {
        retry: (count, error) => !(error instanceof ApiError && error.status < 500) && count < 2,
        refetchOnWindowFocus: true,
        staleTime: 5_000,
      },
    },
  });
}

/** Moves focus to the main heading after each navigation, for keyboard and screen readers. */
function useFocusOnNavigate(target: React.RefObject<HTMLElement | null>) {
  const location = useLocation();
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    target.current?.focus();
  }, [location.pathname, target]);
}

/** The menu's link to the notifications, with how many are unread. */
function NotificationsLink() {
  const unread = useUnreadCount();
  const count = unread.data?.count ?? 0;
  const text = unread.data?.more ? `${count}+` : String(count);
  return (
    <NavLink
      to="/notifications"
      aria-label={count > 0 ? `Notifications, ${text} unread` : "Notifications"}
    >
      Notifications
      {count > 0 && (
        <span className="count" aria-hidden="true">
          {text}
        </span>
      )}
    </NavLink>
  );
}

function Shell() {
  const me = useMe();
  const client = useQueryClient();
  const navigate = useNavigate();
  const main = useRef<HTMLElement>(null);
  const loggingOut = useRef(false);
  useFocusOnNavigate(main);
  const logout = useMutation({
    mutationFn: () => api<void>("/v1/auth/logout", { method: "POST" }),
  });
  const location = useLocation();
  if (me.isPending) return <p className="loading">Loading…</p>;
  if (!me.data) {
    return (
      <Navigate
        to="/login"
        replace
        state={loggingOut.current ? null : { from: location.pathname }}
      />
    );
  }
  const user = me.data;
  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <Link to="/" className="brand">
          Escrow
        </Link>
        <nav aria-label="Main">
          <NavLink to="/" end>
            Dashboard
          </NavLink>
          <NavLink to="/offers/new">New offer</NavLink>
          <NavLink to="/transactions">Transactions</NavLink>
          <NotificationsLink />
          {user.isStaff && <NavLink to="/staff/disputes">Disputes</NavLink>}
        </nav>
        <div className="who">
          <span title={user.email}>
            {user.name}
            {user.isStaff ? " (staff)" : ""}
          </span>
          <button
            type="button"
            className="btn-link"
            onClick={() =>
              logout.mutate(undefined, {
                onSettled: () => {
                  // A deliberate logout: the next user starts at the dashboard, not on this page.
                  loggingOut.current = true;
                  client.clear();
                  client.setQueryData(keys.me, null);
                  void navigate("/login", { replace: true });
                },
              })
            }
          >
            Log out
          </button>
        </div>
      </header>
      <main id="main" ref={main} tabIndex={-1}>
        <Outlet context={user} />
      </main>
    </>
  );
}

export function App() {
  const [client] = useState(makeClient);
  return (
    <QueryClientProvider client={client}>
      <BrowserRouter>
        <Routes>
          <Route path="/login" element={<LoginPage />} />
          <Route path="/signup" element={<SignupPage />} />
          <Route path="/forgot-password" element={<ForgotPasswordPage />} />
          <Route path="/reset-password" element={<ResetPasswordPage />} />
          <Route element={<Shell />}>
            <Route index element={<DashboardPage />} />
            <Route path="/offers/new" element={<NewOfferPage />} />
            <Route path="/contracts/:id" element={<ContractPage />} />
            <Route path="/transactions" element={<TransactionsPage />} />
            <Route path="/notifications" element={<NotificationsPage />} />
            <Route path="/staff/disputes" element={<DisputeConsole />} />
            <Route path="/staff/disputes/:id" element={<DisputeConsole />} />
            <Route path="*" element={<p>This page does not exist.</p>} />
          </Route>
        </Routes>
      </BrowserRouter>
    </QueryClientProvider>
  );
}
