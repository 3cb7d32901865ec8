#!/usr/bin/env bash
# Times whole `payplat check` runs on generated plans of about 1k, 10k and 100k resources
# against the floor of merely parsing the same file into a serde_json::Value, in the same run,
# and reports the ratio and peak RSS. Then the speed-up from 1 to 2 threads on several files, and
# a repository of 1,000 Terraform module directories (the platform as `.tf` files) against
# parsing its files alone.
# Usage: bench/run.sh [RUNS]   (best of RUNS, default 3)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
dir=target/bench
mkdir -p "$dir"
cargo build --quiet --release --bin payplat --example parse_only
payplat=target/release/payplat
parse=target/release/examples/parse_only

# Best wall time (s) and its peak RSS (KB) of RUNS runs of a command.
best() {
    local best_time="" best_rss=""
    for _ in $(seq "$runs"); do
        /usr/bin/time -f "%e %M" -o "$dir/time.txt" "$@" >/dev/null 2>&1 || true
        read -r t rss <"$dir/time.txt"
        if [ -z "$best_time" ] || awk "BEGIN{exit !($t < $best_time)}"; then best_time=$t; best_rss=$rss; fi
    done
    echo "$best_time $best_rss"
}

printf '%-9s %10s %10s %10s %7s %10s %9s\n' resources "size MB" "parse s" "check s" ratio "RSS MB" "RSS/size"
for copies in 16 159 1588; do
    plan="$dir/plan-$copies.json"
    [ -f "$plan" ] || "$payplat" generate --format plan-json --copies "$copies" -o "$plan"
    size=$(stat -c %s "$plan")
    read -r parse_s _ < <(best "$parse" "$plan")
    read -r check_s check_kb < <(best "$payplat" check --format json -o /dev/null "$plan")
    awk -v r=$((copies * 63)) -v size="$size" -v p="$parse_s" -v c="$check_s" -v kb="$check_kb" 'BEGIN {
        printf "%-9d %10.1f %10.2f %10.2f %6.2fx %10.0f %8.2fx\n", r, size/1e6, p, c, c/p, kb/1024, kb*1024/size }'
done

many="$dir/many"
mkdir -p "$many"
for i in 0 1 2 3 4 5 6 7; do [ -f "$many/plan-$i.json" ] || cp "$dir/plan-159.json" "$many/plan-$i.json"; done
read -r one _ < <(best "$payplat" --jobs 1 check --format json -o /dev/null "$many")
read -r two _ < <(best "$payplat" --jobs 2 check --format json -o /dev/null "$many")
awk -v a="$one" -v b="$two" 'BEGIN { printf "8 files of 10k resources: %.2f s with 1 thread, %.2f s with 2: %.2fx\n", a, b, a/b }'

modules="$dir/modules"
if [ ! -d "$modules/999" ]; then
    rm -rf "$modules"
    for i in $(seq 0 999); do "$payplat" generate --format hcl --environment-suffix "m$i" -o "$modules/$i"; done
fi
read -r parse_s _ < <(best "$parse" "$modules")
read -r check_s check_kb < <(best "$payplat" check --format json -o /dev/null "$modules")
size=$(du -sb "$modules" | cut -f1)
awk -v size="$size" -v p="$parse_s" -v c="$check_s" -v kb="$check_kb" 'BEGIN {
    printf "1,000 module directories (%.1f MB of .tf): parse %.2f s, check %.2f s: %.2fx, RSS %.0f MB\n", size/1e6, p, c, c/p, kb/1024 }'
