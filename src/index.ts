// Runcast's Worker entry: the hono app, and the Durable Objects it routes to.
import { gatewayApp } from "./app";
import type { GatewayEnv } from "./env";

export { RunHub } from "./durable/run-hub";
export { RunStarter } from "./durable/run-starter";
export { TenantRuns } from "./auth/tenant-runs";
export { ThreadOwner } from "./auth/thread-owner";
export { ResponsesAssistants } from "./providers/responses/responses-assistants";
export { ResponsesThread } from "./providers/responses/responses-thread";

export default gatewayApp() satisfies ExportedHandler<GatewayEnv>;
