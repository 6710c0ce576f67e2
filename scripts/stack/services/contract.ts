/**
 * The shape of an extra service of the local stack (destination servers, HTTP fakes, the dev
 * gateway). Every `*.ts` file in this directory except this one, index.ts and `*-main.ts` (a daemon's entry point) exports `service`; main.ts
 * discovers them, so adding a service touches no shared file.
 *
 * Contract: `up` starts the service only when it is not running (PID file + liveness),
 * listens on 127.0.0.1 on a port from ../ports.ts, waits until it answers, and returns the
 * variables it adds to `.stack/env`. `down` stops by recorded PID only what `wanted` names.
 */
export interface ServiceStatus {
  name: string;
  pid: number | null;
  alive: boolean;
  url: string;
}

export interface StackService {
  /** Start order among services: lower first (destination servers 10, fakes 20, gateway 90). */
  readonly order: number;
  status(): ServiceStatus[];
  up(env: Record<string, string>): Promise<Record<string, string>>;
  down(wanted: (statusName: string) => boolean): Promise<void>;
}
