// The example apps in examples/ (built against the packed @runcast/client by `npm run check:client`): where they are,
// and a check that they were installed and built before the tests that run them.
import { access } from "node:fs/promises";
import path from "node:path";

export const NODE_CLIENT_DIR = path.resolve("examples/node-client");
export const VITE_REACT_DIR = path.resolve("examples/vite-react");

/** Fails with what to run when `npm run check:client` has not installed (and built) the example yet. */
export async function assertBuilt(file: string): Promise<void> {
  try {
    await access(file);
  } catch {
    throw new Error(
      `${path.relative(process.cwd(), file)} is missing: run \`npm run check:client\` (npm test runs it).`,
    );
  }
}
