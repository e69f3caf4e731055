#!/usr/bin/env bash
# Verify throughput (issue 13): an array-side verify (POST /v1/volumes/{n}/verify, SHA-256 over 64 KiB chunks) of a
# volume of SIZE random bytes on a real array, against `sha256sum` of the same backing file. Both read a warm page
# cache (the file was just written and read once), so the figures compare hashing and I/O paths, not the disk.
# Usage: bench/verify.sh   env: SIZE (default 1G, a size nbdcopy and head -c understand), REPEAT (default 3)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
SIZE=${SIZE:-1G}
REPEAT=${REPEAT:-3}
for t in curl python3 nbdcopy sha256sum; do command -v $t >/dev/null || { echo "bench: $t is missing"; exit 1; }; done

./snapcat --help >/dev/null
work=$(mktemp -d -p /var/tmp snapcat-verifybench.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
freeport() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
waithttp() { for _ in $(seq 1 1200); do curl -sf -o /dev/null "$1/openapi/v1.json" && return 0; sleep 0.05; done; echo "bench: $1 never answered"; tail -20 "$work"/array.log; exit 1; }

ap=$(freeport); dp=$(freeport); token=bench-token
cat > "$work/array.json" <<JSON
{ "deviceId": "VERIFYBENCH-01", "dataDirectory": "array", "control": { "listen": "127.0.0.1:$ap", "token": "$token", "insecure": true },
  "dataPorts": [ { "listen": "127.0.0.1:$dp" } ] }
JSON
dotnet "$root/.build/snapcat.dll" array serve --config "$work/array.json" > "$work/array.log" 2>&1 & pids+=($!)
url="http://127.0.0.1:$ap"
waithttp "$url"
api() { curl -sf -H "Authorization: Bearer $token" "$@"; }

n=$(api -X POST -H 'Content-Type: application/json' -d "{\"size\":\"$SIZE\"}" "$url/v1/volumes" | python3 -c 'import json,sys;print(json.load(sys.stdin)["number"])')
api -X POST -H 'Content-Type: application/json' -d "{\"port\":\"127.0.0.1:$dp\",\"lun\":1,\"readOnly\":false}" "$url/v1/volumes/$n/assignments" >/dev/null
echo "bench: writing $SIZE of random data to volume $n with nbdcopy"
head -c "$SIZE" /dev/urandom > "$work/random.img"
nbdcopy "$work/random.img" "nbd://127.0.0.1:$dp/1"
rm -f "$work/random.img"
api -X DELETE "$url/v1/ports/127.0.0.1%3A$dp/luns/1" >/dev/null
file=$(printf '%s/array/volumes/%06d.vol' "$work" "$n")
bytes=$(stat -c %s "$file")
sha256sum "$file" >/dev/null   # warm the page cache for both

verify_once() {
  local t0 t1 id state
  t0=$(date +%s.%N)
  id=$(api -X POST "$url/v1/volumes/$n/verify" | python3 -c 'import json,sys;print(json.load(sys.stdin)["id"])')
  while :; do
    state=$(api "$url/v1/jobs/$id" | python3 -c 'import json,sys;j=json.load(sys.stdin);print(j["state"])')
    case $state in succeeded) break;; failed|cancelled|interrupted) echo "bench: verify job $id $state"; exit 1;; esac
    sleep 0.02
  done
  t1=$(date +%s.%N)
  api "$url/v1/jobs/$id" | python3 -c "
import json,sys
j=json.load(sys.stdin); r=j['result']
print(f\"{r['seconds']:.3f} {$t1-$t0:.3f} {'sealed' if r['sealed'] else ('matched' if r['matched'] else 'MISMATCH')}\")"
}

verify_job=() verify_wall=()
for r in $(seq 1 "$REPEAT"); do
  read -r job wall outcome < <(verify_once)
  echo "bench: verify run $r: $outcome, job ${job} s, end to end (HTTP polling included) ${wall} s"
  verify_job+=("$job"); verify_wall+=("$wall")
done
sha=()
for r in $(seq 1 "$REPEAT"); do
  t0=$(date +%s.%N); sha256sum "$file" >/dev/null; t1=$(date +%s.%N)
  s=$(python3 -c "print(f'{$t1-$t0:.3f}')"); echo "bench: sha256sum run $r: ${s} s"; sha+=("$s")
done

python3 - "$bytes" "${verify_job[*]}" "${verify_wall[*]}" "${sha[*]}" <<'PY'
import sys, statistics
size = int(sys.argv[1])
med = lambda s: statistics.median(float(x) for x in s.split())
job, wall, sha = med(sys.argv[2]), med(sys.argv[3]), med(sys.argv[4])
mb = size / 1e6
print(f"verify (array job, median): {mb / job:.0f} MB/s  ({job:.3f} s for {size} bytes)")
print(f"verify (end to end, median): {mb / wall:.0f} MB/s  ({wall:.3f} s)")
print(f"sha256sum (median):          {mb / sha:.0f} MB/s  ({sha:.3f} s)")
PY
