#!/usr/bin/env bash
# Measures snapshots on a 3-node cluster of real processes holding about 1 GB of state (issue 5):
#   - the time to take a snapshot (from the nodes' logs),
#   - put latency p99 while every node snapshots, against the same load without snapshots,
#   - InstallSnapshot throughput to a fresh follower (its data directory wiped),
#   - disk used by each node before and after compaction.
# Usage: scripts/measure-snapshots.sh [load-seconds (default 240)]
# Needs the jar (bin/raftkv builds it). Uses /tmp/raftkv-snapmeasure and ports 17101-17303.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
load_seconds="${1:-240}"
dir=/tmp/raftkv-snapmeasure
jar="$root/cli/target/raftkv.jar"
[ -f "$jar" ] && [ -f "$root/bench/target/raftkv-bench.jar" ] || (cd "$root" && ./mvnw -q -B -pl bench -am package -DskipTests)
rm -rf "$dir"; mkdir -p "$dir"
cluster="n1=127.0.0.1:17101,n2=127.0.0.1:17102,n3=127.0.0.1:17103"
endpoints="127.0.0.1:17201,127.0.0.1:17202,127.0.0.1:17203"
declare -A pids
start() {
  local i=$1
  # Snapshots only on request, so that the runs below control when they happen.
  java -Xmx2g -jar "$jar" server --id "n$i" --cluster-id measure --data-dir "$dir/n$i" \
    --peer-address "127.0.0.1:1710$i" --client-address "127.0.0.1:1720$i" --http-address "127.0.0.1:1730$i" \
    --initial-cluster "$cluster" --snapshot-entries 0 --snapshot-bytes 0 >> "$dir/n$i.log" 2>&1 &
  pids[$i]=$!
}
stop_all() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap stop_all EXIT
for i in 1 2 3; do start "$i"; done
until java -jar "$jar" status --endpoints "$endpoints" >/dev/null 2>&1; do sleep 0.5; done
# The load generator (bench module); sequential 8-byte keys over a key space larger than any run writes.
bench() { "$root/bin/raftkv" bench --endpoints "$endpoints" --no-progress --key-space 10000000 "$@"; }
echo "== loading: $load_seconds s of 256-byte puts, 64 clients"
bench --clients 64 --duration-seconds "$load_seconds" --warmup-seconds 0 --value-size 256
java -jar "$jar" status --endpoints "$endpoints"
echo "== disk before compaction"; du -sh "$dir"/n?/raft "$dir"/n?/kv
echo "== 16 clients, no snapshot"
bench --clients 16 --duration-seconds 20 --warmup-seconds 3 --value-size 256
echo "== 16 clients while every node snapshots"
( sleep 4; java -jar "$jar" snapshot --endpoints "$endpoints" --timeout-ms 600000 ) &
snap=$!
bench --clients 16 --duration-seconds 20 --warmup-seconds 3 --value-size 256
wait $snap || true
grep -h "snapshot .* written" "$dir"/n?.log
# The CLI answers once each snapshot is published; compaction follows on each node's loop right after.
until java -jar "$jar" status --endpoints "$endpoints" | awk 'NR>1 && $7==0 {z=1} END {exit z}'; do sleep 1; done
echo "== disk after compaction"; du -sh "$dir"/n?/raft "$dir"/n?/raft/snapshots "$dir"/n?/kv
echo "== InstallSnapshot of the whole state to a follower left behind"
leader=$(java -jar "$jar" status --endpoints "$endpoints" | awk '$3=="leader"{print substr($1,2)}')
victim=3; [ "$leader" = "3" ] && victim=2
kill -9 "${pids[$victim]}"; wait "${pids[$victim]}" 2>/dev/null || true
# Write past the compaction margin (10,000 entries) and snapshot the leader again: it no longer has the entries
# the stopped follower needs next.
bench --clients 64 --duration-seconds 5 --warmup-seconds 0 --value-size 256 >/dev/null
java -jar "$jar" snapshot --endpoints "127.0.0.1:1720$leader" --timeout-ms 600000
start "$victim"
until grep -q "n$victim: restored the state machine from snapshot" "$dir/n$victim.log"; do sleep 1; done
grep -h "sent snapshot\|installed snapshot\|restored the state machine" "$dir"/n?.log
java -jar "$jar" status --endpoints "$endpoints"
du -sh "$dir"/n?/raft "$dir"/n?/kv
