// The whole tRPC API, served by /trpc, the REST surface (rest-call.ts) and the run hubs' sockets.
import { router } from "../init";
import { appProcedures } from "./app-procedures";

export const appRouter = router(appProcedures);

/** The gateway's router type. Frontends use `AppRouter` from `@runcast/client`, the same procedures without the server's context. */
export type AppRouter = typeof appRouter;
