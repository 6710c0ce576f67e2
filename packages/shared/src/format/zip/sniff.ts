/**
 * Is this content already compressed? Decided from the bytes, not the name: the magic
 * numbers of the formats a clinic stores (JPEG, PNG, PDF, ZIP/DOCX/XLSX, video…), then a
 * trial deflate of the sample for anything else. Such entries are stored, not deflated:
 * deflating them again costs CPU and gains nothing.
 */
import zlib from "node:zlib";

type Magic = { offset: number; bytes: number[] };

const MAGICS: readonly Magic[] = [
  { offset: 0, bytes: [0xff, 0xd8, 0xff] }, // JPEG
  { offset: 0, bytes: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] }, // PNG
  { offset: 0, bytes: [0x47, 0x49, 0x46, 0x38] }, // GIF
  { offset: 8, bytes: [0x57, 0x45, 0x42, 0x50] }, // WebP (RIFF….WEBP)
  { offset: 0, bytes: [0x25, 0x50, 0x44, 0x46, 0x2d] }, // PDF
  { offset: 0, bytes: [0x50, 0x4b, 0x03, 0x04] }, // ZIP, DOCX, XLSX, ODT
  { offset: 0, bytes: [0x1f, 0x8b] }, // gzip
  { offset: 0, bytes: [0x42, 0x5a, 0x68] }, // bzip2
  { offset: 0, bytes: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00] }, // xz
  { offset: 0, bytes: [0x28, 0xb5, 0x2f, 0xfd] }, // zstd
  { offset: 0, bytes: [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c] }, // 7z
  { offset: 4, bytes: [0x66, 0x74, 0x79, 0x70] }, // MP4 / MOV / HEIC (….ftyp)
  { offset: 0, bytes: [0x1a, 0x45, 0xdf, 0xa3] }, // Matroska / WebM
  { offset: 0, bytes: [0x4f, 0x67, 0x67, 0x53] }, // Ogg
  { offset: 0, bytes: [0x49, 0x44, 0x33] }, // MP3 with ID3
];

function hasMagic(b: Uint8Array, m: Magic): boolean {
  if (b.length < m.offset + m.bytes.length) return false;
  return m.bytes.every((v, i) => b[m.offset + i] === v);
}

/** Minimum sample gain (compressed/original) below which deflating is not worth it. */
const WORTHWHILE = 0.95;

export function looksCompressed(sample: Uint8Array): boolean {
  if (sample.length === 0) return false;
  if (MAGICS.some((m) => hasMagic(sample, m))) return true;
  if (sample.length < 512) return false;
  const trial = zlib.deflateRawSync(sample, { level: 1 });
  return trial.length / sample.length > WORTHWHILE;
}
