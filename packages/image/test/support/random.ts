export function randomBytes(length: number, random: () => number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = Math.floor(random() * 256);
  return out;
}

export function randomInt(lo: number, hi: number, random: () => number): number {
  return lo + Math.floor(random() * (hi - lo + 1));
}
