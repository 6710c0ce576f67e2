/**
 * SSRF guard for hosted use: a destination whose host resolves to a loopback, private,
 * link-local, carrier-grade NAT, unique-local or cloud-metadata address is refused unless
 * the operator's policy names that host (tests allow 127.0.0.1 explicitly). Adapters call
 * `guardHost` before connecting; every resolved address must be public.
 */
import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import { CofreError } from "../errors.ts";
import type { NetworkPolicy } from "./open-context.ts";

function ipv4Blocked(ip: string): boolean {
  const [a, b] = ip.split(".").map(Number) as [number, number, number, number];
  return a === 0 || a === 10 || a === 127 || (a === 169 && b === 254) || (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127) || a >= 224;
}

function ipv6Blocked(ip: string): boolean {
  const v = ip.toLowerCase();
  if (v === "::" || v === "::1") return true;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(v);
  if (mapped) return ipv4Blocked(mapped[1]!);
  return /^f[cd]/.test(v) || /^fe[89ab]/.test(v) || v.startsWith("ff") || v.startsWith("fd00:ec2::254");
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
    "pt-BR": `O destino ${host} aponta para um endereço interno (${address}), o que não é permitido. Use um endereço público ou peça ao operador para liberar este host.`,
    en: `Destination ${host} points to an internal address (${address}), which is not allowed. Use a public address or ask the operator to allow this host.`,
  }, { details: { host, address } });
}

/** Resolves `host` and throws DESTINATION_BLOCKED_HOST when any address is internal and not allowed. */
export async function guardHost(host: string, policy: NetworkPolicy): Promise<void> {
  const bare = host.replace(/^\[(.*)\]$/, "$1");
  if (policy.allowPrivateHosts.includes(bare) || policy.allowPrivateHosts.includes(host)) return;
  const addresses = isIP(bare) ? [bare] : (await lookup(bare, { all: true }).catch(() => [])).map((a) => a.address);
  for (const address of addresses) if (isBlockedAddress(address)) throw blocked(host, address);
}
