#!/usr/bin/env bash
# overhear against newsboat at ingest, side by side, then the console's queries at 10,000, 100,000
# and 1,000,000 mentions. Installs newsboat from Debian's packages where it is missing.
#
#   benches/vs-newsboat.sh            # every figure (about 25 minutes on 2 cores)
#   OVERHEAR_BENCH_RUNS=3 benches/vs-newsboat.sh
#
# Figures are medians of runs that alternate newsboat, overhear and the floor; ratios are computed
# within the same run. See README.md, "Speed".
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v newsboat >/dev/null; then
    if command -v apt-get >/dev/null; then
        echo "installing newsboat from Debian's packages…" >&2
        sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
        $sudo apt-get install -y -qq newsboat >/dev/null
    else
        echo "newsboat is not installed: overhear's figures are printed without it" >&2
    fi
fi
cargo bench --bench ingest
cargo bench --bench window
