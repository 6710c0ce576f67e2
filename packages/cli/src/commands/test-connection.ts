/**
 * `cofre test-connection <destination>` — writes, reads back, lists and deletes a small probe
 * object and prints the classified result (ok, authentication, permission, quota, not found,
 * network, TLS, host key) with its advice. Exit 0 only when the connection works.
 * Failures met while opening the destination (missing credentials, a refused host, a host
 * key) are classified the same way; a malformed spec is a Cofre error (exit 1).
 */
import type { ConnectionTestClass, ConnectionTestResult } from "@cofre/shared/destinations/contract.ts";
import { failedConnectionTest } from "@cofre/shared/destinations/probe.ts";
import { redactSpec } from "@cofre/shared/destinations/registry.ts";
import { CofreError } from "@cofre/shared/errors.ts";
import { parse, UsageError } from "../args.ts";
import { DESTINATION_OPTIONS, openCliDestination } from "../connection-options.ts";
import { formatDuration, t, type Locale } from "../i18n.ts";

export const TEST_CONNECTION_USAGE = "cofre test-connection <destination> [--credentials-file F] [--json]";

const CLASS_NAME: Record<ConnectionTestClass, { "pt-BR": string; en: string }> = {
  ok: { "pt-BR": "ok", en: "ok" },
  authentication: { "pt-BR": "autenticação", en: "authentication" },
  permission: { "pt-BR": "permissão", en: "permission" },
  quota: { "pt-BR": "espaço/cota", en: "quota/space" },
  not_found: { "pt-BR": "não encontrado", en: "not found" },
  network: { "pt-BR": "rede/tempo esgotado", en: "network/timeout" },
  tls: { "pt-BR": "TLS/certificado", en: "TLS/certificate" },
  host_key: { "pt-BR": "chave do servidor SSH", en: "SSH host key" },
};

/** Opening errors that are about the connection, not about the spec's shape. */
function isConnectionError(e: unknown): e is CofreError {
  return e instanceof CofreError && e.code.startsWith("DESTINATION_") && e.code !== "DESTINATION_UNSUPPORTED";
}

export async function testConnectionCommand(argv: string[], locale: Locale): Promise<number> {
  const { values, positionals } = parse(argv, { json: { type: "boolean" }, ...DESTINATION_OPTIONS });
  const spec = positionals[0];
  if (!spec || positionals.length > 1) throw new UsageError("informe um destino para testar", "give one destination to test");
  const started = Date.now();
  let shown = redactSpec(spec);
  let result: ConnectionTestResult;
  try {
    const dest = await openCliDestination(spec, values);
    shown = dest.displaySpec;
    result = await dest.testConnection();
  } catch (e) {
    if (!isConnectionError(e)) throw e;
    result = failedConnectionTest(e, Date.now() - started);
  }
  if (values.json) {
    console.log(JSON.stringify({ destination: shown, ...result }, null, 2));
  } else {
    const name = CLASS_NAME[result.class][locale];
    const head = result.ok
      ? t(locale, `Conexão OK com ${shown}`, `Connection OK to ${shown}`)
      : t(locale, `Falha na conexão com ${shown}: ${name}`, `Connection to ${shown} failed: ${name}`);
    const lines = [`${head} (${formatDuration(result.elapsedMs, locale)})`, `  ${result.message[locale]}`];
    if (result.detail) lines.push(`  ${t(locale, "detalhe", "detail")}: ${result.detail[locale]}`);
    (result.ok ? console.log : console.error)(lines.join("\n"));
  }
  return result.ok ? 0 : 1;
}
