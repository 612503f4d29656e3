#!/usr/bin/env bash
# One scenario of two commits in one run, rounds alternating so that the machine's drift falls on both alike:
#   bench/scripts/ab.sh BASE [HEAD] [--scenario ingest] [--rounds 3] [--seconds 10]
# Builds each commit's bench (Release) in its own worktree under a temporary folder, then prints each round's figures
# and a table of medians with HEAD's ratio to BASE. Only `ingest` is parsed today (updates/s, CPU per update).
set -euo pipefail
cd "$(dirname "$0")/../.."

base=${1:?usage: ab.sh BASE [HEAD] [--scenario ingest] [--rounds N] [--seconds N]}
shift
head=HEAD
if [ $# -gt 0 ] && [ "${1#--}" = "$1" ]; then head=$1; shift; fi
scenario=ingest rounds=3 seconds=10
while [ $# -gt 0 ]; do
  case $1 in
    --scenario) scenario=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
[ "$scenario" = ingest ] || { echo "only ingest is parsed" >&2; exit 2; }

work=$(mktemp -d /tmp/caseline-ab.XXXXXX)
trap 'git worktree remove --force "$work/base" 2>/dev/null; git worktree remove --force "$work/head" 2>/dev/null; rm -rf "$work"' EXIT
for side in base head; do
  rev=$([ $side = base ] && echo "$base" || echo "$head")
  git worktree add -q --detach "$work/$side" "$rev"
  echo "building $side ($(git rev-parse --short "$rev"))"
  dotnet build -c Release "$work/$side/bench/Caseline.Bench" >"$work/$side.build.log" 2>&1 || { tail -20 "$work/$side.build.log"; exit 1; }
done

run() { # side -> "updates/s cpu-µs"
  (cd "$work/$1" && dotnet bench/Caseline.Bench/bin/Release/net10.0/Caseline.Bench.dll "$scenario" --seconds "$seconds") \
    | sed -n 's/.*Caseline: \([0-9,]*\) updates\/s.* \([0-9]*\) µs of CPU per update.*/\1 \2/p' | tr -d ,
}

: >"$work/figures"
for round in $(seq 1 "$rounds"); do
  for side in base head; do
    read -r rate cpu < <(run $side)
    echo "round $round $side: $rate updates/s, $cpu µs CPU per update"
    echo "$side $rate $cpu" >>"$work/figures"
  done
done

python3 - "$work/figures" "$base" "$head" <<'EOF'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1])]
med = {side: (statistics.median(float(r[1]) for r in rows if r[0] == side), statistics.median(float(r[2]) for r in rows if r[0] == side)) for side in ("base", "head")}
spread = {side: (min(float(r[1]) for r in rows if r[0] == side), max(float(r[1]) for r in rows if r[0] == side)) for side in ("base", "head")}
print()
print(f"| ingest, median of {len(rows) // 2} alternating rounds | {sys.argv[2]} (base) | {sys.argv[3]} (head) | head / base |")
print("|---|---:|---:|---:|")
print(f"| updates/s | {med['base'][0]:,.0f} ({spread['base'][0]:,.0f}–{spread['base'][1]:,.0f}) | {med['head'][0]:,.0f} ({spread['head'][0]:,.0f}–{spread['head'][1]:,.0f}) | {med['head'][0] / med['base'][0]:.3f} |")
print(f"| CPU per update, µs | {med['base'][1]:,.0f} | {med['head'][1]:,.0f} | {med['head'][1] / med['base'][1]:.3f} |")
EOF
