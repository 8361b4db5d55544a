// examples/node-client: a plain Node program using the packed @runcast/client asks the demo assistant, answers its tool
// call and reads the reply, over the run's WebSocket and over SSE, against `wrangler dev`.
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, NODE_CLIENT_DIR } from "./examples";
import { baseUrl, storedReply } from "./helpers";

const run = promisify(execFile);

describe("examples/node-client (the packed @runcast/client in Node)", () => {
  beforeAll(() => assertBuilt(path.join(NODE_CLIENT_DIR, "node_modules/@runcast/client/package.json")));

  for (const transport of ["ws", "sse"] as const) {
    it(`asks, answers the tool call and gets the whole reply over ${transport}`, async () => {
      // Node 24 (this process's) runs the TypeScript file as it is.
      const { stdout } = await run(process.execPath, ["ask.ts", baseUrl(), transport], {
        cwd: NODE_CLIENT_DIR,
        timeout: 60_000,
      });
      const outcome = JSON.parse(stdout.trim().split("\n").at(-1)!) as {
        transport: string;
        run_id: string;
        thread_id: string;
        status: string;
        answered: string[];
        text: string;
      };
      expect(outcome).toMatchObject({ transport, status: "completed", answered: ["get_weather(Lisbon)"] });
      expect(outcome.text).toMatch(/^get_weather returned: sunny and 24°C in Lisbon\. /);
      expect(outcome.text).toBe(await storedReply({ thread_id: outcome.thread_id, run_id: outcome.run_id }));
    });
  }
});
