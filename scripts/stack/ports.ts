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
    "save-secret": 55445,
  },
  /** Destination servers and provider fakes (issue 5); FTP passive ports are a range. */
  s3rver: 55450,
  ftp: 55451,
  ftps: 55452,
  ftpPassive: { min: 55490, max: 55499 },
  sftp: 55453,
  fakeGdrive: 55454,
  fakeDropbox: 55455,
  fakeStorjAuth: 55456,
  fakeResend: 55457,
  /** The dev gateway speaking Supabase's HTTP API (issues 7 and 8). */
  gateway: 55480,
  app: 55473,
} as const;

export const HOST = "127.0.0.1";
