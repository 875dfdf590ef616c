import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState, type FormEvent } from "react";
import { Link, Navigate, useLocation, useNavigate } from "react-router-dom";
import { ApiError, api } from "../../api/client";
import { keys, useMe } from "../../api/queries";
import type { User } from "../../api/types";
import { ErrorNote } from "../../components/ErrorNote";

type Mode = "login" | "signup";

/** The email field of the log-in, sign-up and password reset forms. */
export function EmailField({
  value,
  onChange,
}: {
  value: string;
  onChange: (value: string) => void;
}) {
  return (
    <div className="field">
      <label htmlFor="email">Email</label>
      <input
        id="email"
        type="email"
        autoComplete="email"
        required
        value={value}
        onChange={(e) => onChange(e.target.value)}
      />
    </div>
  );
}

function AuthForm({ mode }: { mode: Mode }) {
  const me = useMe();
  const client = useQueryClient();
  const navigate = useNavigate();
  const location = useLocation();
  const heading = useRef<HTMLHeadingElement>(null);
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [name, setName] = useState("");
  const from = (location.state as { from?: string } | null)?.from ?? "/";
  const submit = useMutation({
    mutationFn: () =>
      api<{ user: User }>(mode === "login" ? "/v1/auth/login" : "/v1/auth/signup", {
        method: "POST",
        body: mode === "login" ? { email, password } : { email, password, name },
      }),
    onSuccess: async ({ user }) => {
      client.clear();
      client.setQueryData(keys.me, user);
      await navigate(from, { replace: true });
    },
  });
  useEffect(() => heading.current?.focus(), [mode]);
  if (me.data) return <Navigate to="/" replace />;
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    submit.mutate();
  };
  return (
    <main className="auth" id="main">
      <p className="brand">Escrow</p>
      <h1 ref={heading} tabIndex={-1}>
        {mode === "login" ? "Log in" : "Create your account"}
      </h1>
      <p className="muted">
        Money for fixed-price work is held in escrow, one milestone at a time, and released when the
        work is approved.
      </p>
      <form onSubmit={onSubmit} className="card stack">
        {mode === "signup" && (
          <div className="field">
            <label htmlFor="name">Your name</label>
            <input
              id="name"
              autoComplete="name"
              required
              value={name}
              onChange={(e) => setName(e.target.value)}
            />
          </div>
        )}
        <EmailField value={email} onChange={setEmail} />
        <div className="field">
          <label htmlFor="password">Password</label>
          <input
            id="password"
            type="password"
            autoComplete={mode === "login" ? "current-password" : "new-password"}
            required
            minLength={mode === "signup" ? 8 : undefined}
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
          {mode === "signup" && <small className="hint">At least 8 characters.</small>}
        </div>
        <ErrorNote
          error={
            // At login, 401 means the credentials, not an ended session.
            submit.error instanceof ApiError && submit.error.code === "unauthenticated"
              ? new Error("The email or password is wrong.")
              : submit.error
          }
        />
        {mode === "login" && (
          <p className="small">
            <Link to="/forgot-password">Forgot your password?</Link>
          </p>
        )}
        <button type="submit" className="btn-primary" disabled={submit.isPending}>
          {submit.isPending ? "Please wait…" : mode === "login" ? "Log in" : "Sign up"}
        </button>
      </form>
      <p>
        {mode === "login" ? (
          <>
            New here? <Link to="/signup">Create an account</Link>
          </>
        ) : (
          <>
            Already have an account? <Link to="/login">Log in</Link>
          </>
        )}
      </p>
    </main>
  );
}

export function LoginPage() {
  return <AuthForm mode="login" />;
}

export function SignupPage() {
  return <AuthForm mode="signup" />;
}
