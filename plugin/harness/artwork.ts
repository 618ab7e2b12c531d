/** Procedural artwork for the harness's fake layers (real PNG bytes, drawn on a canvas). */
import { canvasPng } from './canvasRasterizer.js';

function canvas(width: number, height: number): [HTMLCanvasElement, CanvasRenderingContext2D] {
  const c = document.createElement('canvas');
  c.width = width;
  c.height = height;
  const ctx = c.getContext('2d');
  if (!ctx) throw new Error('no 2D canvas');
  return [c, ctx];
}

/** A small deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A landscape "photo": sky gradient, sun, layered hills. */
export async function landscapePng(width = 480, height = 320): Promise<Uint8Array> {
  const [c, ctx] = canvas(width, height);
  const sky = ctx.createLinearGradient(0, 0, 0, height);
  sky.addColorStop(0, '#5fa8ff');
  sky.addColorStop(0.7, '#ffd1a1');
  ctx.fillStyle = sky;
  ctx.fillRect(0, 0, width, height);
  ctx.fillStyle = '#fff3b0';
  ctx.beginPath();
  ctx.arc(width * 0.72, height * 0.38, height * 0.12, 0, Math.PI * 2);
  ctx.fill();
  const hills = ['#3f7d4e', '#2f6142', '#1f4434'];
  hills.forEach((color, i) => {
    ctx.fillStyle = color;
    ctx.beginPath();
    ctx.moveTo(0, height);
    for (let x = 0; x <= width; x += 8) ctx.lineTo(x, height * (0.6 + i * 0.12) + Math.sin(x / (40 + i * 25) + i) * 18);
    ctx.lineTo(width, height);
    ctx.fill();
  });
  return canvasPng(c);
}

/** A painterly "style": many short coloured strokes swirling. */
export async function swirlsPng(size = 256, seed = 7): Promise<Uint8Array> {
  const [c, ctx] = canvas(size, size);
  const rand = rng(seed);
  ctx.fillStyle = '#10206b';
  ctx.fillRect(0, 0, size, size);
  const palette = ['#f2c14e', '#f78154', '#4d9078', '#5fa8d3', '#1b2a6b', '#fbe7a1'];
  ctx.lineCap = 'round';
  for (let i = 0; i < 900; i++) {
    const x = rand() * size;
    const y = rand() * size;
    const angle = Math.atan2(y - size / 2, x - size / 2) + Math.PI / 2 + (rand() - 0.5) * 0.6;
    const len = 6 + rand() * 14;
    ctx.strokeStyle = palette[Math.floor(rand() * palette.length)];
    ctx.lineWidth = 2 + rand() * 3;
    ctx.beginPath();
    ctx.moveTo(x, y);
    ctx.lineTo(x + Math.cos(angle) * len, y + Math.sin(angle) * len);
    ctx.stroke();
  }
  return canvasPng(c);
}

/** A round avatar-like image. */
export async function avatarPng(size = 96): Promise<Uint8Array> {
  const [c, ctx] = canvas(size, size);
  const g = ctx.createRadialGradient(size * 0.4, size * 0.35, 4, size / 2, size / 2, size * 0.7);
  g.addColorStop(0, '#ffcf99');
  g.addColorStop(1, '#c0612b');
  ctx.fillStyle = g;
  ctx.fillRect(0, 0, size, size);
  return canvasPng(c);
}
