// Reads what a receipt printer was sent, for tests: the printed lines, the
// QR codes' data and the paper cuts. Written from Epson's ESC/POS command
// reference, not from qcall's encoder, so that a slip the daemon gets wrong
// is read as wrong. It does not render layout (alignment, sizes, bold):
// those commands are skipped by their documented lengths. A command it does
// not know stops the reading with an error instead of guessing.

const LF = 0x0a;
const CR = 0x0d;
const HT = 0x09;
const DLE = 0x10;
const ESC = 0x1b;
const FS = 0x1c;
const GS = 0x1d;

const gb18030 = new TextDecoder('gb18030');
const latin1 = new TextDecoder('latin1');

/** ESC x with a fixed total length (the two command bytes included). */
const ESC_FIXED = {
  '@': 2, // initialise
  2: 2, // default line spacing
  '<': 2, // return home
  ' ': 3, // right-side character spacing n
  '!': 3, // print mode n
  '-': 3, // underline n
  3: 3, // line spacing n
  '%': 3, // user-defined characters on/off
  E: 3, // emphasised (bold) n
  G: 3, // double-strike n
  J: 3, // print and feed n dots
  M: 3, // character font n
  R: 3, // international character set n
  T: 3, // page-mode direction n
  U: 3, // unidirectional printing n
  V: 3, // 90° rotation n
  a: 3, // justification n
  d: 3, // print and feed n lines
  e: 3, // print and reverse-feed n lines
  r: 3, // colour n
  t: 3, // character code table n
  '{': 3, // upside-down n
  $: 4, // absolute position nL nH
  '\\': 4, // relative position nL nH
  c: 4, // ESC c 3 n / c 4 n / c 5 n: paper sensors, panel keys
  p: 5, // drawer pulse m t1 t2
  i: 2, // partial cut (obsolete)
  m: 2, // partial cut (obsolete)
};

/** GS x with a fixed total length. */
const GS_FIXED = {
  '!': 3, // character size n
  B: 3, // white/black reverse n
  H: 3, // HRI position n
  I: 3, // printer ID n
  a: 3, // automatic status back n
  b: 3, // smoothing n
  f: 3, // HRI font n
  h: 3, // bar code height n
  r: 3, // transmit status n
  w: 3, // bar code width n
  $: 4, // absolute vertical position nL nH
  L: 4, // left margin nL nH
  P: 4, // motion units x y
  W: 4, // print area width nL nH
};

/** FS x with a fixed total length. */
const FS_FIXED = {
  '!': 3, // Kanji print mode n
  '-': 3, // Kanji underline n
  C: 3, // Kanji code system n
  W: 3, // Kanji quadruple size n
  S: 4, // Kanji spacing n1 n2
  p: 4, // print NV bit image n m
};

/**
 * Reads `bytes` (a Buffer or Uint8Array) as an ESC/POS stream.
 * Returns `{ lines, qr, cuts }`: the text lines as they print, the data of
 * each stored QR code (GS ( k, function 180), and the number of cuts.
 */
