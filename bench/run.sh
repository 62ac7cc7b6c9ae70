#!/usr/bin/env bash
# Benchmarks of dytnsbatch on this machine, with the sandbox as a separate process.
#
#   bench/run.sh quota [fixed|sliding]   60 s at --qps 1000, 50 ms ± 30 ms latency: rows/s, throttled share, client CPU
#   bench/run.sh local [csv|xlsx] [ROWS] limit off, sandbox over loopback, no latency: rows/s
#   bench/run.sh memory [csv|xlsx] [ROWS] the same, XLSX and 100,000 rows by default: peak RSS
#   bench/run.sh resume [ROWS]           kill a job at ~90%, restart: seconds to the first new call
#   bench/run.sh cpu [ROWS]              CPU per call beside what users would run instead: the bare
#                                        SDK and a hand-signed net/http client, both under x/time/rate
#   bench/run.sh store [ROWS]            a second night of ROWS rows (1,000,000 by default), 1% of
#                                        them new, with the result store and with --no-cache, both
#                                        at the 1000/s quota (STORE_QPS=0: both unthrottled)
#
# In-process figures (no network at all) come from go test -bench:
#   go test -run XXX -bench Pipeline -benchtime 200000x ./pipeline/
# and sharing the quota with a fixed 400 calls/s client from:
#   go test -run X -bench CompetingClient -benchtime 1x ./cli/
set -euo pipefail
cd "$(dirname "$0")/.."
work=${BENCH_DIR:-/tmp/dytnsbatch-bench}
mkdir -p "$work"
bin="$work/dytnsbatch"
go build -o "$bin" .
port=${BENCH_PORT:-18099}
endpoint="127.0.0.1:$port"
export ALIBABA_CLOUD_ACCESS_KEY_ID=sandbox-key-id ALIBABA_CLOUD_ACCESS_KEY_SECRET=sandbox-key-secret DYTNS_AUTH_CODE=sandbox-auth-code
export NO_PROXY=127.0.0.1 HTTP_PROXY= HTTPS_PROXY= http_proxy= https_proxy=

sandbox_pid=""
start_sandbox() { # args: extra sandbox flags
  "$bin" sandbox --listen "$endpoint" "$@" >"$work/sandbox.log" 2>&1 &
  sandbox_pid=$!
  for _ in $(seq 100); do curl -sf "http://$endpoint/_sandbox/stats" >/dev/null && return; sleep 0.05; done
  echo "sandbox did not start"; cat "$work/sandbox.log"; exit 1
}
stop_sandbox() { [ -n "$sandbox_pid" ] && kill "$sandbox_pid" 2>/dev/null && wait "$sandbox_pid" 2>/dev/null || true; sandbox_pid=""; }
trap stop_sandbox EXIT
stat_field() { curl -sf "http://$endpoint/_sandbox/stats" | jq -r ".$1"; }

gen() { # rows format → path
  local p="$work/in-$1.$2"
  [ -f "$p" ] || go run ./bench/gen -rows "$1" -out "$p"
  echo "$p"
}

# timed: runs dytnsbatch under /usr/bin/time; sets elapsed, cpu (user+sys s), rss (KiB).
timed() { timed_prog "$bin" "$@"; }
timed_prog() {
  # The inputs are all valid: anything but exit 0 means the figures are not a run's.
  if ! /usr/bin/time -f "%e %U %S %M" -o "$work/time.txt" "$@"; then
    echo "the job failed; no figures"; exit 1
  fi
  read -r elapsed user sys rss <"$work/time.txt"
  cpu=$(echo "$user + $sys" | bc -l)
}

machine() { echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(go version | cut -d' ' -f3), $(uname -sr)"; }

case "${1:-}" in
quota)
  window=${2:-fixed}
  in=$(gen 60000 csv)
  start_sandbox --qps 1000 --window "$window" --latency 50ms --jitter 30ms
  timed encrypt --endpoint "$endpoint" --qps 1000 --progress none --report "$work/q.json" -o "$work/q.csv" --restart "$in"
  rows=$(jq -r .rows "$work/q.json"); calls=$(jq -r .calls "$work/q.json")
  req=$(stat_field requests); thr=$(stat_field throttled)
  machine
  echo "quota ($window window, 50ms±30ms): $rows rows in ${elapsed}s = $(echo "$rows / $elapsed" | bc -l | xargs printf %.1f) rows/s" \
       "($(echo "100 * $rows / $elapsed / 1000" | bc -l | xargs printf %.2f)% of 1000/s)"
  echo "  calls on the wire $req, throttled $thr ($(echo "100 * $thr / $req" | bc -l | xargs printf %.3f)%)"
  echo "  client CPU ${cpu}s = $(echo "1000 * $cpu / $rows * 1000" | bc -l | xargs printf %.1f) ms per 1000 rows" \
       "($(echo "1000000 * $cpu / $rows" | bc -l | xargs printf %.1f) µs/row, $(echo "$cpu / $elapsed" | bc -l | xargs printf %.3f) cores), peak RSS $((rss / 1024)) MiB"
  ;;
local|memory)
  if [ "$1" = local ]; then fmt=${2:-csv}; n=${3:-200000}; else fmt=${2:-xlsx}; n=${3:-100000}; fi
  in=$(gen "$n" "$fmt")
  start_sandbox --qps 0
  timed encrypt --endpoint "$endpoint" --qps 0 --progress none -o "$work/l.$fmt" --restart "$in"
  machine
  echo "$1 $fmt→$fmt via sandbox on loopback, limit off: $n rows in ${elapsed}s = $(echo "$n / $elapsed" | bc -l | xargs printf %.0f) rows/s;" \
       "client CPU ${cpu}s ($(echo "1000000 * $cpu / $n" | bc -l | xargs printf %.1f) µs/row), peak RSS $((rss / 1024)) MiB"
  ;;
