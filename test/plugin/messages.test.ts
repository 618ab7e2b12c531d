import { describe, expect, it } from 'vitest';
import { createChannel, isEnvelope, type Envelope, type MainToUi, type UiToMain } from '../../plugin/src/logic/messages.js';

/** Two channel ends wired like Figma: each post is structured-cloned and delivered asynchronously. */
function pair() {
  const main = createChannel<MainToUi, UiToMain>((m) => queueMicrotask(() => ui.dispatch(structuredClone(m))));
  const ui = createChannel<UiToMain, MainToUi>((m) => queueMicrotask(() => main.dispatch(structuredClone(m))));
  return { main, ui };
}
const tick = () => new Promise((r) => setTimeout(r, 0));

describe('typed message channel', () => {
  it('delivers typed messages both ways, Uint8Array included', async () => {
    const { main, ui } = pair();
    const got: unknown[] = [];
    main.on('exportLayers', (p) => {
      got.push(p);
      main.emit('exported', { requestId: p.requestId, contents: [{ nodeId: '1:2', name: 'A', png: new Uint8Array([1, 2, 3]), width: 3, height: 1, replaceFill: false }], style: null, failed: [] });
    });
    ui.on('exported', (p) => got.push(p));
    ui.emit('exportLayers', { requestId: 'r1', layers: [{ nodeId: '1:2', size: 256 }], style: null });
    await tick();
    expect(got[0]).toEqual({ requestId: 'r1', layers: [{ nodeId: '1:2', size: 256 }], style: null });
    const reply = got[1] as MainToUi['exported'];
    expect(reply.contents[0].png).toBeInstanceOf(Uint8Array);
    expect([...reply.contents[0].png]).toEqual([1, 2, 3]);
  });

  it('ignores foreign messages and supports unsubscribing', () => {
    const ch = createChannel<UiToMain, MainToUi>(() => undefined);
    let n = 0;
    const off = ch.on('selection', () => n++);
    ch.dispatch({ type: 'selection', payload: {} });
    ch.dispatch(null);
    ch.dispatch('selection');
    ch.dispatch({ atelier: 1, type: 'selection', payload: { targets: [], skipped: [], styleLayer: null } });
    expect(n).toBe(1);
    off();
    ch.dispatch({ atelier: 1, type: 'selection', payload: {} });
    expect(n).toBe(1);
  });

  it('wraps every message in an envelope', () => {
    const sent: Envelope[] = [];
    const ch = createChannel<UiToMain, MainToUi>((m) => sent.push(m));
    ch.emit('notify', { message: 'hi' });
    expect(sent).toEqual([{ atelier: 1, type: 'notify', payload: { message: 'hi' } }]);
    expect(isEnvelope(sent[0])).toBe(true);
  });
});
