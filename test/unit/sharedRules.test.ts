/** Rules stated once and used by the CLI, the HTTP API and the presets store: the blend rule, the pixel limit. */
import { describe, expect, it } from 'vitest';
import { blendLengthError } from '../../shared/params.js';
import { main } from '../../companion/src/cli.js';
import { DEFAULT_LIMITS } from '../../companion/src/http/limits.js';
import { DEFAULT_MAX_PIXELS } from '../../companion/src/io/images.js';

describe('one blend rule', () => {
  it('one weight per style image', () => {
    expect(blendLengthError(undefined, 3)).toBeNull();
    expect(blendLengthError([1, 2], 2)).toBeNull();
    expect(blendLengthError([1, 2, 3], 1)).toBe('3 blend weight(s) for 1 style image(s)');
  });

  it('the CLI reports it before reading any image (exit 2, one line)', async () => {
    const errors: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((s: string) => (errors.push(s), true)) as typeof process.stderr.write;
    try {
      expect(await main(['stylize', 'missing-content.png', 'missing-style.png', '-o', 'x.png', '--style-blend', '1,2,3'])).toBe(2);
    } finally {
      process.stderr.write = write;
    }
    expect(errors.join('')).toBe('atelier: --style-blend: 3 blend weight(s) for 1 style image(s)\n');
  });
});

describe('one pixel limit', () => {
  it('the server default is the decoder default, 64 MP', () => {
    expect(DEFAULT_MAX_PIXELS).toBe(64e6);
    expect(DEFAULT_LIMITS.maxPixels).toBe(DEFAULT_MAX_PIXELS);
  });
});
