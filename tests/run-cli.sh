#!/bin/sh
# The command line end to end: help, version, usage errors and exit codes, the summary line,
# reproducible output, --jobs, --quiet, --drafts, --base-url, the output folder rules, and the
# repository's own example site.
set -u
bin=$1
repo=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export SOURCE_DATE_EPOCH=1767225600 CI=1
pass=0 fail=0
ok() { pass=$((pass + 1)); }
no() { echo "FAIL: $*"; fail=$((fail + 1)); }
check() { if eval "$2"; then ok; else no "$1"; fi; }

"$bin" --help >"$tmp/o" 2>&1; code=$?
check "--help exits 0" '[ $code = 0 ]'
check "--help shows the build synopsis" 'grep -q "^usage: refpress build \[SITE\] \[--out DIR\]" "$tmp/o"'
"$bin" --version >"$tmp/o" 2>&1
check "--version" 'grep -qx "refpress [0-9][0-9.]*" "$tmp/o"'
"$bin" >/dev/null 2>&1; code=$?
check "no command is a usage error" '[ $code = 2 ]'
"$bin" build --frobnicate 2>"$tmp/o"; code=$?
check "unknown option exits 2" '[ $code = 2 ]'
check "unknown option message" 'grep -qx "refpress: unknown option '"'"'--frobnicate'"'"' (see refpress --help)" "$tmp/o"'
"$bin" build --jobs 0 2>"$tmp/o"; code=$?
check "--jobs 0 exits 2" '[ $code = 2 ]'
"$bin" build --out 2>"$tmp/o"; code=$?
check "--out without a value exits 2" '[ $code = 2 ] && grep -q "needs a value" "$tmp/o"'
"$bin" publish 2>/dev/null; code=$?
check "unknown command exits 2" '[ $code = 2 ]'
"$bin" build "$tmp/nowhere" 2>"$tmp/o"; code=$?
check "missing site exits 1 naming the folder" '[ $code = 1 ] && grep -q "no content folder" "$tmp/o"'

# The repository's own site.
"$bin" build "$repo" --out "$tmp/a" --jobs 1 >"$tmp/o" 2>&1; code=$?
check "example site builds" '[ $code = 0 ]'
[ $code = 0 ] || cat "$tmp/o"
check "one summary line" '[ $(wc -l <"$tmp/o") = 1 ] && grep -Eq "^built [0-9,]+ pages in [0-9]+\.[0-9]{2} s" "$tmp/o"'
"$bin" build "$repo" --out "$tmp/b" --jobs 4 --quiet >"$tmp/o" 2>&1
check "--quiet prints nothing" '[ ! -s "$tmp/o" ]'
check "output is the same for --jobs 1 and 4" 'diff -r "$tmp/a" "$tmp/b" >/dev/null'
"$bin" build "$repo" --out "$tmp/b" --jobs 2 --quiet
check "a rebuild replaces the previous output with identical bytes" 'diff -r "$tmp/a" "$tmp/b" >/dev/null'
check "no staging folder is left" '[ -z "$(ls -A "$tmp" | grep refpress-)" ]'

# A folder holding only content/ builds with the embedded templates and theme.
mkdir -p "$tmp/bare/content/notes"
printf -- '---\ntitle: Hello\n---\n# Hi\n\nSome *text*.\n' >"$tmp/bare/content/notes/hello.md"
printf 'Just Markdown, no front matter.\n' >"$tmp/bare/content/plain.md"
"$bin" build "$tmp/bare" --quiet 2>"$tmp/o"; code=$?
check "a bare content folder builds" '[ $code = 0 ]'
check "bare site page written" 'grep -q "<em>text</em>" "$tmp/bare/public/notes/hello/index.html"'
check "a page without front matter takes its title from its first heading or name" 'grep -q "<h1>Plain</h1>" "$tmp/bare/public/plain/index.html"'
check "stylesheet is fingerprinted" 'ls "$tmp/bare/public" | grep -Eq "^style\.[0-9a-f]{10}\.css$"'

# Drafts and base URL.
printf -- '---\ntitle: Secret\ndraft: true\n---\nx\n' >"$tmp/bare/content/notes/secret.md"
"$bin" build "$tmp/bare" --quiet
check "drafts are left out" '[ ! -e "$tmp/bare/public/notes/secret/index.html" ]'
"$bin" build "$tmp/bare" --drafts --quiet
check "--drafts includes them" '[ -e "$tmp/bare/public/notes/secret/index.html" ]'
"$bin" build "$tmp/bare" --base-url https://docs.example.com/sub/ --quiet
check "--base-url sets canonical links and paths" 'grep -q "<link rel=\"canonical\" href=\"https://docs.example.com/sub/notes/hello/\">" "$tmp/bare/public/notes/hello/index.html" && grep -q "href=\"/sub/style\." "$tmp/bare/public/notes/hello/index.html"'

