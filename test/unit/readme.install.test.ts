/** The README's "Install the companion" section gives designers the same command as the plugin's onboarding. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMPANION_INSTALL_COMMAND } from '../../shared/defaults.js';

const readme = readFileSync(path.resolve(import.meta.dirname, '../../README.md'), 'utf8');

describe('README', () => {
  it('its "Install the companion" section shows COMPANION_INSTALL_COMMAND word for word', () => {
    const section = readme.split(/^## /m).find((s) => s.startsWith('Install the companion'));
    expect(section, 'README has an "## Install the companion" section').toBeDefined();
    expect(section).toContain(`\n${COMPANION_INSTALL_COMMAND}\n`);
  });
});
