#!/bin/sh
# Bad input: each folder under tests/bad/ is a site that must fail. Its file `expected` holds
# the exact diagnostics (stderr) and `exit` the exit code. Each build runs with a time limit
# over a previous output that must be left exactly as it was, with no staging folder left
# behind and nothing written outside it. UPDATE=1 rewrites `expected` and `exit`.
set -u
bin=$1
dir=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export SOURCE_DATE_EPOCH=1767225600 CI=1
pass=0 fail=0
for case in "$dir"/*/; do
    name=$(basename "$case")
    work="$tmp/$name"
    cp -r "$case" "$work"
    rm -f "$work/expected" "$work/exit"
    mkdir -p "$work/public"
    : >"$work/public/.refpress-output"
    echo "previous build" >"$work/public/index.html"
    before=$(cd "$tmp" && find . | sort)
    (cd "$work" && timeout 60 "$bin" build . --jobs 2 >"$tmp/out.txt" 2>"$tmp/err.txt")
    code=$?
    if [ -n "${UPDATE:-}" ]; then
        cp "$tmp/err.txt" "$case/expected"; echo "$code" >"$case/exit"
    fi
    problems=""
    [ "$code" = "$(cat "$case/exit")" ] || problems="$problems exit $code, want $(cat "$case/exit");"
    cmp -s "$tmp/err.txt" "$case/expected" || problems="$problems diagnostics differ;"
    [ "$(cat "$work/public/index.html")" = "previous build" ] || problems="$problems public/ changed;"
    after=$(cd "$tmp" && find . -path ./out.txt -prune -o -path ./err.txt -prune -o -print | sort)
    before=$(printf '%s\n' "$before" | grep -v -e '^./out.txt$' -e '^./err.txt$')
    [ "$before" = "$after" ] || problems="$problems files were added or removed;"
    if [ -z "$problems" ]; then
        pass=$((pass + 1))
    else
        echo "FAIL $name:$problems"
        echo "--- got (exit $code):"; cat "$tmp/err.txt"
        echo "--- want:"; cat "$case/expected"
        fail=$((fail + 1))
    fi
    rm -rf "$work"
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
