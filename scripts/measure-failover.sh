#!/usr/bin/env bash
# Measures failover on a running local cluster (bin/raftkv demo): kills the leader with SIGKILL, times how long
# until a write is acknowledged through another node, restarts the killed node with its own command line, waits
# until it has caught up, and repeats. Prints each time and the median.
#   usage: scripts/measure-failover.sh [kills] [first-http-port] [nodes]
set -euo pipefail
kills="${1:-10}"; base="${2:-9001}"; nodes="${3:-3}"
status() { curl -s --max-time 2 "http://127.0.0.1:$1/v1/status" || true; }
field() { sed -n "s/.*\"$1\":\"\{0,1\}\([^,\"}]*\).*/\1/p"; }
times=()
for ((k = 1; k <= kills; k++)); do
  leader=""
  for _ in $(seq 1 200); do
    leader=$(status "$base" | field leader); [ -n "$leader" ] && [ "$leader" != "null" ] && break; sleep 0.1
  done
  pid=$(pgrep -f "server --id $leader " | head -1)
  mapfile -d '' cmd < "/proc/$pid/cmdline"
  log="$(dirname "$(pwd)/x")/failover-$leader.log"
  idx=${leader#n}
  others=(); for ((i = 1; i <= nodes; i++)); do [ "$i" != "$idx" ] && others+=($((base + i - 1))); done
  start=$(date +%s%N)
  kill -9 "$pid"
  acked=""
  while [ -z "$acked" ]; do
    for port in "${others[@]}"; do
      code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 -X PUT --data-binary "k$k" \
        "http://127.0.0.1:$port/v1/kv/failover-$k" || true)
      if [ "$code" = "200" ]; then acked=$(date +%s%N); break; fi
    done
  done
  ms=$(( (acked - start) / 1000000 ))
  times+=("$ms")
  echo "kill $k: leader $leader (pid $pid) killed; first acknowledged write after ${ms} ms"
  nohup "${cmd[@]}" >> "$log" 2>&1 &
  # Wait until the restarted node is back and has applied everything the leader committed.
  for _ in $(seq 1 300); do
    s=$(status $((base + idx - 1))); l=$(echo "$s" | field leader)
    if [ -n "$l" ] && [ "$l" != "null" ]; then
      lc=$(status $((base + ${l#n} - 1)) | field commitIndex); ap=$(echo "$s" | field appliedIndex)
      [ -n "$lc" ] && [ -n "$ap" ] && [ "$ap" -ge "$lc" ] && break
    fi
    sleep 0.1
  done
done
sorted=($(printf '%s\n' "${times[@]}" | sort -n))
echo "failover over $kills kills: median ${sorted[$(( kills / 2 ))]} ms, min ${sorted[0]} ms, max ${sorted[$((kills - 1))]} ms"
