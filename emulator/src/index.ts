// The upstream emulator Worker: an offline, faithful stand-in for the Assistants API and the Responses and Conversations APIs that Runcast's dev server and tests use.
import { emulatorApp } from "./app";
import { countServed } from "./count-served";

export { EmulatorDirectory } from "./directory-object";
export { EmulatorThread } from "./thread-object";
export { EmulatorConversation } from "./responses/conversation-object";

export default countServed(emulatorApp()) satisfies ExportedHandler<EmulatorEnv>;
