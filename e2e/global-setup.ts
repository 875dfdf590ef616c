/** Builds the web app once for every browser journey, and checks the browser is there. */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { CHROMIUM } from "./support.js";

export default function setup(): void {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} is missing: install Debian's Chromium with \`apt-get update && apt-get install -y chromium\``,
    );
  }
  // Vitest sets NODE_ENV=test; the app under test is the production build.
  execFileSync("npm", ["run", "build:web", "--silent"], {
    stdio: "inherit",
    env: { ...process.env, NODE_ENV: "production" },
  });
}
