#!/usr/bin/env bash
# Times Checkov beside payplat on the same generated plans, restricted to the equivalent checks:
#   CKV_AWS_163 (ECR scan on push), CKV_AWS_37 (EKS control-plane logging),
#   CKV_AWS_66 (CloudWatch log group retention).
# Installs Checkov from PyPI into target/bench/venv. Not part of .ci/run.
# Usage: bench/compare.sh [COPIES...]   (default: 16 159, about 1k and 10k resources)
set -euo pipefail
cd "$(dirname "$0")/.."
dir=target/bench
mkdir -p "$dir"
[ -x "$dir/venv/bin/checkov" ] || { python3 -m venv "$dir/venv" && "$dir/venv/bin/pip" install --quiet checkov; }
cargo build --quiet --release --bin payplat
payplat=target/release/payplat
seconds() { /usr/bin/time -f "%e" -o "$dir/time.txt" "$@" >/dev/null 2>&1 || true; cat "$dir/time.txt"; }

printf '%-10s %12s %12s %10s\n' resources "checkov s" "payplat s" speed-up
for copies in "${@:-16 159}"; do
    for n in $copies; do
        plan="$dir/plan-$n.json"
        [ -f "$plan" ] || "$payplat" generate --format plan-json --copies "$n" -o "$plan"
        checkov_s=$(seconds "$dir/venv/bin/checkov" --quiet --compact --framework terraform_plan \
            --check CKV_AWS_163,CKV_AWS_37,CKV_AWS_66 -f "$plan")
        payplat_s=$(seconds "$payplat" check --select PP101,PP201,PP501 --format json -o /dev/null "$plan")
        awk -v r=$((n * 63)) -v c="$checkov_s" -v p="$payplat_s" 'BEGIN {
            printf "%-10d %12.2f %12.2f %9.0fx\n", r, c, p, (p > 0 ? c / p : 0) }'
    done
done
