/**
 * Payload layout and per-segment authentication (docs/format-encryption.md §4 and §5): sizes from one another,
 * and the decision a reader makes when a segment does not authenticate.
 */
import { HEADER_LENGTH, MAX_SEGMENT_SIZE, MIN_SEGMENT_SIZE, TAG_LENGTH } from "./constants.ts";
import { integrity, invalidInput, truncated } from "./failures.ts";
import { gcmOpen, segmentNonce } from "./primitives.ts";

function checkSegmentSize(segmentSize: number): void {
  if (!Number.isSafeInteger(segmentSize) || segmentSize < MIN_SEGMENT_SIZE || segmentSize > MAX_SEGMENT_SIZE) {
    throw invalidInput(`segment size must be an integer from ${MIN_SEGMENT_SIZE} to ${MAX_SEGMENT_SIZE}`, { segmentSize });
  }
}

/** Number of segments holding `plaintextSize` bytes: ⌈size / segmentSize⌉, and 1 for an empty plaintext. */
export function segmentCount(plaintextSize: number, segmentSize: number): number {
  checkSegmentSize(segmentSize);
  return Math.max(1, Math.ceil(plaintextSize / segmentSize));
}

/** Size of the container holding `plaintextSize` bytes: 168 + size + 16 × segments. */
export function encryptedSize(plaintextSize: number, segmentSize: number): number {
  if (!Number.isSafeInteger(plaintextSize) || plaintextSize < 0) throw invalidInput("plaintext size", { plaintextSize });
  return HEADER_LENGTH + plaintextSize + TAG_LENGTH * segmentCount(plaintextSize, segmentSize);
}

export interface PayloadLayout {
  /** Number of pieces the payload splits into (n). */
  segments: number;
  /** Bytes of the final piece, tag included (1 … segmentSize + 16). */
  finalLength: number;
  /** Whether the final piece can be a segment at all (≥ 17 bytes, or exactly 16 when n = 1). */
  finalPlausible: boolean;
  /** Plaintext bytes, when the layout is plausible. */
  plaintextSize: number;
}

/**
 * How a container of `containerSize` bytes splits: pieces of segmentSize + 16 bytes, the
 * final one shorter or equal. TRUNCATED when nothing follows the header.
 */
export function payloadLayout(containerSize: number, segmentSize: number): PayloadLayout {
  checkSegmentSize(segmentSize);
  const payload = containerSize - HEADER_LENGTH;
  if (payload < 0) throw truncated("header", { size: containerSize, headerLength: HEADER_LENGTH });
  if (payload === 0) throw truncated("no-payload");
  const piece = segmentSize + TAG_LENGTH;
  const segments = Math.ceil(payload / piece);
  const finalLength = payload - (segments - 1) * piece;
  const finalPlausible = finalLength > TAG_LENGTH || (finalLength === TAG_LENGTH && segments === 1);
  const plaintextSize = finalPlausible ? (segments - 1) * segmentSize + finalLength - TAG_LENGTH : 0;
  return { segments, finalLength, finalPlausible, plaintextSize };
}

/**
 * Plaintext size of a well-formed container of `containerSize` bytes whose header says
 * `segmentSize`, from sizes alone (no key needed): TRUNCATED when no payload could have
 * that size. Readers still authenticate the final segment before trusting it.
 */
export function plaintextSizeOf(containerSize: number, segmentSize: number): number {
  const layout = payloadLayout(containerSize, segmentSize);
  if (!layout.finalPlausible) throw truncated("partial-segment", { finalLength: layout.finalLength });
  return layout.plaintextSize;
}

/**
 * Opens piece `index` that is followed by more payload, so MUST be a non-last segment.
 * On failure, tells "bytes after the real last segment" apart from a bad segment.
 */
export async function openInnerSegment(key: CryptoKey, index: number, sealed: Uint8Array): Promise<Uint8Array> {
  const plain = await gcmOpen(key, segmentNonce(index, false), sealed);
  if (plain) return plain;
  if (await gcmOpen(key, segmentNonce(index, true), sealed)) throw integrity("trailing-data", { segment: index });
  throw integrity("segment", { segment: index });
}

/**
 * Opens the final piece (nothing follows it), which MUST be the last-flagged segment.
 * `pieceLength` is segmentSize + 16. A full piece that authenticates only as non-last means
 * the segments after it are missing → TRUNCATED; any other failure → INTEGRITY_MISMATCH
 * (a cut inside a segment cannot be told apart from an altered last segment).
 */
export async function openFinalSegment(key: CryptoKey, index: number, sealed: Uint8Array, pieceLength: number): Promise<Uint8Array> {
  if (sealed.length < TAG_LENGTH || (sealed.length === TAG_LENGTH && index > 0)) {
    throw truncated("partial-segment", { segment: index, length: sealed.length });
  }
  const plain = await gcmOpen(key, segmentNonce(index, true), sealed);
  if (plain) return plain;
  if (sealed.length === pieceLength && await gcmOpen(key, segmentNonce(index, false), sealed)) {
    throw truncated("final-segment-missing", { segments: index + 1 });
  }
  throw integrity("segment", { segment: index, final: true });
}
