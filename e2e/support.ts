/**
 * Browser journeys: a real server process on a free port with a fresh data directory and the
 * test clock, and Debian's Chromium driven by playwright-core with a fresh profile.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type BrowserContext, type Page } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const OUTPUT = path.join(ROOT, "test-output");
export const STAFF = { email: "staff@example.com", password: "staff password 1" };
export const PASSWORD = "a long password";

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface Api {
  <T = any>(method: string, url: string, token?: string, body?: unknown): Promise<T>;
}

export interface Server {
  readonly url: string;
  readonly api: Api;
  signUp(name: string, card?: string): Promise<{ id: string; email: string; token: string }>;
  advanceClock(seconds: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startServer(env: Record<string, string> = {}): Promise<Server> {
  const port = await freePort();
  const dataDir = mkdtempSync(path.join(tmpdir(), "escrow-e2e-"));
  const child: ChildProcess = spawn(
    process.execPath,
    ["--import", "tsx", "src/cli/main.ts", "serve"],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        PORT: String(port),
        HOST: "127.0.0.1",
        ESCROW_DATA_DIR: dataDir,
        ESCROW_TEST_CLOCK: "1",
        ESCROW_INSECURE_FAST_PASSWORD_HASH: "1",
        ESCROW_BOOTSTRAP_STAFF: `${STAFF.email}:${STAFF.password}`,
        ESCROW_PUBLIC_URL: `http://127.0.0.1:${port}`,
        LOG_LEVEL: "warn",
        DATABASE_URL: "",
        ...env,
      },
      stdio: ["ignore", "inherit", "inherit"],
    },
  );
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    try {
      const res = await fetch(`${url}/readyz`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error("server did not become ready in 30s");
    await new Promise((r) => setTimeout(r, 150));
  }
  const api: Api = async (method, pathname, token, body) => {
    const res = await fetch(url + pathname, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined ? { "content-type": "application/json" } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${pathname}: ${res.status} ${text}`);
    return text ? JSON.parse(text) : undefined;
  };
  let users = 0;
  return {
    url,
    api,
    async signUp(name, card = "tok_visa") {
      const email = `${name.toLowerCase()}${++users}@example.com`;
      const { user, token } = await api("POST", "/v1/auth/signup", undefined, {
        email,
        password: PASSWORD,
        name,
      });
      if (card) await api("POST", "/v1/payment-methods", token, { token: card });
      return { id: user.id, email, token };
    },
    async advanceClock(seconds) {
      await api("POST", "/v1/test-clock/advance", undefined, { seconds });
    },
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGTERM");
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
        if (child.exitCode === null) child.kill("SIGKILL");
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface Browser {
  readonly context: BrowserContext;
  readonly page: Page;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<Browser> {
  const profile = mkdtempSync(path.join(tmpdir(), "escrow-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-quic",
      "--no-first-run",
      "--disable-component-update",
      "--disable-sync",
    ],
    viewport: { width: 1200, height: 900 },
    locale: "en-US",
    timezoneId: "UTC",
    acceptDownloads: true,
  });
  context.setDefaultTimeout(10_000);
  const page = context.pages()[0] ?? (await context.newPage());
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  page.on("console", (message) => {
    // A CSP violation or a script error must fail the journey, not hide in the log.
    if (message.type() === "error" && !/Failed to load resource/.test(message.text())) {
      errors.push(message.text());
    }
  });
  return {
    context,
    page,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
      if (errors.length > 0) throw new Error(`browser errors: ${errors.join("\n")}`);
    },
  };
}

export async function logIn(page: Page, server: Server, email: string, password = PASSWORD) {
  await page.goto(`${server.url}/login`);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByRole("button", { name: "Log out" }).waitFor();
}

export async function logOut(page: Page) {
  await page.getByRole("button", { name: "Log out" }).click();
  await page.getByRole("heading", { name: "Log in" }).waitFor();
}

export async function screenshot(page: Page, name: string) {
  mkdirSync(OUTPUT, { recursive: true });
  await page.screenshot({ path: path.join(OUTPUT, `${name}.png`), fullPage: true });
}
