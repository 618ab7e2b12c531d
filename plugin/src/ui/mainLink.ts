/** The UI's side of the typed channel to the main thread, plus request/reply calls matched by requestId. */
import { createChannel, type MainToUi, type UiChannel, type UiToMain } from '../logic/messages.js';
import { CompanionError } from './companionClient.js';

type Request = 'exportLayers' | 'apply' | 'revert';
type Reply = 'exported' | 'applied' | 'reverted';

/** The channel and a call that waits for main's reply. */
export interface MainLink {
  channel: UiChannel;
  call<Req extends Request, Rep extends Reply>(type: Req, payload: Omit<UiToMain[Req], 'requestId'>, reply: Rep): Promise<MainToUi[Rep]>;
}

/** Connects to the main thread through `parent.postMessage` (as Figma's plugin iframe does). */
export function connectToMain(): MainLink {
  const channel: UiChannel = createChannel<UiToMain, MainToUi>((m) => parent.postMessage({ pluginMessage: m, pluginId: '*' }, '*'));
  window.addEventListener('message', (e: MessageEvent) => channel.dispatch((e.data as { pluginMessage?: unknown } | null)?.pluginMessage));
  let seq = 0;
  return {
    channel,
    call(type, payload, reply) {
      const requestId = `r${++seq}`;
      return new Promise((resolve, reject) => {
        const offs: Array<() => void> = [];
        const done = (): void => offs.forEach((off) => off());
        offs.push(
          channel.on(reply, (p) => {
            if ((p as { requestId: string }).requestId !== requestId) return;
            done();
            resolve(p as never);
          }),
          channel.on('requestFailed', (p) => {
            if (p.requestId !== requestId) return;
            done();
            reject(new CompanionError(0, 'figma_error', p.message));
          }),
        );
        channel.emit(type, { ...payload, requestId } as never);
      });
    },
  };
}
