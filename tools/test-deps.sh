#!/bin/sh
# Installs what the browser tests need when missing: Node.js with npm, Debian's Chromium, and
# the npm packages pinned in tests/browser (npm ci). As root it runs apt-get; otherwise it
# prints the exact command and fails. Quick when everything is present.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
dir="$root/tests/browser"

have() { command -v "$1" >/dev/null 2>&1; }

# Debian packages. A Node.js that bundles npm (a NodeSource repack) counts as both; Debian's own
# nodejs ships npm as a separate package.
missing=""
have node || missing="$missing nodejs"
have npm || missing="$missing npm"
[ -x /usr/bin/chromium ] || missing="$missing chromium"
if [ -n "$missing" ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "the browser tests need these Debian packages:$missing" >&2
        echo "install them with: sudo apt-get update && sudo apt-get install -y$missing" >&2
        exit 1
    fi
    echo "installing:$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # shellcheck disable=SC2086
    apt-get install -y -qq $missing >/dev/null
fi

node -e 'const [a, b] = process.versions.node.split(".").map(Number);
         if (a < 18 || (a === 18 && b < 19)) {
             console.error("the browser tests need Node.js 18.19 or newer, found " +
                           process.versions.node);
             process.exit(1);
         }'

# npm packages: npm ci when the lock file changed since the last install (a stamp in
# node_modules holds a copy of the lock file it installed) or a package is gone.
stamp="$dir/node_modules/.refpress-installed-lock.json"
ok=1
[ -f "$stamp" ] && cmp -s "$stamp" "$dir/package-lock.json" || ok=0
for m in html-validate playwright-core axe-core; do
    [ -f "$dir/node_modules/$m/package.json" ] || ok=0
done
if [ "$ok" -eq 0 ]; then
    echo "installing the npm packages of tests/browser (npm ci)"
    (cd "$dir" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
    cp "$dir/package-lock.json" "$stamp"
fi
