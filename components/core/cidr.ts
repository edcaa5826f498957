/** IPv4 CIDR arithmetic, pure. */

export interface Cidr {
  /** Network address as an unsigned 32-bit integer. */
  base: number;
  prefix: number;
}

const CIDR_RE = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

/** Parses `a.b.c.d/n`; undefined when malformed or when host bits are set. */
export function parseCidr(text: string): Cidr | undefined {
  const m = CIDR_RE.exec(text);
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (octets.some((o) => o > 255) || prefix > 32) return undefined;
  const base = ((octets[0]! << 24) >>> 0) + (octets[1]! << 16) + (octets[2]! << 8) + octets[3]!;
  if ((base & hostMask(prefix)) !== 0) return undefined;
  return { base, prefix };
}

function hostMask(prefix: number): number {
  return prefix === 0 ? 0xffffffff : (2 ** (32 - prefix) - 1) >>> 0;
}

export function size(c: Cidr): number {
  return 2 ** (32 - c.prefix);
}

export function formatCidr(c: Cidr): string {
  const b = c.base;
  return `${b >>> 24}.${(b >>> 16) & 255}.${(b >>> 8) & 255}.${b & 255}/${c.prefix}`;
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  return a.base < b.base + size(b) && b.base < a.base + size(a);
}

/** Whether `inner` lies entirely inside `outer`. */
export function contains(outer: Cidr, inner: Cidr): boolean {
  return inner.base >= outer.base && inner.base + size(inner) <= outer.base + size(outer);
}

/** The `index`-th subnet of prefix `newPrefix` inside `parent`. */
export function subnet(parent: Cidr, newPrefix: number, index: number): Cidr {
  if (newPrefix < parent.prefix) throw new Error(`cannot cut /${newPrefix} from ${formatCidr(parent)}`);
  const count = 2 ** (newPrefix - parent.prefix);
  if (index < 0 || index >= count) throw new Error(`subnet index ${index} out of range for /${newPrefix} in ${formatCidr(parent)}`);
  return { base: parent.base + index * 2 ** (32 - newPrefix), prefix: newPrefix };
}

/** The `n`-th host address (0 = network address) of a CIDR, dotted. */
export function hostAddress(c: Cidr, n: number): string {
  if (n < 0 || n >= size(c)) throw new Error(`host ${n} out of range for ${formatCidr(c)}`);
  return formatCidr({ base: c.base + n, prefix: 32 }).replace(/\/32$/, "");
}
