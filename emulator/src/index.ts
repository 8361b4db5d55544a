// The upstream emulator Worker: an offline, faithful stand-in for the Assistants API that Runcast's dev server and tests use.
import { emulatorApp } from "./app";

export { EmulatorDirectory } from "./directory-object";
export { EmulatorThread } from "./thread-object";

export default emulatorApp() satisfies ExportedHandler<EmulatorEnv>;
