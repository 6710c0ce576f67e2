import { createReadStream } from "node:fs";
import { open, rename, rm } from "node:fs/promises";
import { randomUUID } from "node:crypto";
import { dirname, join, basename } from "node:path";
import { Readable } from "node:stream";
import { decryptStream } from "@cofre/shared/format/crypto/mod.ts";
import { streamChunks } from "@cofre/shared/format/streams.ts";
import { parse, PASSPHRASE_OPTIONS, readPassphrase, UsageError } from "../args.ts";
import { formatBytes, t, type Locale } from "../i18n.ts";

export const DECRYPT_USAGE = "cofre decrypt <file.cofre> [-o <out>] (--passphrase-env VAR | --passphrase-file F)";

/**
 * Decrypts one container offline. Output goes to a temporary file renamed into place only
 * when every segment authenticated: a wrong passphrase or a tampered file leaves nothing.
 */
export async function decryptCommand(argv: string[], locale: Locale): Promise<number> {
  const { values, positionals } = parse(argv, { out: { type: "string", short: "o" }, ...PASSPHRASE_OPTIONS });
  const input = positionals[0];
  if (!input || positionals.length > 1) throw new UsageError("informe exatamente um arquivo para decifrar", "give exactly one file to decrypt");
  const passphrase = readPassphrase(values);
  if (passphrase === undefined) throw new UsageError("a senha é obrigatória: --passphrase-env VAR ou --passphrase-file F", "the passphrase is required: --passphrase-env VAR or --passphrase-file F");
  const out = values.out ?? (input.endsWith(".cofre") ? input.slice(0, -".cofre".length) : undefined);
  if (!out) throw new UsageError("a entrada não termina em .cofre: indique a saída com -o", "the input does not end in .cofre: name the output with -o");

  const temp = join(dirname(out), `.${basename(out)}.partial-${randomUUID()}`);
  let written = 0;
  const fh = await open(temp, "wx", 0o600);
  try {
    const source = Readable.toWeb(createReadStream(input)) as ReadableStream<Uint8Array>;
    for await (const value of streamChunks(source.pipeThrough(decryptStream(passphrase)))) {
      await fh.write(value);
      written += value.length;
    }
    await fh.sync();
    await fh.close();
    await rename(temp, out);
  } catch (e) {
    await fh.close().catch(() => {});
    await rm(temp, { force: true });
    throw e;
  }
  console.log(t(locale, `Decifrado: ${out} (${formatBytes(written, locale)})`, `Decrypted: ${out} (${formatBytes(written, locale)})`));
  return 0;
}
