/**
 * SSRF guard for hosted use: a destination whose host resolves to a loopback, private,
 * link-local, carrier-grade NAT, unique-local, multicast, documentation or cloud-metadata
 * address is refused unless the operator's policy names that host (tests allow 127.0.0.1
 * explicitly, through COFRE_ALLOW_PRIVATE_HOSTS). Adapters call `guardHost` before
 * connecting; every address the name resolves to must be public. IPv6 forms that embed an
 * IPv4 address (mapped, compatible, NAT64, 6to4) are judged by the embedded address.
 *
 * Limit (documented in docs/destinations.md): the adapter's client resolves the name again
 * when it connects, so a DNS answer that changes in between (rebinding) is not caught; an
 * adapter that can connect to an address directly should use the one `guardHost` returns.
 */
import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import { CofreError, describeError } from "../errors.ts";
import type { NetworkPolicy } from "./open-context.ts";

function ipv4Octets(ip: string): number[] {
  return ip.split(".").map(Number);
}

function ipv4Blocked(ip: string): boolean {
  const [a, b, c] = ipv4Octets(ip) as [number, number, number, number];
  return a === 0 || a === 10 || a === 127 || // this network, private, loopback
    (a === 169 && b === 254) || // link-local, cloud metadata (169.254.169.254)
    (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || // private
    (a === 100 && b >= 64 && b <= 127) || // carrier-grade NAT
    (a === 192 && b === 0 && (c === 0 || c === 2)) || // IETF protocol assignments, TEST-NET-1
    (a === 198 && (b === 18 || b === 19)) || // benchmarking
    (a === 198 && b === 51 && c === 100) || (a === 203 && b === 0 && c === 113) || // TEST-NET-2/3
    a >= 224; // multicast, reserved, broadcast
}

/** The eight 16-bit groups of an IPv6 address (which may end in a dotted IPv4). */
function ipv6Groups(ip: string): number[] {
  let v = ip.toLowerCase().replace(/%.*$/, "");
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(v);
  if (dotted) {
    const [a, b, c, d] = ipv4Octets(dotted[1]!) as [number, number, number, number];
    v = v.slice(0, -dotted[1]!.length) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = v.includes("::") ? v.split("::") as [string, string] : [v, null];
  const h = head ? head.split(":") : [];
  const t = tail ? tail.split(":") : [];
  const fill = tail === null ? [] : Array(8 - h.length - t.length).fill("0");
  return [...h, ...fill, ...t].map((g) => parseInt(g, 16));
}

function embeddedV4(hi: number, lo: number): string {
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}

function ipv6Blocked(ip: string): boolean {
  const g = ipv6Groups(ip);
  const zeroTo = (n: number) => g.slice(0, n).every((x) => x === 0);
  if (zeroTo(8)) return true; // ::
  if (zeroTo(7) && g[7] === 1) return true; // ::1
  if (zeroTo(5) && g[5] === 0xffff) return ipv4Blocked(embeddedV4(g[6]!, g[7]!)); // ::ffff:a.b.c.d
  if (zeroTo(6)) return ipv4Blocked(embeddedV4(g[6]!, g[7]!)); // ::a.b.c.d (deprecated compatible)
  if (g[0] === 0x64 && g[1] === 0xff9b && g.slice(2, 6).every((x) => x === 0)) {
    return ipv4Blocked(embeddedV4(g[6]!, g[7]!)); // NAT64 64:ff9b::/96
  }
  if (g[0] === 0x2002) return ipv4Blocked(embeddedV4(g[1]!, g[2]!)); // 6to4
  const first = g[0]!;
  return (first & 0xfe00) === 0xfc00 || // unique local fc00::/7 (fd00:ec2::254 is AWS metadata)
    (first & 0xffc0) === 0xfe80 || (first & 0xffc0) === 0xfec0 || // link-local, site-local
    (first & 0xff00) === 0xff00 || // multicast
    (first === 0x2001 && g[1] === 0x0db8) || // documentation
    (first === 0x0100 && zeroTo(4)); // discard-only 100::/64
}

/** True for an address no hosted destination may reach without the operator's consent. */
export function isBlockedAddress(ip: string): boolean {
  const family = isIP(ip);
  if (family === 4) return ipv4Blocked(ip);
  if (family === 6) return ipv6Blocked(ip);
  return true;
}

function blocked(host: string, address: string): CofreError {
  return new CofreError("DESTINATION_BLOCKED_HOST", {
    "pt-BR": `O destino ${host} aponta para um endereço interno (${address}), o que não é permitido. Use um endereço público ou peça ao operador para liberar este host (COFRE_ALLOW_PRIVATE_HOSTS).`,
    en: `Destination ${host} points to an internal address (${address}), which is not allowed. Use a public address or ask the operator to allow this host (COFRE_ALLOW_PRIVATE_HOSTS).`,
  }, { details: { host, address } });
}

function unresolvable(host: string, e: unknown): CofreError {
  return new CofreError("DESTINATION_NETWORK", {
    "pt-BR": `Não foi possível encontrar o endereço de ${host} (${describeError(e)}). Confira o nome do servidor e a conexão de rede.`,
    en: `Could not resolve ${host} (${describeError(e)}). Check the server name and the network connection.`,
  }, { details: { host }, cause: e });
}

/**
 * Resolves `host` and throws DESTINATION_BLOCKED_HOST when any address is internal and not
 * allowed (DESTINATION_NETWORK when it does not resolve). Returns the vetted addresses; an
 * allowed host is returned as given.
 */
export async function guardHost(host: string, policy: NetworkPolicy): Promise<string[]> {
  const bare = host.replace(/^\[(.*)\]$/, "$1").toLowerCase();
  const allowed = policy.allowPrivateHosts.map((h) => h.toLowerCase());
  if (allowed.includes(bare) || allowed.includes(host.toLowerCase())) return [bare];
  let addresses: string[];
  if (isIP(bare)) {
    addresses = [bare];
  } else {
    try {
      addresses = (await lookup(bare, { all: true, verbatim: true })).map((a) => a.address);
    } catch (e) {
      throw unresolvable(host, e);
    }
  }
  for (const address of addresses) {
    if (isBlockedAddress(address) && !allowed.includes(address)) throw blocked(host, address);
  }
  return addresses;
}