resume)
  n=${2:-1000000}
  in=$(gen "$n" xlsx)
  start_sandbox --qps 0
  rm -f "$work/r.xlsx" "$work/r.xlsx.checkpoint"
  "$bin" encrypt --endpoint "$endpoint" --qps 0 --progress none -o "$work/r.xlsx" "$in" 2>"$work/r1.log" &
  job=$!
  target=$((n * 9 / 10))
  while [ "$(stat_field billed)" -lt "$target" ]; do sleep 0.2; done
  kill -9 "$job"; wait "$job" 2>/dev/null || true
  before=$(stat_field requests)
  start=$(date +%s.%N)
  "$bin" encrypt --endpoint "$endpoint" --qps 0 --progress none -o "$work/r.xlsx" "$in" 2>"$work/r2.log" &
  job=$!
  while [ "$(stat_field requests)" -le "$before" ]; do sleep 0.01; done
  first=$(echo "$(date +%s.%N) - $start" | bc -l)
  wait "$job" || true
  machine
  echo "resume: $n-row XLSX job killed at $before calls; first new call $(printf %.2f "$first")s after the restart"
  echo "  billed over both runs: $(stat_field billed) for $n rows"
  ;;
cpu)
  n=${2:-30000}
  in=$(gen "$n" csv)
  go build -o "$work/sdkloop" ./bench/cpu/sdkloop
  go build -o "$work/handsigned" ./bench/cpu/handsigned
  start_sandbox --qps 1000 --window sliding --latency 50ms --jitter 30ms
  machine
  echo "cpu: $n rows each, one sandbox (1000/s sliding, 50ms±30ms), run one after the other"
  # All three at the rate dytnsbatch reaches under --qps 1000 (its margin leaves ~981/s):
  # the same calls per second cost the same per call only if the client is as cheap.
  declare -A us
  for client in handsigned sdkloop; do
    timed_prog "$work/$client" -endpoint "$endpoint" -in "$in" -qps 981 >"$work/$client.out"
    us[$client]=$(echo "1000000 * $cpu / $n" | bc -l)
    printf '  %-11s %6.1f µs CPU per call, %.0f calls/s (%s)\n' "$client" "${us[$client]}" "$(echo "$n / $elapsed" | bc -l)" "$(cat "$work/$client.out")"
  done
  timed encrypt --endpoint "$endpoint" --qps 1000 --progress none --restart --report "$work/c.json" -o "$work/c.csv" "$in" >"$work/c.log" 2>&1
  calls=$(jq -r .calls "$work/c.json")
  us[dytnsbatch]=$(echo "1000000 * $cpu / $calls" | bc -l)
  printf '  %-11s %6.1f µs CPU per call, %.0f calls/s (%s calls for %s rows)\n' dytnsbatch "${us[dytnsbatch]}" "$(echo "$calls / $elapsed" | bc -l)" "$calls" "$n"
  printf '  ratio dytnsbatch / hand-signed %.2f×, dytnsbatch / bare SDK %.2f×\n' \
    "$(echo "${us[dytnsbatch]} / ${us[handsigned]}" | bc -l)" "$(echo "${us[dytnsbatch]} / ${us[sdkloop]}" | bc -l)"
  ;;
store)
  n=${2:-1000000}
  qps=${STORE_QPS:-1000}
  night2=$(gen "$n" csv)
  # Night 1 is night 2 less its last 1%: the numbers of a generated file are distinct, so
  # night 2 holds exactly n/100 numbers the store lacks.
  old=$((n - n / 100))
  night1="$work/night1-$n.csv"
  head -n $((old + 1)) "$night2" >"$night1"
  cache="$work/store-cache"
  rm -rf "$cache"
  # The sandbox's 140 numbers expire at the end of a 72 h epoch: when less than a day of
  # it is left, the default --min-validity 24h would call every stored number again.
  left=$(( 72 * 3600 - $(date +%s) % (72 * 3600) ))
  minv=24h; [ "$left" -gt $((25 * 3600)) ] || minv=1m
  common=(--endpoint "$endpoint" --qps "$qps" --progress none --restart --min-validity "$minv")
  # Night 1 fills the store, unthrottled and untimed: only night 2 is measured.
  start_sandbox --qps 0 --validity 72h
  "$bin" encrypt "${common[@]}" --qps 0 --cache "$cache" -o "$work/n1.csv" "$night1" >"$work/n1.log" 2>&1
  stop_sandbox
  machine
  echo "store: night 2 of $n CSV rows, $((n / 100)) of them new, sandbox --validity 72h at --qps $qps, client --qps $qps"
  for leg in store no-cache; do
    # A fresh sandbox per leg, so that its request count is the leg's calls on the wire.
    start_sandbox --qps "$qps" --validity 72h
    if [ "$leg" = store ]; then flags=(--cache "$cache"); else flags=(--no-cache); fi
    timed encrypt "${common[@]}" "${flags[@]}" --report "$work/n2-$leg.json" -o "$work/n2-$leg.csv" "$night2" >"$work/n2-$leg.log" 2>&1
    req=$(stat_field requests)
    from=$(jq -r '.rows_from_store // 0' "$work/n2-$leg.json")
    printf '  %-9s %7d calls on the wire, %7d rows from the store, %8.1f s wall, %5.1f s CPU, peak RSS %4d MiB\n' \
      "$leg" "$req" "$from" "$elapsed" "$cpu" $((rss / 1024))
    stop_sandbox
  done
  ;;
*)
  sed -n '2,17p' "$0"; exit 2 ;;
esac
