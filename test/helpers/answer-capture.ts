// Recording what the emulator answers, for the schema tests: each answer is handed on unchanged while its body is
// captured as text.

export interface CapturedAnswer {
  method: string;
  path: string;
  status: number;
  contentType: string;
  /** The whole body; rejects if the stream failed (a cut stream), after handing the caller the same error. */
  text: Promise<string>;
}

/**
 * Captures an answer and hands back one with the same status, headers and body. The body is copied chunk by chunk as it
 * arrives, so a stream reaches its reader as soon as the upstream sends it (in workerd, `clone()` held the caller's branch
 * back until the whole stream had ended), and it is captured whole even if the reader stops early.
 */
export function captureAnswer(
  method: string,
  path: string,
  response: Response,
): { answer: CapturedAnswer; response: Response } {
  const source = response.body;
  let text: Promise<string> = Promise.resolve("");
  let body: ReadableStream<Uint8Array> | null = null;
  if (source) {
    let controller!: ReadableStreamDefaultController<Uint8Array>;
    body = new ReadableStream<Uint8Array>({ start: (c) => void (controller = c) });
    text = (async () => {
      const reader = source.getReader();
      const decoder = new TextDecoder();
      let all = "";
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          all += decoder.decode(value, { stream: true });
          try {
            controller.enqueue(value);
          } catch {
            // The caller cancelled its copy; keep reading to capture the rest.
          }
        }
      } catch (error) {
        controller.error(error);
        throw error;
      }
      try {
        controller.close();
      } catch {
        // Already cancelled by the caller.
      }
      return all + decoder.decode();
    })();
    // A failed capture surfaces where the text is read; no unhandled rejection meanwhile.
    text.catch(() => {});
  }
  const answer = {
    method,
    path,
    status: response.status,
    contentType: response.headers.get("content-type") ?? "",
    text,
  };
  return {
    answer,
    response: new Response(body, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    }),
  };
}
