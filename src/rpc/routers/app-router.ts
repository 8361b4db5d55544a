// The whole tRPC API; its type is what the typed client is built from.
import { router } from "../init";
import { assistantsRouter } from "./assistants";
import { runsRouter } from "./runs";
import { threadsRouter } from "./threads";

export const appRouter = router({ assistants: assistantsRouter, runs: runsRouter, threads: threadsRouter });

/** Import this type (never the router itself) in frontend code: `createTRPCClient<AppRouter>(…)`. */
export type AppRouter = typeof appRouter;
