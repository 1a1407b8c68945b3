#!/bin/sh
# The link checker against the benchmark corpus: the corpus generator records every link it
# breaks on purpose in manifest.tsv; `refpress check` must report exactly those errors, at
# the same file:line:col with the same URL (precision and recall 100%), and nothing else.
set -u
bin=$1
repo=$2
pages=${3:-10000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export CI=1 MAKE_CORPUS_CACHE="$tmp/cache"
sh "$repo/bench/make-corpus" "$pages" 7 "$tmp/corpus" >/dev/null || { echo "make-corpus failed"; exit 1; }
"$bin" check "$tmp/corpus" >"$tmp/report" 2>&1
code=$?
read -r want found errors warnings <<EOF_SCORE
$(sh "$repo/bench/score-report" "$tmp/report" "$tmp/corpus/manifest.tsv" "$tmp")
EOF_SCORE
echo "corpus: $pages pages, $want broken links recorded; refpress reported $errors errors," \
     "$warnings warnings; $found match the manifest"
pass=0 fail=0
if [ "$code" = 1 ]; then pass=$((pass + 1)); else echo "FAIL: exit $code, want 1"; fail=$((fail + 1)); fi
if [ "$found" = "$want" ]; then pass=$((pass + 1)); else
    echo "FAIL: recall: missed $((want - found)):"; comm -13 "$tmp/got" "$tmp/want" | head -20
    fail=$((fail + 1)); fi
if [ "$errors" = "$want" ] && [ "$(wc -l <"$tmp/got")" = "$want" ]; then pass=$((pass + 1)); else
    echo "FAIL: precision: $errors errors reported for $want recorded:"
    comm -23 "$tmp/got" "$tmp/want" | head -20; grep ': error: ' "$tmp/report" | head -5
    fail=$((fail + 1)); fi
if [ "$warnings" = 0 ]; then pass=$((pass + 1)); else
    echo "FAIL: unexpected warnings:"; grep ': warning: ' "$tmp/report" | head -10
    fail=$((fail + 1)); fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
