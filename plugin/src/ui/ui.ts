/**
 * The plugin UI (iframe, origin `null`): wires the panes — connection, layers, style (with the team
 * presets), settings, run, save as preset — to each other and to the main thread. Talks to the
 * main thread over the typed channel and to the companion over HTTP; never touches the Figma API.
 */
import type { SelectionSummary } from '../logic/messages.js';
import { byId } from './dom.js';
import { ConnectionPane } from './connectionPane.js';
import { ControlsPane } from './controlsPane.js';
import { renderLayers } from './layersPane.js';
import { connectToMain } from './mainLink.js';
import { MessageBar } from './messageBar.js';
import { PresetsPane } from './presetsPane.js';
import { RunPane } from './runPane.js';
import { setupSavePreset } from './savePresetPane.js';
import { StylePane } from './stylePane.js';

const main = connectToMain();
const bar = new MessageBar();
let selection: SelectionSummary = { targets: [], skipped: [], styleLayer: null };

/** Everything that depends on the chosen style: the preset's settings and the footer. */
const styleChanged = (): void => {
  controls.showPreset(style.mode === 'preset' ? presets.selected() : undefined);
  run.renderFooter();
};

const connection = new ConnectionPane({
  bar,
  save: (c) => main.channel.emit('saveSettings', { connection: c }),
  onReset: () => presets.reset(),
  onChange: (state) => {
    run.renderFooter();
    if (state.kind === 'connected') void presets.load();
    else presets.render();
  },
  onSpeed: (speed) => controls.setSpeed(speed),
});
const presets = new PresetsPane({
  root: byId('style-preset'),
  client: () => connection.client(),
  connected: () => connection.state.kind === 'connected',
  onChange: styleChanged,
});
const style = new StylePane({
  bar,
  main,
  presets,
  connected: () => connection.state.kind === 'connected',
  onChange: styleChanged,
  save: (s) => main.channel.emit('saveSettings', { style: s }),
});
const controls = new ControlsPane(
  (c) => main.channel.emit('saveSettings', { controls: c }),
  () => bar.clear('settings'),
);
const run = new RunPane({ main, bar, connection, style, controls, selection: () => selection });
setupSavePreset({ main, connection, style, controls, presets });

function showSelection(next: SelectionSummary): void {
  const key = (x: SelectionSummary): string => x.targets.map((t) => t.id).join();
  if (key(next) !== key(selection)) bar.clearStaleError();
  selection = next;
  renderLayers(selection, (nodeId) => main.channel.emit('markStyleLayer', { nodeId }));
  controls.setLayers(selection.targets);
  style.setStyleLayer(selection.styleLayer);
  styleChanged();
}

main.channel.on('init', ({ settings, selection: initial }) => {
  controls.start(settings.controls);
  showSelection(initial);
  style.restore(settings.style);
  connection.start(settings.connection);
});
main.channel.on('selection', showSelection);

controls.render();
style.render();
run.renderFooter();
main.channel.emit('ready', {});
