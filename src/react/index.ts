// The React entry: `import { useRun } from "runcast/react"`.
export { useRun, type RunState } from "./use-run";
