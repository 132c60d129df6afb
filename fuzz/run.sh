#!/usr/bin/env bash
# Fuzz each target for a bounded time (default 60 s each): the sanitiser, the HTML flattener, the
# feed path, the JSON sources, the config loader and the date parser. Not part of CI's critical
# path: run it by hand or on a schedule. Needs cargo-fuzz (`cargo install cargo-fuzz`); it runs on
# the stable toolchain with `--sanitizer none`. A crash is saved under fuzz/artifacts/TARGET/: turn
# it into a test beside the code it broke, then fix.
set -euo pipefail
cd "$(dirname "$0")"
secs="${1:-60}"
for t in sanitize html feed json_sources config dates; do
    echo "== $t (${secs}s)"
    cargo fuzz run --sanitizer none "$t" -- -max_total_time="$secs" -max_len=65536
done
