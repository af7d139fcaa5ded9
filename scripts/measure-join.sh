#!/usr/bin/env bash
# Measures how long a new node takes from `raftkv server --join` to voter when the cluster holds about 1 GB of
# state (issue 6): a 3-node cluster of real processes is loaded with 256-byte values, every node snapshots and
# compacts (so the new node must receive the whole state by InstallSnapshot), then n4 starts with an empty data
# directory and --join while 8 clients keep writing. Prints the time to learner, to the end of the snapshot
# restore, and to voter, from n4's start.
# Usage: scripts/measure-join.sh [load-seconds (default 220)]
# Needs the jar (bin/raftkv builds it). Uses /tmp/raftkv-joinmeasure and ports 17401-17604.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
load_seconds="${1:-220}"
dir=/tmp/raftkv-joinmeasure
jar="$root/cli/target/raftkv.jar"
[ -f "$jar" ] && [ -f "$root/bench/target/raftkv-bench.jar" ] || (cd "$root" && ./mvnw -q -B -pl bench -am package -DskipTests)
rm -rf "$dir"; mkdir -p "$dir"
cluster="n1=127.0.0.1:17401,n2=127.0.0.1:17402,n3=127.0.0.1:17403"
endpoints="127.0.0.1:17501,127.0.0.1:17502,127.0.0.1:17503"
http="127.0.0.1:17601,127.0.0.1:17602,127.0.0.1:17603"
declare -A pids
start() {
  local i=$1; shift
  java -Xmx2g -jar "$jar" server --id "n$i" --data-dir "$dir/n$i" \
    --peer-address "127.0.0.1:1740$i" --client-address "127.0.0.1:1750$i" --http-address "127.0.0.1:1760$i" \
    --snapshot-entries 0 --snapshot-bytes 0 "$@" >> "$dir/n$i.log" 2>&1 &
  pids[$i]=$!
}
stop_all() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap stop_all EXIT
for i in 1 2 3; do start "$i" --cluster-id joinmeasure --initial-cluster "$cluster"; done
until java -jar "$jar" status --endpoints "$endpoints" >/dev/null 2>&1; do sleep 0.5; done
bench() { "$root/bin/raftkv" bench --endpoints "$endpoints" --no-progress --key-space 10000000 "$@"; }
echo "== loading: $load_seconds s of 256-byte puts, 64 clients"
bench --clients 64 --duration-seconds "$load_seconds" --warmup-seconds 0 --value-size 256
java -jar "$jar" snapshot --endpoints "$endpoints" --timeout-ms 600000
grep -h "snapshot .* written" "$dir"/n?.log
du -sh "$dir"/n?/raft/snapshots "$dir"/n?/kv
echo "== n4 joins while 8 clients write"
( bench --clients 8 --duration-seconds 90 --warmup-seconds 0 --value-size 256 > "$dir/bench-during-join.txt" ) &
load=$!
sleep 3
t0=$(date +%s%N)
start 4 --join "$http"
learner=""; restored=""; voter=""
while [ -z "$voter" ]; do
  m=$(curl -s "http://127.0.0.1:17601/v1/cluster/members" || true)
  now=$(( ($(date +%s%N) - t0) / 1000000 ))
  if [ -z "$learner" ] && echo "$m" | grep -q '"id":"n4","role":"learner"'; then learner=$now; fi
  if [ -z "$restored" ] && grep -q "restored the state machine from snapshot" "$dir/n4.log"; then restored=$now; fi
  if echo "$m" | grep -q '"id":"n4","role":"voter"'; then voter=$now; fi
  [ $now -gt 1800000 ] && { echo "n4 did not become a voter within 30 minutes"; exit 1; }
  sleep 0.2
done
# The promotion can come before the state machine has been restored from the snapshot: the Raft log is caught
# up once the snapshot is installed; applying (and so serving reads at n4) follows the restore.
until [ -n "$restored" ]; do
  grep -q "restored the state machine from snapshot" "$dir/n4.log" && restored=$(( ($(date +%s%N) - t0) / 1000000 ))
  sleep 0.2
done
echo "n4: learner after ${learner:-?} ms, voter after ${voter} ms, state machine restored after ~${restored} ms (from its start)"
grep -h "sent snapshot\|restored the state machine\|joined cluster" "$dir"/n?.log
wait $load || true
cat "$dir/bench-during-join.txt"
curl -s "http://127.0.0.1:17601/v1/cluster/members"; echo
