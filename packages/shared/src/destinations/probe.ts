/**
 * The connection test every destination shares: write, read back, list and delete a small
 * probe object, and turn the first failure into a class with the seed's troubleshooting
 * advice ("Problemas Comuns": space, slow backups, cloud authentication).
 */
import { randomUUID } from "node:crypto";
import { CofreError, type ErrorCode } from "../errors.ts";
import { bytesStream, getBytes, type ConnectionTestClass, type ConnectionTestResult, type Destination } from "./contract.ts";

/** The class of a destination error; codes not listed (I/O, 5xx, rate limits) count as network. */
export const CLASS_OF: Partial<Record<ErrorCode, ConnectionTestClass>> = {
  // Refused by Cofre's own SSRF guard, before any connection: a policy, not the network.
  DESTINATION_BLOCKED_HOST: "permission",
  DESTINATION_AUTH: "authentication",
  DESTINATION_CREDENTIALS_MISSING: "authentication",
  DESTINATION_PERMISSION: "permission",
  DESTINATION_QUOTA: "quota",
  DESTINATION_NOT_FOUND: "not_found",
  DESTINATION_NETWORK: "network",
  DESTINATION_TLS: "tls",
  DESTINATION_HOST_KEY: "host_key",
};

export const ADVICE: Record<ConnectionTestClass, { "pt-BR": string; en: string }> = {
  ok: { "pt-BR": "Conexão funcionando: gravação, leitura, listagem e exclusão testadas.", en: "Connection works: write, read, list and delete tested." },
  authentication: {
    "pt-BR": "Falha de autenticação: a chave ou o token expirou ou está errado. Gere uma nova credencial no provedor e salve-a novamente.",
    en: "Authentication failed: the key or token expired or is wrong. Create a new credential at the provider and save it again.",
  },
  permission: {
    "pt-BR": "Sem permissão: a credencial não pode gravar neste local. Conceda permissão de leitura, gravação, listagem e exclusão no bucket/pasta.",
    en: "Permission denied: the credential cannot write here. Grant read, write, list and delete on the bucket/folder.",
  },
  quota: {
    "pt-BR": "Sem espaço ou cota excedida: libere espaço, reduza a retenção, use backups incrementais ou amplie o plano de armazenamento.",
    en: "Out of space or quota: free space, shorten retention, use incremental backups or upgrade the storage plan.",
  },
  not_found: {
    "pt-BR": "Destino não encontrado: confira o bucket, a pasta ou o caminho configurado.",
    en: "Destination not found: check the configured bucket, folder or path.",
  },
  network: {
    "pt-BR": "Falha de rede ou tempo esgotado: confira o endereço, a porta e o firewall, e tente novamente.",
    en: "Network failure or timeout: check the host, port and firewall, and try again.",
  },
  tls: {
    "pt-BR": "Falha de TLS: o certificado do servidor não é confiável ou expirou.",
    en: "TLS failure: the server's certificate is not trusted or has expired.",
  },
  host_key: {
    "pt-BR": "A chave do servidor SSH é desconhecida ou mudou. Confira a impressão digital com o administrador do servidor antes de aceitá-la.",
    en: "The SSH server's host key is unknown or changed. Check its fingerprint with the server's administrator before accepting it.",
  },
};

/** Advice for codes whose cause differs from their class's usual one (shown instead of ADVICE). */
export const ADVICE_BY_CODE: Partial<Record<ErrorCode, { "pt-BR": string; en: string }>> = {
  DESTINATION_BLOCKED_HOST: {
    "pt-BR": "Endereço bloqueado: o destino aponta para uma rede interna (privada, loopback ou metadados de nuvem), que o Cofre não acessa para evitar SSRF. Use o endereço público do serviço; se for um servidor interno confiável, o operador pode liberá-lo em COFRE_ALLOW_PRIVATE_HOSTS.",
    en: "Address blocked: the destination points to an internal network (private, loopback or cloud metadata), which Cofre does not reach, to prevent SSRF. Use the service's public address; for a trusted internal server, the operator can allow it in COFRE_ALLOW_PRIVATE_HOSTS.",
  },
};

function adviceFor(cls: ConnectionTestClass, code?: ErrorCode): { "pt-BR": string; en: string } {
  return (code && ADVICE_BY_CODE[code]) || ADVICE[cls];
}

/**
 * Writes, reads back, lists and removes a probe object. The probe is removed whatever
 * happened after the put was attempted (a failed read-back or listing included), so a
 * failing test leaves nothing behind where the destination still accepts a remove.
 */
export async function runConnectionProbe(
  dest: Destination,
  classify: (e: unknown) => CofreError,
): Promise<ConnectionTestResult> {
  const started = Date.now();
  const key = `.cofre-probe/${randomUUID()}`;
  const body = new TextEncoder().encode(`cofre connection probe ${new Date().toISOString()}\n`);
  const result = (cls: ConnectionTestClass, extra?: string, err?: CofreError): ConnectionTestResult => {
    const advice = adviceFor(cls, err?.code);
    return {
      class: cls,
      ok: cls === "ok",
      message: extra ? { "pt-BR": `${advice["pt-BR"]} (${extra})`, en: `${advice.en} (${extra})` } : advice,
      ...(err ? { detail: err.messages, code: err.code } : {}),
      elapsedMs: Date.now() - started,
    };
  };
  let removed = false;
  try {
    await dest.put(key, bytesStream(body));
    const back = await getBytes(dest, key);
    if (back.length !== body.length || back.some((b, i) => b !== body[i])) {
      return result("network", "probe read back differs");
    }
    const page = await dest.list(".cofre-probe/");
    if (!page.objects.some((o) => o.key === key)) return result("permission", "probe not listed");
    await dest.remove(key);
    removed = true;
    return result("ok");
  } catch (e) {
    const err = classify(e);
    return result(classOfError(err), err.code, err);
  } finally {
    if (!removed) await dest.remove(key).catch(() => {});
  }
}

/** The connection-test class of a failure (see CLASS_OF). */
export function classOfError(err: CofreError): ConnectionTestClass {
  return CLASS_OF[err.code] ?? "network";
}

/** A classified failure for an error met before the probe could start (e.g. while opening). */
export function failedConnectionTest(err: CofreError, elapsedMs: number): ConnectionTestResult {
  const cls = classOfError(err);
  const advice = adviceFor(cls, err.code);
  return {
    class: cls,
    ok: false,
    message: { "pt-BR": `${advice["pt-BR"]} (${err.code})`, en: `${advice.en} (${err.code})` },
    detail: err.messages,
    code: err.code,
    elapsedMs,
  };
}
