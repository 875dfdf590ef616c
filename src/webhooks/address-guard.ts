/**
 * SSRF protection for webhook URLs: only https to public addresses. The address is checked where
 * it matters, at connect time, on every address the name resolves to (a name that resolves to a
 * private address, or is re-pointed at one after registration, is refused); registration checks
 * what it can without resolving (the scheme, literal addresses and local names).
 */
import dns from "node:dns";
import net from "node:net";

/** [prefix bytes, prefix length in bits] */
type Range = readonly [readonly number[], number];

function v4(text: string): number[] {
  return text.split(".").map(Number);
}

const BLOCKED_V4: readonly Range[] = [
  [v4("0.0.0.0"), 8], // "this network", unspecified
  [v4("10.0.0.0"), 8], // private
  [v4("100.64.0.0"), 10], // CGNAT
  [v4("127.0.0.0"), 8], // loopback
  [v4("169.254.0.0"), 16], // link-local, cloud metadata (169.254.169.254)
  [v4("172.16.0.0"), 12], // private
  [v4("192.0.0.0"), 24], // IETF protocol assignments
  [v4("192.0.2.0"), 24], // documentation
  [v4("192.88.99.0"), 24], // 6to4 relay anycast
  [v4("192.168.0.0"), 16], // private
  [v4("198.18.0.0"), 15], // benchmarking
  [v4("198.51.100.0"), 24], // documentation
  [v4("203.0.113.0"), 24], // documentation
  [v4("224.0.0.0"), 4], // multicast
  [v4("240.0.0.0"), 4], // reserved, broadcast
];

/** IPv6 text to its 16 bytes (handles `::` and an embedded dotted IPv4 tail). */
export function ipv6Bytes(text: string): number[] {
  let address = text.replace(/^\[|\]$/g, "").replace(/%.*$/, "");
  let tail: number[] = [];
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(address);
  if (dotted?.[1]) {
    const [a = 0, b = 0, c = 0, d = 0] = v4(dotted[1]);
    tail = [(a << 8) | b, (c << 8) | d];
    address = address.slice(0, -dotted[1].length) + "0:0";
  }
  const [head = "", rest] = address.split("::");
  const groups = (part: string) => (part === "" ? [] : part.split(":").map((g) => parseInt(g, 16)));
  const left = groups(head);
  const right = rest === undefined ? [] : groups(rest);
  const fill = rest === undefined ? [] : new Array<number>(8 - left.length - right.length).fill(0);
  const words = [...left, ...fill, ...right];
  if (tail.length === 2) words.splice(6, 2, ...tail);
  return words.flatMap((w) => [(w >> 8) & 0xff, w & 0xff]);
}

function hex(text: string): number[] {
  return ipv6Bytes(text);
}

const BLOCKED_V6: readonly Range[] = [
  [hex("::"), 96], // unspecified, loopback (::1) and the deprecated IPv4-compatible block
  [hex("64:ff9b::"), 96], // NAT64 (embeds an IPv4 address)
  [hex("64:ff9b:1::"), 48], // local-use NAT64
  [hex("100::"), 64], // discard-only
  [hex("2001::"), 23], // IETF protocol assignments, Teredo
  [hex("2001:db8::"), 32], // documentation
  [hex("2002::"), 16], // 6to4 (embeds an IPv4 address)
  [hex("fc00::"), 7], // unique local
  [hex("fe80::"), 10], // link-local
  [hex("fec0::"), 10], // site-local (deprecated)
  [hex("ff00::"), 8], // multicast
];

function inRange(bytes: readonly number[], [prefix, bits]: Range): boolean {
  for (let i = 0; i < bits; i++) {
    const byte = i >> 3;
    const mask = 0x80 >> (i & 7);
    if (((bytes[byte] ?? 0) & mask) !== ((prefix[byte] ?? 0) & mask)) return false;
  }
  return true;
}

/**
 * True when `address` (an IP literal) is not a public unicast address: loopback, private,
 * link-local (incl. 169.254.169.254), CGNAT, multicast, unspecified, documentation, and the IPv6
 * forms of all of them, incl. IPv4-mapped (::ffff:127.0.0.1). Anything unparsable is refused.
 */
export function isBlockedAddress(address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, "");
  const family = net.isIP(bare.replace(/%.*$/, ""));
  if (family === 4) return BLOCKED_V4.some((r) => inRange(v4(bare), r));
  if (family !== 6) return true;
  const bytes = ipv6Bytes(bare);
  // IPv4-mapped (::ffff:a.b.c.d): judged as the IPv4 address it is.
  if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff)
    return BLOCKED_V4.some((r) => inRange(bytes.slice(12), r));
  return BLOCKED_V6.some((r) => inRange(bytes, r));
}

export class UnsafeWebhookUrl extends Error {}

const LOCAL_NAMES = /(^|\.)(localhost|local|internal|localdomain|home\.arpa)$/i;

/**
 * Checks a webhook URL when it is registered: https (http too when private addresses are
 * allowed), no credentials, and no literal private address or local name. Returns the URL as
 * it will be called.
 */
export function checkWebhookUrl(raw: string, allowPrivate: boolean): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UnsafeWebhookUrl("url must be an absolute https URL");
  }
  const schemes = allowPrivate ? ["https:", "http:"] : ["https:"];
  if (!schemes.includes(url.protocol)) throw new UnsafeWebhookUrl("url must use https");
  if (url.username || url.password)
    throw new UnsafeWebhookUrl("url must not carry a user name or password");
  if (!allowPrivate) {
    const host = url.hostname.replace(/^\[|\]$/g, "");
    if (
      net.isIP(host) !== 0 ? isBlockedAddress(host) : LOCAL_NAMES.test(host) || !host.includes(".")
    )
      throw new UnsafeWebhookUrl("url must point to a public address");
  }
  url.hash = "";
  return url.toString();
}

type LookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string | dns.LookupAddress[],
  family?: number,
) => void;

export type LookupFunction = (
  hostname: string,
  options: dns.LookupOptions,
  callback: LookupCallback,
) => void;

/**
 * A `lookup` for http(s).request that refuses to connect when any address the name resolves to
 * is not public. Node calls it for names only; literal addresses are checked by the sender.
 */
export function guardedLookup(base: LookupFunction = dns.lookup): LookupFunction {
  return (hostname, options, callback) => {
    base(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, []);
      const list = addresses as dns.LookupAddress[];
      const blocked = list.find((a) => isBlockedAddress(a.address));
      if (blocked || list.length === 0) {
        const refused = Object.assign(
          new Error(
            `refused to connect to ${hostname} (${blocked?.address ?? "no address"}): not a public address`,
          ),
          { code: "EADDRNOTPUBLIC" },
        );
        return callback(refused, []);
      }
      if (options.all) return callback(null, list);
      const first = list[0]!;
      callback(null, first.address, first.family);
    });
  };
}
