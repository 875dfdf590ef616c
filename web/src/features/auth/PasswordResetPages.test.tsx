import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { cleanup, render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter, Route, Routes } from "react-router-dom";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ForgotPasswordPage, ResetPasswordPage } from "./PasswordResetPages";

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

/** Answers every request with `status` and `body`, and records what was sent. */
function stubFetch(status: number, body: unknown) {
  const sent: { url: string; body: unknown }[] = [];
  vi.stubGlobal(
    "fetch",
    vi.fn((url: string, init: RequestInit) => {
      sent.push({ url, body: JSON.parse(init.body as string) });
      return Promise.resolve(new Response(JSON.stringify(body), { status }));
    }),
  );
  return sent;
}

function renderAt(entry: string) {
  render(
    <QueryClientProvider client={new QueryClient()}>
      <MemoryRouter initialEntries={[entry]}>
        <Routes>
          <Route path="/forgot-password" element={<ForgotPasswordPage />} />
          <Route path="/reset-password" element={<ResetPasswordPage />} />
          <Route path="/" element={<h1>Dashboard</h1>} />
        </Routes>
      </MemoryRouter>
    </QueryClientProvider>,
  );
  return userEvent.setup();
}

describe("password reset pages (R1)", () => {
  it("asks for a link and then says the same thing whatever the answer would reveal", async () => {
    const sent = stubFetch(202, {});
    const user = renderAt("/forgot-password");
    await user.type(screen.getByLabelText("Email"), "rita@example.com");
    await user.click(screen.getByRole("button", { name: "Email me a link" }));
    expect((await screen.findByRole("status")).textContent).toContain(
      "If an account uses rita@example.com, an email with a link",
    );
    expect(sent).toEqual([{ url: "/v1/auth/password-reset", body: { email: "rita@example.com" } }]);
  });

  it("sends the link's token with the new password only when both entries match, then opens the dashboard", async () => {
    const sent = stubFetch(200, {
      user: { id: "usr_1", email: "rita@example.com", name: "Rita", isStaff: false },
      token: "t",
    });
    const user = renderAt("/reset-password#token=abc_DEF-123");
    const submit = () => screen.getByRole("button", { name: "Set password and log in" });
    await user.type(screen.getByLabelText("New password"), "a brand new passphrase");
    await user.type(screen.getByLabelText("New password, again"), "a brand new passphrasX");
    expect(screen.getByText("The two passwords differ.")).toBeTruthy();
    expect(submit()).toHaveProperty("disabled", true);
    await user.clear(screen.getByLabelText("New password, again"));
    await user.type(screen.getByLabelText("New password, again"), "a brand new passphrase");
    expect(submit()).toHaveProperty("disabled", false);
    await user.click(submit());
    expect(await screen.findByRole("heading", { name: "Dashboard" })).toBeTruthy();
    expect(sent).toEqual([
      {
        url: "/v1/auth/password-reset/confirm",
        body: { token: "abc_DEF-123", password: "a brand new passphrase" },
      },
    ]);
  });

  it("without a token in the link it offers to ask for one instead of a form", () => {
    renderAt("/reset-password");
    expect(screen.queryByLabelText("New password")).toBeNull();
    expect(screen.getByRole("link", { name: "Ask for one" }).getAttribute("href")).toBe(
      "/forgot-password",
    );
  });
});
