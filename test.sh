#!/usr/bin/env bash
# The project's one test command: installs what the tests need on a fresh Debian/Ubuntu machine
# (bubblewrap and python3 for the sandboxed python tool, tmux for the terminal test), then builds and runs every test project.
set -euo pipefail
cd "$(dirname "$0")"

need=()
command -v bwrap >/dev/null || need+=(bubblewrap)
[ -x /usr/bin/python3 ] || need+=(python3)
[ -x /usr/bin/tmux ] || need+=(tmux)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null; then SUDO="sudo"; else SUDO=""; fi
  if [ "$(id -u)" = 0 ] || [ -n "$SUDO" ]; then
    echo "installing ${need[*]} (apt)"
    $SUDO apt-get install -y --no-install-recommends "${need[@]}" >/dev/null 2>&1 \
      || { $SUDO apt-get update >/dev/null 2>&1 && $SUDO apt-get install -y --no-install-recommends "${need[@]}" >/dev/null; } \
      || echo "warning: could not install ${need[*]}; the python sandbox tests will report it" >&2
  else
    echo "warning: ${need[*]} missing and no root; the python sandbox tests will report it" >&2
  fi
fi

# A real MCP server nobody here wrote, for the MCP tests (they skip, saying why, where npm or node is missing).
mcp_npm=tests/GptOss.Mcp.Tests/npm
if command -v npm >/dev/null && [ ! -d "$mcp_npm/node_modules/@modelcontextprotocol/server-everything" ]; then
  echo "installing @modelcontextprotocol/server-everything (npm) into $mcp_npm"
  mkdir -p "$mcp_npm"
  npm install --prefix "$mcp_npm" --no-save --no-audit --no-fund @modelcontextprotocol/server-everything >/dev/null \
    || echo "warning: npm could not install @modelcontextprotocol/server-everything; its MCP tests will be skipped" >&2
fi

dotnet test GptOssAgent.sln -c Release "$@"
