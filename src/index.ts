// Runcast's Worker entry.
import { gatewayApp } from "./app";
import type { GatewayEnv } from "./env";

export default gatewayApp() satisfies ExportedHandler<GatewayEnv>;
