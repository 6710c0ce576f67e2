/**
 * Vite config for the Settings → Backups tab. Dev server and preview listen on 127.0.0.1 at
 * the app port recorded with the rest of the stack's ports (scripts/stack/ports.ts).
 */
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";
import { HOST, PORTS } from "../scripts/stack/ports.ts";

export default defineConfig({
  plugins: [react()],
  server: { host: HOST, port: PORTS.app, strictPort: true },
  preview: { host: HOST, port: PORTS.app, strictPort: true },
});
