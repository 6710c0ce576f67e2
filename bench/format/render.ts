/** Re-renders the Markdown tables of a finished run: `npx tsx bench/format/render.ts [results.json]`. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import os from "node:os";
import { renderMarkdown, type AllResults } from "./report.ts";

const file = process.argv[2] ?? join(os.tmpdir(), "cofre-bench", "results.json");
console.log(renderMarkdown(JSON.parse(readFileSync(file, "utf8")) as AllResults));
