import { describe, expect, it } from 'vitest';
import { SseParser, readSse } from '../../plugin/src/ui/sse.js';

describe('SSE parser', () => {
  it('parses events split across arbitrary chunks, with comments and retry lines', () => {
    const text = 'retry: 3000\n\n: ping\n\nid: 1\nevent: progress\ndata: {"a":1}\n\nid: 2\nevent: succeeded\ndata: {"b":\ndata: 2}\n\n';
    for (const size of [1, 2, 3, 7, text.length]) {
      const p = new SseParser();
      const out = [];
      for (let i = 0; i < text.length; i += size) out.push(...p.push(text.slice(i, i + size)));
      expect(out).toEqual([
        { event: 'progress', data: '{"a":1}', id: '1' },
        { event: 'succeeded', data: '{"b":\n2}', id: '2' },
      ]);
    }
  });

  it('accepts CRLF and CR line ends, even when CRLF is split between chunks', () => {
    const p = new SseParser();
    const out = [...p.push('data: x\r'), ...p.push('\n\r\n'), ...p.push('data: y\r\r')];
    expect(out.map((m) => m.data)).toEqual(['x', 'y']);
    expect(out[0].event).toBe('message');
  });

  it('keeps the last event id for later events, ignores comment-only and data-less blocks and unknown fields', () => {
    const p = new SseParser();
    const text = ':hello\r\n\r\nid: 7\r\nevent: a\r\ndata\r\n\r\nevent: lonely\r\n\r\nfoo: bar\r\ndata:no-space\r\n\r\n';
    const out = [];
    for (const ch of text) out.push(...p.push(ch));
    expect(out).toEqual([
      { event: 'a', data: '', id: '7' },
      { event: 'message', data: 'no-space', id: '7' },
    ]);
  });

  it('reads a byte stream (multi-byte characters split) and drops an unfinished event at EOF', async () => {
    const bytes = new TextEncoder().encode('event: a\ndata: é✓\n\nevent: b\ndata: cut');
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < bytes.length; i += 3) c.enqueue(bytes.slice(i, i + 3));
        c.close();
      },
    });
    const got: string[] = [];
    await readSse(stream, (m) => got.push(`${m.event}:${m.data}`));
    expect(got).toEqual(['a:é✓']);
  });
});
