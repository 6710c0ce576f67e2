/**
 * `verify-integrity` — not implemented yet. Every POST answers 501 NOT_IMPLEMENTED (never a fake
 * success); OPTIONS gets the CORS preflight; other methods 405.
 */
import { type Handler, notImplemented, postHandler } from "../_shared/http.ts";

export const handler: Handler = postHandler(() =>
  notImplemented(
    {
      "pt-BR": "A verificação de integridade dos backups chega em uma próxima versão do Cofre. Nada foi executado.",
      en: "Verifying backup integrity arrives in a later release of Cofre. Nothing was done.",
    },
    { function: "verify-integrity" },
  )
);
