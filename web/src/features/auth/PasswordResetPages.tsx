import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState, type FormEvent, type ReactNode } from "react";
import { Link, useLocation, useNavigate } from "react-router-dom";
import { api } from "../../api/client";
import { keys } from "../../api/queries";
import type { User } from "../../api/types";
import { ErrorNote } from "../../components/ErrorNote";
import { EmailField } from "./AuthPages";

function AuthShell({ title, children }: { title: string; children: ReactNode }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  return (
    <main className="auth" id="main">
      <p className="brand">Escrow</p>
      <h1 ref={heading} tabIndex={-1}>
        {title}
      </h1>
      {children}
      <p>
        <Link to="/login">Back to log in</Link>
      </p>
    </main>
  );
}

/** Asks for a reset link; says the same whether or not the email has an account. */
export function ForgotPasswordPage() {
  const [email, setEmail] = useState("");
  const request = useMutation({
    mutationFn: () => api<unknown>("/v1/auth/password-reset", { method: "POST", body: { email } }),
  });
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    request.mutate();
  };
  return (
    <AuthShell title="Reset your password">
      {request.isSuccess ? (
        <p className="card" role="status">
          If an account uses {email}, an email with a link to choose a new password is on its way.
          The link works once, for one hour.
        </p>
      ) : (
        <form onSubmit={onSubmit} className="card stack">
          <p className="muted">We will email you a link to choose a new password.</p>
          <EmailField value={email} onChange={setEmail} />
          <ErrorNote error={request.error} />
          <button type="submit" className="btn-primary" disabled={request.isPending}>
            {request.isPending ? "Please wait…" : "Email me a link"}
          </button>
        </form>
      )}
    </AuthShell>
  );
}

/** The emailed link's page: the token is in the URL's fragment, which no server sees. */
export function ResetPasswordPage() {
  const location = useLocation();
  const navigate = useNavigate();
  const client = useQueryClient();
  const token = new URLSearchParams(location.hash.replace(/^#/, "")).get("token") ?? "";
  const [password, setPassword] = useState("");
  const [again, setAgain] = useState("");
  const confirm = useMutation({
    mutationFn: () =>
      api<{ user: User }>("/v1/auth/password-reset/confirm", {
        method: "POST",
        body: { token, password },
      }),
    onSuccess: async ({ user }) => {
      client.clear();
      client.setQueryData(keys.me, user);
      await navigate("/", { replace: true });
    },
  });
  const mismatch = again.length > 0 && again !== password;
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    if (!mismatch) confirm.mutate();
  };
  if (!token) {
    return (
      <AuthShell title="Choose a new password">
        <p className="card">
          This page needs the link from the email. <Link to="/forgot-password">Ask for one</Link>.
        </p>
      </AuthShell>
    );
  }
  return (
    <AuthShell title="Choose a new password">
      <form onSubmit={onSubmit} className="card stack">
        <p className="muted">Every device logged in to your account will be logged out.</p>
        <div className="field">
          <label htmlFor="new-password">New password</label>
          <input
            id="new-password"
            type="password"
            autoComplete="new-password"
            required
            minLength={8}
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
          <small className="hint">At least 8 characters.</small>
        </div>
        <div className="field">
          <label htmlFor="again">New password, again</label>
          <input
            id="again"
            type="password"
            autoComplete="new-password"
            required
            value={again}
            aria-invalid={mismatch}
            aria-describedby={mismatch ? "again-error" : undefined}
            onChange={(e) => setAgain(e.target.value)}
          />
          {mismatch && (
            <small id="again-error" className="error-note">
              The two passwords differ.
            </small>
          )}
        </div>
        <ErrorNote error={confirm.error} />
        {confirm.error !== null && (
          <p>
            <Link to="/forgot-password">Ask for a new link</Link>
          </p>
        )}
        <button type="submit" className="btn-primary" disabled={confirm.isPending || mismatch}>
          {confirm.isPending ? "Please wait…" : "Set password and log in"}
        </button>
      </form>
    </AuthShell>
  );
}