# A folder refpress did not write is never replaced.
mkdir -p "$tmp/precious"; echo keep >"$tmp/precious/notes.txt"
"$bin" build "$tmp/bare" --out "$tmp/precious" 2>"$tmp/o"; code=$?
check "refuses to replace a foreign folder" '[ $code = 3 ] && [ "$(cat "$tmp/precious/notes.txt")" = keep ]'
check "and says why" 'grep -q "refusing to replace a folder that refpress did not write" "$tmp/o"'

# Link checking: in the build, in `check`, and on any folder of HTML.
bad="$repo/tests/bad/broken-links"
"$bin" build "$bad" --out "$tmp/nocheck" --no-check --quiet; code=$?
check "--no-check builds a site with broken links" '[ $code = 0 ] && [ -e "$tmp/nocheck/docs/a/index.html" ]'
"$bin" check "$bad" >"$tmp/o" 2>&1; code=$?
check "check SITE fails on broken links" '[ $code = 1 ] && grep -q "^content/docs/a.md:9:37: error: link to /docs/c/: no such page" "$tmp/o"'
check "check SITE writes nothing into the site" '[ ! -e "$bad/public" ]'
"$bin" check "$bad" --format github >"$tmp/o" 2>/dev/null
check "--format github annotations" 'grep -qx "::error file=content/docs/a.md,line=9,col=37::link to /docs/c/: no such page (/docs/c/index.html does not exist)" "$tmp/o"'
"$bin" check "$bad" --format json >"$tmp/o" 2>/dev/null
check "--format json lists every finding" '[ "$(grep -c "severity.: .error" "$tmp/o")" = 11 ]'
"$bin" check "$repo" >"$tmp/o" 2>&1; code=$?
check "the example site has no broken link" '[ $code = 0 ] && grep -Eq "^checked [0-9,]+ pages · [0-9,]+ links checked, 0 broken" "$tmp/o"'
mkdir -p "$tmp/html/sub"
printf '<!DOCTYPE html><title>x</title><a href="sub/">sub</a> <a href="sub">no slash</a> <a href="missing.html">gone</a>\n' >"$tmp/html/index.html"
printf '<!DOCTYPE html><title>s</title><a href="../">up</a>\n' >"$tmp/html/sub/index.html"
"$bin" check --html "$tmp/html" >"$tmp/o" 2>&1; code=$?
check "check --html finds a broken link in plain HTML" '[ $code = 1 ] && grep -q "^index.html:1: error: link to missing.html: no such file" "$tmp/o"'
rm "$tmp/html/index.html"
printf '<!DOCTYPE html><title>x</title><a href="sub/">sub</a> <a href="sub">no slash</a>\n' >"$tmp/html/index.html"
"$bin" check --html "$tmp/html" >/dev/null 2>&1; code=$?
check "warnings alone pass" '[ $code = 0 ]'
"$bin" check --html "$tmp/html" --strict >"$tmp/o" 2>&1; code=$?
check "--strict fails on warnings" '[ $code = 1 ] && grep -q "warning: link to sub: a folder needs a trailing slash (sub/)" "$tmp/o"'
mkdir -p "$tmp/ext"
printf '<!DOCTYPE html><title>x</title><a href="http://127.0.0.1:9/gone">x</a> <a href="http://127.0.0.1:9/skip">y</a>\n' >"$tmp/ext/index.html"
"$bin" check --html "$tmp/ext" --external --external-cache '' --ignore /skip >"$tmp/o" 2>&1; code=$?
check "check --html --external asks external links (port 9: refused), with the same --ignore" '[ $code = 1 ] && grep -qx "index.html:1: error: link to http://127.0.0.1:9/gone: cannot connect to 127.0.0.1 port 9" "$tmp/o" && [ "$(grep -c ": error: " "$tmp/o")" = 1 ]'
"$bin" check --html "$tmp/html" --out x 2>/dev/null; code=$?
check "--out does not go with check" '[ $code = 2 ]'
"$bin" check --html "$tmp/html" --format yaml 2>/dev/null; code=$?
check "unknown --format is a usage error" '[ $code = 2 ]'

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
