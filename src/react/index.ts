// The React entry: `import { useRun } from "@runcast/client/react"`.
export { useRun, type RunState } from "./use-run";
