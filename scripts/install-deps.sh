#!/usr/bin/env bash
# Installs what the tests need on a fresh Debian machine that has only the .NET SDK:
# Redis and PostgreSQL servers (started per run by scripts/test-services.sh), Chromium for the
# page tests, promtool and Lua for the monitoring and Argo CD config tests, and the web client's
# npm packages. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v redis-server >/dev/null || need+=(redis-server)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
command -v chromium >/dev/null || need+=(chromium)
command -v runuser >/dev/null || need+=(util-linux)
# The kubectl tests use the machine's kubectl; Debian's own is old but enough where none is installed.
command -v kubectl >/dev/null || need+=(kubernetes-client)
# promtool checks and unit-tests the alerts and dashboard queries; Debian ships it in `prometheus`.
command -v promtool >/dev/null || need+=(prometheus)
# The Argo CD health checks (config/argocd/health) are Lua; the tests run them.
command -v lua5.4 >/dev/null || need+=(lua5.4)
if [ ${#need[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${need[@]}"
fi
# Debian starts the packaged clusters on install; the tests use their own, so keep the default ones down.
service postgresql stop >/dev/null 2>&1 || true
service redis-server stop >/dev/null 2>&1 || true
service prometheus stop >/dev/null 2>&1 || true

if [ -f gameserver/GridGame.GameServer/package.json ]; then
  (cd gameserver/GridGame.GameServer && npm ci --no-audit --no-fund --loglevel=error)
fi
dotnet restore GridGame.sln
