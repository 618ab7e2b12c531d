/** The "Layers" section: the selected layers (with their Stylized badge), the marked style layer, and the skipped ones with reasons. */
import type { LayerInfo, SelectionSummary } from '../logic/messages.js';
import { describeStyle } from '../logic/provenance.js';
import { byId, h, replaceChildren } from './dom.js';

const el = () => ({ count: byId('layer-count'), list: byId('layer-list'), skipped: byId('skipped-list') });

/** Renders the selection; `mark(nodeId | null)` marks a layer as the style (null: unmark). */
export function renderLayers(s: SelectionSummary, mark: (nodeId: string | null) => void): void {
  const { count, list, skipped } = el();
  const markButton = (nodeId: string | null, label: string): HTMLButtonElement => {
    const b = h('button', { class: 'btn secondary small', type: 'button', 'data-testid': nodeId ? 'mark-style' : 'unmark-style' }, label);
    b.addEventListener('click', () => mark(nodeId));
    return b;
  };
  count.textContent = s.targets.length ? String(s.targets.length) : '';
  const items = s.targets.map((t: LayerInfo) =>
    h(
      'li',
      { 'data-node-id': t.id, 'data-testid': 'layer' },
      h('span', { class: `layer-icon t-${t.type}` }),
      h('span', { class: 'layer-name', title: t.name }, t.name),
      t.stylized ? h('span', { class: 'badge', title: t.provenance ? `Stylized with ${describeStyle(t.provenance.style)}` : 'Stylized' }, 'Stylized') : null,
      h('span', { class: 'layer-meta' }, `${Math.round(t.width)}×${Math.round(t.height)}`),
      t.hasImageFill && !t.stylized ? markButton(t.id, 'Use as style') : null,
    ),
  );
  if (s.styleLayer) {
    items.push(
      h(
        'li',
        { 'data-node-id': s.styleLayer.id, 'data-testid': 'style-layer-row' },
        h('span', { class: 'layer-icon t-IMAGE' }),
        h('span', { class: 'layer-name' }, s.styleLayer.name),
        h('span', { class: 'badge style' }, 'Style'),
        markButton(null, 'Unmark'),
      ),
    );
  }
  if (!items.length) items.push(h('li', { class: 'empty', 'data-testid': 'layers-empty' }, 'Select frames, shapes or instances to stylize'));
  replaceChildren(list, ...items);
  replaceChildren(skipped, ...s.skipped.map((k) => h('li', { 'data-testid': 'skipped', title: k.type }, h('b', {}, k.name), ` — ${k.reason}`)));
}
