// PostgreSQL WAL positions (pg_lsn, printed `16/B374D848`): two 32-bit hex halves of one 64-bit
// byte position, compared and subtracted as numbers.
const LSN = /^([0-9A-F]{1,8})\/([0-9A-F]{1,8})$/i;

export function parseLsn(text: string): bigint | undefined {
  const m = LSN.exec(text.trim());
  return m ? (BigInt(`0x${m[1]}`) << 32n) | BigInt(`0x${m[2]}`) : undefined;
}

export const isLsn = (text: string): boolean => parseLsn(text) !== undefined;

/** Whether position `a` is at or past `b` (both valid LSNs). */
export function lsnAtLeast(a: string, b: string): boolean {
  return parseLsn(a)! >= parseLsn(b)!;
}

/** The later of two positions; either may be missing. */
export function maxLsn(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return lsnAtLeast(a, b) ? a : b;
}

/** Bytes from `b` up to `a`, 0 when `b` is already at or past `a`. */
export function lsnBytesBehind(a: string, b: string): number {
  const d = parseLsn(a)! - parseLsn(b)!;
  return d > 0n ? Number(d) : 0;
}
