/** Readiness probe for servers that greet first (FTP "220 …", SSH "SSH-2.0-…"). */
import { createConnection } from "node:net";
import { HOST } from "./ports.ts";

/** True when a connection to `port` on HOST receives a greeting starting with `prefix`. */
export function greets(port: number, prefix: string, ms = 2_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: HOST, port });
    let got = "";
    const done = (ok: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), ms);
    socket.on("data", (d) => {
      got += d.toString("latin1");
      if (got.length >= prefix.length) done(got.startsWith(prefix));
    });
    socket.on("error", () => done(false));
    socket.on("close", () => done(false));
  });
}
