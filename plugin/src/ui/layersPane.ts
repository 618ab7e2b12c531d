/** The "Layers" section: the selected layers (with their Stylized badge), the marked style layer, and the skipped ones with reasons. */
import type { LayerInfo, SelectionSummary } from '../logic/messages.js';
import { describeStyle } from '../logic/provenance.js';
import { byId, h, replaceChildren } from './dom.js';
import { typeIcon } from './typeIcon.js';

/** At most this many selected layers are listed (a selection of thousands would freeze the panel); the rest are counted. */
export const LAYER_LIST_CAP = 50;

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
  const items = s.targets.slice(0, LAYER_LIST_CAP).map((t: LayerInfo) =>
    h(
      'li',
      { 'data-node-id': t.id, 'data-testid': 'layer' },
      typeIcon(t.type),
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
        typeIcon('IMAGE'),
        h('span', { class: 'layer-name' }, s.styleLayer.name),
        h('span', { class: 'badge style' }, 'Style'),
        markButton(null, 'Unmark'),
      ),
    );
  }
  const more = s.targets.length - LAYER_LIST_CAP;
  if (more > 0) items.splice(LAYER_LIST_CAP, 0, h('li', { class: 'more muted', 'data-testid': 'layers-more' }, `and ${more} more layer${more === 1 ? '' : 's'}`));
  if (!items.length) items.push(h('li', { class: 'empty', 'data-testid': 'layers-empty' }, 'Select frames, shapes or instances to stylize'));
  replaceChildren(list, ...items);
  const skippedMore = s.skipped.length - LAYER_LIST_CAP;
  replaceChildren(
    skipped,
    ...s.skipped.slice(0, LAYER_LIST_CAP).map((k) => h('li', { 'data-testid': 'skipped', title: k.type }, h('b', {}, k.name), ` — ${k.reason}`)),
    ...(skippedMore > 0 ? [h('li', { class: 'more muted' }, `and ${skippedMore} more skipped`)] : []),
  );
}
