#!/usr/bin/env bash
# Runs a command without the variables an outer npm puts in the environment of its scripts
# (npm_config_*, npm_package_*, npm_lifecycle_*, npm_execpath, npm_node_execpath, NODE, INIT_CWD).
# setup.sh runs from `npm test`'s pretest; a nested `npm install` that inherited them would see the
# outer npm's user agent (`npm/11 node/v20…`, which code-server's postinstall reads to check for Node 24),
# its local prefix (the locktrace checkout), its allowScripts and its nodedir.
# Files (~/.npmrc, the global npmrc) still configure the nested npm, so the registry settings stay.
#
#   bash scripts/vscode-host/clean-env.sh [VAR=value ...] command [args...]
set -euo pipefail
unset_args=()
for k in $(compgen -e); do
  case $k in
    npm_* | NPM_* | INIT_CWD | NODE) unset_args+=(-u "$k") ;;
  esac
done
exec env "${unset_args[@]}" "$@"
