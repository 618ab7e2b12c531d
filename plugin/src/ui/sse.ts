/**
 * Server-Sent Events from a `fetch` response stream (EventSource cannot send the Authorization
 * header). The event-stream format (CR/LF/CRLF line ends, multi-line `data:`, comments, `retry:`,
 * `id:`, dispatch on a blank line) is parsed by eventsource-parser.
 */
import { createParser } from 'eventsource-parser';

/** One dispatched event. */
export interface SseMessage {
  event: string;
  data: string;
  id: string | null;
}

/** Incremental parser: feed decoded text chunks, get complete messages. */
export class SseParser {
  private done: SseMessage[] = [];
  private lastId: string | null = null;
  private readonly parser = createParser({
    onEvent: (m) => {
      // The last event ID persists across events (WHATWG), the parser reports it per event.
      if (m.id !== undefined) this.lastId = m.id;
      this.done.push({ event: m.event || 'message', data: m.data, id: this.lastId });
    },
  });

  /** Feeds a chunk of text; returns the messages completed by it. */
  push(chunk: string): SseMessage[] {
    this.parser.feed(chunk);
    const out = this.done;
    this.done = [];
    return out;
  }
}

/** Reads an SSE body stream, calling `onMessage` for each event; resolves when the stream ends. */
export async function readSse(body: ReadableStream<Uint8Array>, onMessage: (m: SseMessage) => void, signal?: AbortSignal): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const parser = new SseParser();
  const onAbort = (): void => void reader.cancel().catch(() => undefined);
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      for (const m of parser.push(decoder.decode(value, { stream: true }))) onMessage(m);
    }
    for (const m of parser.push(decoder.decode())) onMessage(m);
  } finally {
    signal?.removeEventListener('abort', onAbort);
    reader.releaseLock();
  }
}
