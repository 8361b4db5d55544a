// Pick an assistant, write a message, start a thread and a run. Enter sends, Shift+Enter adds a line.
import { useEffect, useId, useState, type FormEvent, type KeyboardEvent } from "react";
import { DEMO_ASSISTANT } from "./demo-assistant";
import { describeError, runcast } from "./runcast";

interface AssistantChoice {
  id: string;
  name: string | null;
  description: string | null;
}

/** The emulator's seeded demo assistant, else one of the demo's name (made by this page or its tests), else the first. */
const preferred = (choices: AssistantChoice[]) =>
  choices.find((a) => a.id === "asst_RuncastDemo") ?? choices.find((a) => a.name === DEMO_ASSISTANT.name) ?? choices[0];

async function assistantChoices(): Promise<AssistantChoice[]> {
  const page = await runcast.assistants.list.query({ limit: 100, order: "asc" });
  const found = page.data.length > 0 ? page.data : [await runcast.assistants.create.mutate(DEMO_ASSISTANT)];
  return found.map(({ id, name, description }) => ({ id, name, description }));
}

export function Composer({ onSend }: { onSend(assistantId: string, text: string): Promise<void> }) {
  const ids = { assistant: useId(), message: useId(), hint: useId() };
  const [assistants, setAssistants] = useState<AssistantChoice[] | null>(null);
  const [assistantId, setAssistantId] = useState("");
  const [text, setText] = useState("");
  const [sending, setSending] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let current = true;
    assistantChoices()
      .then((choices) => {
        if (!current) return;
        setAssistants(choices);
        setAssistantId((chosen) => chosen || preferred(choices)?.id || "");
      })
      .catch((cause: unknown) => current && setError(`Could not list the assistants: ${describeError(cause)}`));
    return () => {
      current = false;
    };
  }, []);

  const send = async (event?: FormEvent) => {
    event?.preventDefault();
    const message = text.trim();
    if (sending) return;
    if (!assistantId) return setError("Choose an assistant first.");
    if (!message) return setError("Write a message first.");
    setSending(true);
    setError(null);
    try {
      await onSend(assistantId, message);
      setText("");
    } catch (cause) {
      setError(`The run did not start: ${describeError(cause)}`);
    } finally {
      setSending(false);
    }
  };

  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === "Enter" && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      void send();
    }
  };

  const chosen = assistants?.find((assistant) => assistant.id === assistantId);
  return (
    <form className="composer" onSubmit={send} aria-label="Start a run" data-testid="composer">
      <div className="field">
        <label htmlFor={ids.assistant}>Assistant</label>
        <select
          id={ids.assistant}
          data-testid="assistant-select"
          value={assistantId}
          onChange={(event) => setAssistantId(event.target.value)}
          disabled={!assistants || assistants.length === 0}
        >
          {!assistants && <option value="">Loading…</option>}
          {assistants?.length === 0 && <option value="">No assistants</option>}
          {assistants?.map((assistant) => (
            <option key={assistant.id} value={assistant.id}>
              {assistant.name ? `${assistant.name} (${assistant.id})` : assistant.id}
            </option>
          ))}
        </select>
        {chosen?.description && <p className="hint">{chosen.description}</p>}
      </div>
      <div className="field">
        <label htmlFor={ids.message}>Message</label>
        <textarea
          id={ids.message}
          data-testid="message-input"
          rows={3}
          value={text}
          onChange={(event) => setText(event.target.value)}
          onKeyDown={onKeyDown}
          aria-describedby={ids.hint}
          placeholder="Hello! Please get_weather Paris."
        />
        <p className="hint" id={ids.hint}>
          Enter sends, Shift+Enter starts a new line. Name <code>get_weather</code> and a city to see a tool call.
        </p>
      </div>
      <div className="actions">
        <button type="submit" data-testid="send" disabled={sending}>
          {sending ? "Starting…" : "Send"}
        </button>
      </div>
      {error && (
        <p className="error" role="alert" data-testid="composer-error">
          {error}
        </p>
      )}
    </form>
  );
}
