/** Real server processes: the built `escrow serve` (dist), as `npm start` runs it. */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { freePort } from "../../test/support/processes.js";
import { serverEnv, type DbLocation } from "./app.js";

export const ROOT = path.resolve(import.meta.dirname, "../..");
const ENTRY = path.join(ROOT, "dist/src/cli/main.js");

export interface ServerProcess {
  readonly url: string;
  readonly pid: number;
  readonly child: ChildProcess;
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Resident memory, bytes (Linux /proc). */
  rss(): number;
}

/** The canned-reply baseline server (TypeScript, loaded through tsx). */
export const CANNED_SERVER = ["--import", "tsx", path.join(ROOT, "bench/lib/canned-server.ts")];

export function builtServerExists(): boolean {
  return fs.existsSync(ENTRY);
}

export async function startServer(
  location: DbLocation,
  extra: Record<string, string> = {},
  program: readonly string[] = [ENTRY, "serve"],
): Promise<ServerProcess> {
  const port = await freePort();
  // ESCROW_BENCH_NODE_ARGS adds flags to the server processes, e.g. "--cpu-prof --cpu-prof-dir=DIR".
  const nodeArgs = (process.env.ESCROW_BENCH_NODE_ARGS ?? "").split(" ").filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, ...program], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? "",
      ...serverEnv(location, extra),
      PORT: String(port),
      HOST: "127.0.0.1",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited ${child.exitCode}:\n${output}`);
    try {
      const ready = await fetch(`${url}/readyz`);
      if (ready.ok) break;
    } catch {
      // not yet listening
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`server not ready:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    url,
    pid: child.pid!,
    child,
    output: () => output,
    rss: () => {
      try {
        const status = fs.readFileSync(`/proc/${child.pid}/status`, "utf8");
        const kb = /VmRSS:\s+(\d+)/.exec(status)?.[1];
        return kb ? Number(kb) * 1024 : Number.NaN;
      } catch {
        return Number.NaN;
      }
    },
    stop: (signal = "SIGTERM") =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
        child.once("exit", () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill(signal);
      }),
  };
}
