/** The footer message and the screen-reader live region. */
import { byId, replaceChildren, withCode } from './dom.js';

export type MessageKind = 'error' | 'success' | 'info';

/** Shows one message at a time; errors stay until replaced or no longer relevant, others fade. */
export class MessageBar {
  private readonly el = byId('message');
  private readonly announcer = byId('announcer');
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** What the shown message is about (e.g. 'settings'), so it goes when that is fixed. */
  private topic: string | null = null;

  /** Shows `text` ('' hides the bar) and announces it; `topic` names what it is about. */
  say(text: string, kind: MessageKind = 'info', topic: string | null = null): void {
    clearTimeout(this.timer);
    this.topic = text ? topic : null;
    if (text) this.announce(text);
    if (text && kind !== 'error') this.timer = setTimeout(() => (this.el.hidden = true), 8000);
    this.el.hidden = !text;
    this.el.className = `message ${kind}`;
    this.el.dataset.kind = kind;
    replaceChildren(this.el, withCode(text));
  }

  /** Tells screen readers (a polite live region) what just happened. */
  announce(text: string): void {
    this.announcer.textContent = '';
    // a fresh text node is announced even when the words repeat
    setTimeout(() => (this.announcer.textContent = text), 50);
  }

  /** Clears the message about `topic` (its problem was fixed). */
  clear(topic: string): void {
    if (!this.el.hidden && this.topic === topic) this.say('');
  }

  /** Clears an error that no longer applies (its selection or connection changed). */
  clearStaleError(): void {
    if (!this.el.hidden && this.el.dataset.kind === 'error') this.say('');
  }
}
