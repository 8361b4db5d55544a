// Runs wrangler with everything that would reach the network turned off: telemetry, the update check
// (it runs with the banner) and the `Request.cf` download. `npm start` and the deploy checks go through here.
import { spawn } from "node:child_process";

const env = {
  ...process.env,
  WRANGLER_SEND_METRICS: "false",
  WRANGLER_HIDE_BANNER: "true",
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
};
const args = process.argv.slice(2);
// `npm start -- --port 8790` must win over the defaults, so defaults are added only when absent.
const defaults = { "--ip": "127.0.0.1", "--port": "8787" };
if (args[0] === "dev")
  for (const [flag, value] of Object.entries(defaults))
    if (!args.some((arg) => arg === flag || arg.startsWith(`${flag}=`))) args.push(flag, value);

const child = spawn("wrangler", args, { env, stdio: "inherit", shell: process.platform === "win32" });
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
