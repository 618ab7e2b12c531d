/**
 * One PNG that shows images side by side so a reader judges them with their eyes: a row per
 * content × style pair, a column per image (content, style, each baseline, each schedule), each
 * image fitted into a `cell`-pixel square on white with a caption above it (sharp; text as SVG).
 */
import sharp, { type OverlayOptions } from 'sharp';

/** One image of the grid and its caption. */
export interface GridCell {
  file: string;
  label: string;
}

const CAPTION_HEIGHT = 22;
const GAP = 6;

/** The caption as an SVG strip, `width` wide (XML-escaped). */
function caption(text: string, width: number): Buffer {
  const escaped = text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${CAPTION_HEIGHT}"><text x="${width / 2}" y="${CAPTION_HEIGHT - 7}" font-family="sans-serif" font-size="13" text-anchor="middle" fill="#222">${escaped}</text></svg>`,
  );
}

/**
 * Writes the grid to `out` as a PNG (`palette`: 8-bit colour-mapped, several times smaller; for
 * docs) and returns its size in bytes.
 */
export async function composeGrid(rows: GridCell[][], out: string, cell: number, palette = false): Promise<number> {
  const columns = Math.max(...rows.map((r) => r.length));
  const layers: OverlayOptions[] = [];
  let top = GAP;
  for (const row of rows) {
    const fitted = await Promise.all(row.map((item) => sharp(item.file).resize(cell, cell, { fit: 'inside', kernel: 'lanczos3' }).png().toBuffer({ resolveWithObject: true })));
    const height = Math.max(...fitted.map((f) => f.info.height)); // a row is as tall as its tallest image
    for (const [c, { data, info }] of fitted.entries()) {
      const left = GAP + c * (cell + GAP);
      layers.push({ input: caption(row[c].label, cell), left, top });
      layers.push({ input: data, left: left + Math.floor((cell - info.width) / 2), top: top + CAPTION_HEIGHT + Math.floor((height - info.height) / 2) });
    }
    top += CAPTION_HEIGHT + height + GAP;
  }
  const canvas = sharp({ create: { width: GAP + columns * (cell + GAP), height: top, channels: 3, background: '#ffffff' } });
  const info = await canvas.composite(layers).png({ compressionLevel: 9, palette }).toFile(out);
  return info.size;
}
