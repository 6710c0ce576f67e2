/**
 * Every port the local stack and the tests listen on, in one place (as rclone's
 * testserver does). All bind 127.0.0.1 only and avoid the services' default ports.
 */
export const PORTS = {
  postgres: 55432,
  functions: {
    "run-backup": 55441,
    "restore": 55442,
    "verify-integrity": 55443,
    "scheduled-cleanup": 55444,
  },
  app: 55473,
} as const;

export const HOST = "127.0.0.1";
