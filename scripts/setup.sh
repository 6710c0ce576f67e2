#!/usr/bin/env bash
# Installs what Cofre's local stack and tests need, and nothing that is already there.
# Idempotent: a second run on a ready machine only checks. Runs as root on Debian 12.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\033[1;34m[setup]\033[0m %s\n' "$*"; }

# --- Debian packages --------------------------------------------------------------------
# PostgreSQL 15 with pg_cron and pgTAP (+ pg_prove), the FTP/SFTP servers the destination
# tests start, Chromium for the tab's browser tests, and the archive tools tests use to prove
# our ZIPs open anywhere.
APT_PACKAGES=(
  postgresql-15 postgresql-client-15 postgresql-contrib
  postgresql-15-cron postgresql-15-pgtap libtap-parser-sourcehandler-pgtap-perl
  postgresql-15-plpgsql-check
  vsftpd openssh-server
  chromium
  unzip p7zip-full
  ca-certificates openssl procps time
)
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if ((${#missing[@]})); then
  if [ "$(id -u)" -ne 0 ]; then
    echo "[setup] missing Debian packages: ${missing[*]} — run as root (or install them) and retry" >&2
    exit 1
  fi
  log "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # policy-rc.d keeps Debian from starting system-wide services we never asked for:
  # the stack starts its own instances on loopback, non-default ports.
  had_policy=0; [ -e /usr/sbin/policy-rc.d ] && had_policy=1
  if [ $had_policy -eq 0 ]; then printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; fi
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  if [ $had_policy -eq 0 ]; then rm -f /usr/sbin/policy-rc.d; fi
else
  log "Debian packages present"
fi

# --- npm workspace ------------------------------------------------------------------------
# `npm ci` when node_modules is missing or was installed from another lock file.
stamp=node_modules/.cofre-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ] || [ ! -x node_modules/.bin/deno ]; then
  log "npm ci"
  # Never --omit=optional: the Deno and Supabase CLI binaries arrive as optional dependencies.
  npm ci --no-audit --no-fund --loglevel=error
  echo "$want" >"$stamp"
else
  log "node_modules current"
fi
node packages/cli/build.mjs >/dev/null 2>&1 && log "CLI bundled (packages/cli/dist)" || log "CLI not bundled: npx cofre runs the sources through tsx"
log "ready: $(node_modules/.bin/deno --version | head -1), $(/usr/lib/postgresql/15/bin/postgres --version)"
