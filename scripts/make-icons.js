// `node scripts/make-icons.js`: draws the PNG app icons in static/icons/ from the same shapes as
// static/favicon.svg (a rounded green square with a white "F" on a 32-unit grid). Plain Node: a
// 4×4-supersampled rasteriser and a zlib PNG encoder, so no browser or image library is needed.

import { mkdirSync, writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';

const BRAND = [0x1f, 0x5f, 0x4a];
const WHITE = [0xff, 0xff, 0xff];
// The "F" of favicon.svg: M9 8h14v4H14v3h8v4h-8v6H9z
const F = [
  [9, 8],
  [23, 8],
  [23, 12],
  [14, 12],
  [14, 15],
  [22, 15],
  [22, 19],
  [14, 19],
  [14, 25],
  [9, 25],
];

function insidePolygon(x, y, points) {
  let inside = false;
  for (let i = 0, j = points.length - 1; i < points.length; j = i++) {
    const [xi, yi] = points[i];
    const [xj, yj] = points[j];
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

function insideRoundedSquare(x, y, radius) {
  const cx = Math.min(Math.max(x, radius), 32 - radius);
  const cy = Math.min(Math.max(y, radius), 32 - radius);
  return x >= 0 && x <= 32 && y >= 0 && y <= 32 && (x - cx) ** 2 + (y - cy) ** 2 <= radius ** 2;
}

/**
 * RGBA pixels of the icon at `size` px. `fullBleed` fills the whole square (maskable and Apple
 * icons, which the platform crops itself); otherwise the corners are rounded as in the SVG.
 */
function draw(size, { fullBleed }) {
  const samples = 4;
  const pixels = Buffer.alloc(size * size * 4);
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let cover = 0;
      let ink = 0;
      for (let sy = 0; sy < samples; sy++) {
        for (let sx = 0; sx < samples; sx++) {
          const x = ((px + (sx + 0.5) / samples) / size) * 32;
          const y = ((py + (sy + 0.5) / samples) / size) * 32;
          if (!fullBleed && !insideRoundedSquare(x, y, 6)) continue;
          cover += 1;
          if (insidePolygon(x, y, F)) ink += 1;
        }
      }
      const i = (py * size + px) * 4;
      const total = samples * samples;
      for (let c = 0; c < 3; c++) {
        pixels[i + c] = cover ? Math.round((BRAND[c] * (cover - ink) + WHITE[c] * ink) / cover) : 0;
      }
      pixels[i + 3] = Math.round((255 * cover) / total);
    }
  }
  return pixels;
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes) {
  let c = 0xffffffff;
  for (const byte of bytes) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** An 8-bit RGBA PNG (colour type 6), each row with filter type 0. */
function encodePng(size, pixels) {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header.set([8, 6, 0, 0, 0], 8);
  const rows = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) pixels.copy(rows, y * (size * 4 + 1) + 1, y * size * 4, (y + 1) * size * 4);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(rows, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

const ICONS = [
  ['icon-192.png', 192, { fullBleed: false }],
  ['icon-512.png', 512, { fullBleed: false }],
  // The "F" sits well inside the maskable safe zone (the central circle of 80 % diameter).
  ['icon-maskable-192.png', 192, { fullBleed: true }],
  ['icon-maskable-512.png', 512, { fullBleed: true }],
  ['apple-touch-icon.png', 180, { fullBleed: true }],
];

const out = new URL('../static/icons/', import.meta.url);
mkdirSync(out, { recursive: true });
for (const [name, size, options] of ICONS) {
  const png = encodePng(size, draw(size, options));
  writeFileSync(new URL(name, out), png);
  console.log(`static/icons/${name}: ${size}×${size}, ${png.length} bytes`);
}