export function readEscPos(bytes) {
  const b = Uint8Array.from(bytes);
  const lines = [];
  const qr = [];
  let cuts = 0;
  let kanji = false; // FS & ... FS . : text is double-byte (GB18030 on Chinese printers)
  let line = '';
  let run = []; // text bytes not yet decoded

  const decodeRun = () => {
    if (run.length) line += (kanji ? gb18030 : latin1).decode(Uint8Array.from(run));
    run = [];
  };
  const endLine = () => {
    decodeRun();
    lines.push(line);
    line = '';
  };
  const need = (i, n, what) => {
    if (i + n > b.length) throw new Error(`${what} at byte ${i} runs past the end (${b.length} bytes)`);
  };
  const u16 = (i) => b[i] + 256 * b[i + 1];
  const name = (c) => (c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : `0x${c.toString(16).padStart(2, '0')}`);

  let i = 0;
  while (i < b.length) {
    const c = b[i];
    if (c === LF) {
      endLine();
      i += 1;
    } else if (c === CR) {
      i += 1;
    } else if (c === HT) {
      run.push(0x20);
      i += 1;
    } else if (c === DLE) {
      // Real-time commands: DLE EOT n (status), DLE ENQ n.
      need(i, 3, 'DLE');
      if (b[i + 1] !== 0x04 && b[i + 1] !== 0x05) throw new Error(`unknown DLE ${name(b[i + 1])} at byte ${i}`);
      i += 3;
    } else if (c === ESC) {
      need(i, 2, 'ESC');
      const x = String.fromCharCode(b[i + 1]);
      if (x === 'd' || x === 'J') {
        // Print the buffer and feed: the line ends here.
        need(i, 3, `ESC ${x}`);
        endLine();
        i += 3;
      } else if (x === '*') {
        // Bit image: m nL nH, then nL+256nH columns of 1 (m 0, 1) or 3 (m 32, 33) bytes.
        need(i, 5, 'ESC *');
        const columns = u16(i + 3);
        const size = b[i + 2] >= 32 ? 3 * columns : columns;
        need(i, 5 + size, 'ESC *');
        i += 5 + size;
      } else if (x in ESC_FIXED) {
        decodeRun();
        need(i, ESC_FIXED[x], `ESC ${x}`);
        i += ESC_FIXED[x];
      } else {
        throw new Error(`unknown ESC ${name(b[i + 1])} at byte ${i}`);
      }
    } else if (c === FS) {
      need(i, 2, 'FS');
      const x = String.fromCharCode(b[i + 1]);
      if (x === '&' || x === '.') {
        decodeRun();
        kanji = x === '&';
        i += 2;
      } else if (x in FS_FIXED) {
        need(i, FS_FIXED[x], `FS ${x}`);
        i += FS_FIXED[x];
      } else {
        throw new Error(`unknown FS ${name(b[i + 1])} at byte ${i}`);
      }
    } else if (c === GS) {
      need(i, 2, 'GS');
      const x = String.fromCharCode(b[i + 1]);
      if (x === 'V') {
        // Cut: m 0, 1, 48, 49 alone; m 65, 66, 97, 98, 103, 104 with a feed n.
        need(i, 3, 'GS V');
        const m = b[i + 2];
        const len = [0, 1, 48, 49].includes(m) ? 3 : [65, 66, 97, 98, 103, 104].includes(m) ? 4 : 0;
        if (!len) throw new Error(`unknown GS V m=${m} at byte ${i}`);
        need(i, len, 'GS V');
        decodeRun();
        if (line) endLine();
        cuts += 1;
        i += len;
      } else if (x === '(') {
        // GS ( fn pL pH, then pL+256pH parameter bytes.
        need(i, 5, 'GS (');
        const size = u16(i + 3);
        need(i, 5 + size, `GS ( ${name(b[i + 2])}`);
        const p = b.subarray(i + 5, i + 5 + size);
        // GS ( k <cn 49: QR code> <fn 80: store data> m=48 d1...dk
        if (b[i + 2] === 0x6b && p[0] === 49 && p[1] === 80 && p[2] === 48) qr.push(latin1.decode(p.subarray(3)));
        i += 5 + size;
      } else if (x === 'v') {
        // GS v 0 m xL xH yL yH: a raster image of (xL+256xH) bytes by (yL+256yH) rows.
        need(i, 8, 'GS v 0');
        if (b[i + 2] !== 0x30) throw new Error(`unknown GS v ${name(b[i + 2])} at byte ${i}`);
        const size = u16(i + 4) * u16(i + 6);
        need(i, 8 + size, 'GS v 0');
        i += 8 + size;
      } else if (x === 'k') {
        // Bar code: m 0-6 then data up to NUL; m 65-79 then n and n bytes.
        need(i, 3, 'GS k');
        const m = b[i + 2];
        if (m <= 6) {
          const end = b.indexOf(0, i + 3);
          if (end < 0) throw new Error(`GS k at byte ${i} has no NUL`);
          i = end + 1;
        } else {
          need(i, 4, 'GS k');
          need(i, 4 + b[i + 3], 'GS k');
          i += 4 + b[i + 3];
        }
      } else if (x in GS_FIXED) {
        need(i, GS_FIXED[x], `GS ${x}`);
        i += GS_FIXED[x];
      } else {
        throw new Error(`unknown GS ${name(b[i + 1])} at byte ${i}`);
      }
    } else if (c < 0x20) {
      throw new Error(`unknown control byte ${name(c)} at byte ${i}`);
    } else {
      run.push(c);
      i += 1;
    }
  }
  decodeRun();
  if (line) lines.push(line);
  return { lines, qr, cuts };
}
