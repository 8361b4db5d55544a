// The demo page: start a run, or open one from its link (`/?thread=…&run=…`), and watch it live.
import { useEffect, useState } from "react";
import { Composer } from "./composer";
import { readLocation, showInLocation, type PageState } from "./location";
import { RunPanel } from "./run-panel";
import { runcast } from "./runcast";

export function App() {
  const [page, setPage] = useState<PageState>(() => readLocation());

  useEffect(() => {
    const onPop = () => setPage(readLocation());
    window.addEventListener("popstate", onPop);
    return () => window.removeEventListener("popstate", onPop);
  }, []);

  const go = (next: PageState) => {
    showInLocation(next);
    setPage(next);
  };

  const start = async (assistantId: string, text: string) => {
    const run = await runcast.runs.createThreadAndRun.mutate({
      assistant_id: assistantId,
      thread: { messages: [{ role: "user", content: text }] },
      // The demo's pace knob: the emulator streams one word every `pace` ms (ignored by a real upstream).
      ...(page.pace !== null ? { metadata: { emulator_delta_ms: String(page.pace) } } : {}),
    });
    go({ ...page, run: { thread_id: run.thread_id, run_id: run.id } });
  };

  return (
    <>
      <header className="top">
        <h1>Runcast demo</h1>
        <p className="hint">
          A run streamed through the gateway's run hub. Open its link in another tab to watch it there too.
          {page.pace !== null && <span data-testid="pace"> Paced: one word every {page.pace} ms.</span>}
        </p>
      </header>
      <main>
        <Composer onSend={start} />
        {page.run ? (
          <>
            <RunPanel key={`${page.run.thread_id}/${page.run.run_id}`} run={page.run} />
            <p>
              <button
                type="button"
                className="secondary"
                onClick={() => go({ ...page, run: null })}
                data-testid="new-run"
              >
                Close this run
              </button>
            </p>
          </>
        ) : (
          <p className="hint" data-testid="no-run">
            No run yet: send a message to start one.
          </p>
        )}
      </main>
    </>
  );
}
