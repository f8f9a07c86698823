#!/usr/bin/env bash
# Install the agent harnesses Overseer drives, at pinned versions, into <repo>/.tools (git-ignored).
#
#   scripts/install-harnesses.sh            # everything
#   scripts/install-harnesses.sh npm        # only the npm CLIs (claude, codex, gemini, opencode; mcporter, an MCP client)
#   scripts/install-harnesses.sh aider mini # only these pip harnesses
#
# Idempotent and cached: what is installed at its pinned version is skipped. npm CLIs go into
# .tools/node_modules; each pip harness gets its own venv (.tools/aider-venv, .tools/mini-venv) so its pins
# never touch Overseer's venv. Every binary is linked into .tools/bin. One failed install is reported and
# the others go on; the script exits 0 unless STRICT=1 (then 1 when anything failed).
set -u

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="${OVERSEER_TOOLS:-$ROOT/.tools}"
BIN="$TOOLS/bin"
PYTHON="${PYTHON:-$(command -v python3.11 || command -v python3)}"

NPM_PINS=("@anthropic-ai/claude-code@2.1.197" "@openai/codex@0.171.0" "@google/gemini-cli@0.61.0" "opencode-ai@1.18.33" "mcporter@0.12.3")
NPM_BINS=(claude codex gemini opencode mcporter)
AIDER_PIN="aider-chat==0.86.2"
MINI_PIN="mini-swe-agent==2.4.6"

FAILED=()
say() { printf '[install-harnesses] %s\n' "$*"; }

link() {  # link <target> <name>: expose a binary in .tools/bin
    mkdir -p "$BIN"
    if [ -e "$1" ]; then ln -sfn "$1" "$BIN/$2"; else say "WARNING: $1 is missing, $2 not linked"; fi
}

npm_version() {  # installed version of an npm package in .tools, or nothing
    local manifest="$TOOLS/node_modules/$1/package.json"
    [ -f "$manifest" ] && node -e 'process.stdout.write(require(process.argv[1]).version)' "$manifest" 2>/dev/null
}

install_npm() {
    command -v npm >/dev/null || { say "FAILED npm CLIs: npm is not on PATH"; FAILED+=("npm"); return; }
    local missing=() pin name version
    for pin in "${NPM_PINS[@]}"; do
        name="${pin%@*}"; version="${pin##*@}"
        if [ "$(npm_version "$name")" = "$version" ]; then say "ok      $pin (already installed)"; else missing+=("$pin"); fi
    done
    if [ "${#missing[@]}" -gt 0 ]; then
        mkdir -p "$TOOLS"
        say "install ${missing[*]} (npm)"
        if ! npm install --prefix "$TOOLS" --no-audit --no-fund --save-exact "${missing[@]}" >"$TOOLS/npm-install.log" 2>&1; then
            say "batch npm install failed; trying one by one (log: $TOOLS/npm-install.log)"
            for pin in "${missing[@]}"; do
                if npm install --prefix "$TOOLS" --no-audit --no-fund --save-exact "$pin" >>"$TOOLS/npm-install.log" 2>&1; then
                    say "done    $pin"
                else
                    say "FAILED  $pin (see $TOOLS/npm-install.log)"; FAILED+=("$pin")
                fi
            done
        else
            say "done    ${missing[*]}"
        fi
    fi
    for name in "${NPM_BINS[@]}"; do
        [ -e "$TOOLS/node_modules/.bin/$name" ] && link "$TOOLS/node_modules/.bin/$name" "$name"
    done
}

install_pip() {  # install_pip <venv dir> <pin> <binary>...
    local venv="$1" pin="$2"; shift 2
    local name="${pin%%==*}" version="${pin##*==}" have=""
    [ -x "$venv/bin/python" ] && have="$("$venv/bin/python" -m pip show "$name" 2>/dev/null | sed -n 's/^Version: //p')"
    if [ "$have" = "$version" ]; then
        say "ok      $pin (already installed in $venv)"
    else
        say "install $pin into $venv (pip${NOTE:+; $NOTE})"
        local log="$TOOLS/pip-$name.log"
        mkdir -p "$TOOLS"
        if { [ -x "$venv/bin/python" ] || "$PYTHON" -m venv "$venv"; } >"$log" 2>&1 \
            && "$venv/bin/python" -m pip install --quiet "$pin" >>"$log" 2>&1; then
            say "done    $pin"
        else
            say "FAILED  $pin (see $log)"; FAILED+=("$pin"); return
        fi
    fi
    local bin
    for bin in "$@"; do link "$venv/bin/$bin" "$bin"; done
}

main() {
    local wanted=("$@")
    [ "${#wanted[@]}" -eq 0 ] && wanted=(npm aider mini)
    local what
    for what in "${wanted[@]}"; do
        case "$what" in
            npm) install_npm ;;
            aider) NOTE="about 75 s and 700 MB" install_pip "$TOOLS/aider-venv" "$AIDER_PIN" aider ;;
            mini) install_pip "$TOOLS/mini-venv" "$MINI_PIN" mini mini-extra ;;
            *) say "unknown part '$what' (known: npm aider mini)"; FAILED+=("$what") ;;
        esac
    done
    if [ "${#FAILED[@]}" -gt 0 ]; then
        say "FAILED: ${FAILED[*]}; the live tests of those harnesses will skip and say so"
        [ "${STRICT:-0}" = "1" ] && return 1
    else
        say "all harnesses installed; binaries in $BIN"
    fi
    return 0
}

main "$@"
