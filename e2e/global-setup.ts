/** Builds the web app once for every browser journey, and checks the browser is there. */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { CHROMIUM } from "./support.js";

/** On a fresh Debian machine (as root), Debian's Chromium is installed; never a downloaded browser. */
function ensureChromium(): void {
  if (existsSync(CHROMIUM)) return;
  if (process.getuid?.() === 0 && existsSync("/usr/bin/apt-get")) {
    console.log(`${CHROMIUM} is missing: installing Debian's chromium package`);
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
    execFileSync("apt-get", ["update", "-qq"], { stdio: "inherit", env });
    execFileSync("apt-get", ["install", "-y", "-qq", "chromium"], { stdio: "inherit", env });
  }
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} is missing: install Debian's Chromium with \`apt-get update && apt-get install -y chromium\``,
    );
  }
}

export default function setup(): void {
  ensureChromium();
  // Vitest sets NODE_ENV=test; the app under test is the production build.
  execFileSync("npm", ["run", "build:web", "--silent"], {
    stdio: "inherit",
    env: { ...process.env, NODE_ENV: "production" },
  });
}
