#!/bin/sh
# Golden sites: each folder under tests/sites/ is a site; building it must give exactly the
# files under its expected/ folder, byte for byte, with one job and with several, and with
# several when each worker drops its cached page tables after every page and no page keeps
# its whole front matter from loading to its render ("3-nocache").
# UPDATE=1 rewrites expected/ from the current output (then review the diff).
set -u
bin=$1
dir=$2
repo=$(cd "$dir/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export SOURCE_DATE_EPOCH=1767225600 CI=1
pass=0 fail=0
for site in "$dir"/*/; do
    name=$(basename "$site")
    for mode in 1 3 3-nocache; do
        jobs=${mode%-nocache}
        cache=; [ "$mode" = "$jobs" ] || cache=0
        out="$tmp/$name-$mode"
        if ! REFPRESS_PAGE_CACHE=$cache REFPRESS_WHOLE_FRONT=$cache \
                "$bin" build "$site" --out "$out" --jobs "$jobs" --quiet \
                >"$tmp/log" 2>&1; then
            echo "FAIL $name (jobs $mode): build failed:"; cat "$tmp/log"
            fail=$((fail + 1)); continue
        fi
        # The default theme's static files (and their fingerprinted copies) must be exact
        # copies of themes/default/static; once checked, they are left out of the comparison
        # so that expected/ does not hold a copy of the theme in every site.
        copies_ok=true
        for f in "$out"/*; do
            file=$(basename "$f")
            src=$(printf '%s' "$file" | sed 's/\.[0-9a-f]\{10\}\././; s/\.[0-9a-f]\{10\}$//')
            theme="$repo/themes/default/static/$src"
            [ -f "$theme" ] || continue
            if cmp -s "$theme" "$f"; then rm "$f"
            elif [ "$file" != "$src" ]; then
                echo "FAIL $name (jobs $mode): fingerprinted copy differs from $src"; copies_ok=false
            fi
        done
        if ! $copies_ok; then fail=$((fail + 1)); continue; fi
        if [ -n "${UPDATE:-}" ] && [ "$jobs" = 1 ]; then
            rm -rf "$site/expected"; cp -r "$out" "$site/expected"
        fi
        if diff -r "$site/expected" "$out" >"$tmp/diff" 2>&1; then
            pass=$((pass + 1))
        else
            echo "FAIL $name (jobs $mode): output differs from expected/:"
            head -n 60 "$tmp/diff"
            fail=$((fail + 1))
        fi
    done
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
