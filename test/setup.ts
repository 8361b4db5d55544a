// Runs around every test file: run hubs left polling by one file (a run still waiting for tool outputs, say) must not
// poll on into the next, where they would consume the emulator faults that file arms.
import { reset } from "cloudflare:test";
import { afterAll } from "vitest";

afterAll(async () => {
  await reset();
});
