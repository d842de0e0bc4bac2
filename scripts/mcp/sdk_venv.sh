# Sourced by scripts/mcp_test.sh and scripts/mcp_game_test.sh: `setup_venv` puts the official MCP
# Python SDK (PyPI `mcp`) into a virtualenv outside the repository, $DGX_PIXELS_MCP_VENV (default
# ~/.cache/dgx-pixels/mcp-venv), created and filled from PyPI on first use; `$venv` names it.
# Returns 77 when Python or the SDK cannot be set up (no python3, no network to PyPI).

repo="${repo:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
venv="${DGX_PIXELS_MCP_VENV:-$HOME/.cache/dgx-pixels/mcp-venv}"
# The SDK's 2.x client API (mcp.Client) is what the test clients are written against.
sdk_requirement="mcp>=2.3,<3"

# On a fresh Debian CI machine (root), the Python venv module may need its package first.
install_python() {
    if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null; then
        "$repo/.ci/install-system-packages" python3 python3-venv >&2
    fi
}

setup_venv() {
    command -v python3 >/dev/null || install_python || true
    command -v python3 >/dev/null || { echo "mcp sdk: python3 not found" >&2; return 77; }
    if ! "$venv/bin/python" -c "import mcp.client.client" 2>/dev/null; then
        python3 -m venv "$venv" >&2 2>/dev/null || { install_python || true; python3 -m venv "$venv" >&2; } \
            || { echo "mcp sdk: cannot create $venv" >&2; return 77; }
        "$venv/bin/pip" install --quiet --disable-pip-version-check "$sdk_requirement" >&2 \
            || { echo "mcp sdk: cannot install $sdk_requirement from PyPI" >&2; return 77; }
    fi
}
