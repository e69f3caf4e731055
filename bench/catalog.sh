#!/usr/bin/env bash
# Catalog benchmarks (issue 5):
#   1. rebuild of the catalog from an array holding N volumes with volume information (FIG. 15), end to end
#      (`snapcat catalog rebuild`, CLI start-up included) and as the server job's own duration;
#   2. catalog listing and search with M backup rows, per query through the server's HTTP API (curl);
#   3. (issue 13) disaster recovery: D definitions (with schedules, hooks, retention) and their backup volume table entries
#      go into the server's state copy on the array's catalog volume; the catalog is deleted, a fresh server starts, and
#      `snapcat catalog rebuild` gives back the definitions, the volume table and the N backup rows, end to end.
# Usage: bench/catalog.sh [--write-docs]   env: VOLUMES (default 10000), ROWS (default 1000000), REPEAT (default 5), DEFINITIONS (default 1000)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
VOLUMES=${VOLUMES:-10000}
ROWS=${ROWS:-1000000}
REPEAT=${REPEAT:-5}
DEFINITIONS=${DEFINITIONS:-1000}
write_docs=0
[ "${1:-}" = "--write-docs" ] && write_docs=1
for t in curl python3; do command -v $t >/dev/null || { echo "bench: $t is missing"; exit 1; }; done

./snapcat --help >/dev/null
snapcat() { dotnet "$root/.build/snapcat.dll" "$@"; }
work=$(mktemp -d -p /var/tmp snapcat-catbench.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
freeport() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
waithttp() { for _ in $(seq 1 400); do curl -sf -o /dev/null "$1/openapi/v1.json" && return 0; sleep 0.05; done; echo "bench: $1 never answered"; tail -5 "$work"/*.log; exit 1; }

ap=$(freeport); dp=$(freeport); sp=$(freeport); token=bench-token
cat > "$work/array.json" <<JSON
{ "deviceId": "CATBENCH-01", "dataDirectory": "array", "control": { "listen": "127.0.0.1:$ap", "token": "$token", "insecure": true },
  "dataPorts": [ { "listen": "127.0.0.1:$dp" } ] }
JSON
cat > "$work/server.json" <<JSON
{ "control": { "listen": "127.0.0.1:$sp", "token": "$token", "insecure": true }, "catalog": { "path": "catalog.db" },
  "arrays": { "CATBENCH-01": { "url": "http://127.0.0.1:$ap", "token": "$token" } } }
JSON
# dotnet itself in the background (not the shell function), so that $! is the daemon and cleanup stops it.
dotnet "$root/.build/snapcat.dll" array serve --config "$work/array.json" > "$work/array.log" 2>&1 & pids+=($!)
start_server() { dotnet "$root/.build/snapcat.dll" server serve --config "$work/server.json" >> "$work/server.log" 2>&1 & server_pid=$!; pids+=($server_pid); waithttp "http://127.0.0.1:$sp"; }
waithttp "http://127.0.0.1:$ap"
start_server

echo "bench: creating $VOLUMES volumes with volume information on the array"
python3 - "$ap" "$token" "$VOLUMES" <<'PY'
import sys, http.client, json, struct, uuid, time
port, token, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
# CRC-32C (Castagnoli), as Snapcat.Core.VolumeInformation.Crc32CHash.
T = []
for i in range(256):
    c = i
    for _ in range(8): c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
    T.append(c)
def crc32c(b):
    c = 0xFFFFFFFF
    for x in b: c = T[(c ^ x) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF
def record(i):
    r = bytearray(512)
    r[0:8] = b"SCVOLINF"; struct.pack_into("<HH", r, 8, 1, 0)
    def put(off, size, s): b = s.encode(); r[off:off+len(b)] = b
    put(12, 64, f"bench-{i % 7}"); put(76, 64, f"host{i % 100:03d}"); put(140, 192, f"/data/{i % 10}")
    struct.pack_into("<q", r, 332, int((time.time() - i) * 1e6))
    r[340] = 1 + i % 2; put(344, 32, "CATBENCH-01"); struct.pack_into("<I", r, 376, i + 1)
    r[380:396] = uuid.uuid4().bytes_le
    struct.pack_into("<I", r, 508, crc32c(bytes(r[:508])))
    return bytes(r)
c = http.client.HTTPConnection("127.0.0.1", port)
h = {"Authorization": f"Bearer {token}"}
for i in range(n):
    c.request("POST", "/v1/volumes", body=json.dumps({"size": "1M"}), headers={**h, "Content-Type": "application/json"})
    resp = c.getresponse(); body = resp.read()
    if resp.status != 201: sys.exit(f"create failed: {resp.status} {body[:200]}")
    num = json.loads(body)["number"]
    c.request("PUT", f"/v1/volumes/{num}/info", body=record(i), headers={**h, "Content-Type": "application/octet-stream"})
    resp = c.getresponse(); resp.read()
    if resp.status != 204: sys.exit(f"info put failed: {resp.status}")
PY

rebuild_cli=() rebuild_job=()
for r in $(seq 1 "$REPEAT"); do
  t0=$(date +%s.%N)
  out=$(snapcat catalog rebuild --output json --server "http://127.0.0.1:$sp" --token "$token")
  t1=$(date +%s.%N)
  rebuild_cli+=("$(python3 -c "print($t1-$t0)")")
  # The server job's own duration (created -> finished), without the CLI's start-up.
  job=$(curl -sf -H "Authorization: Bearer $token" "http://127.0.0.1:$sp/v1/jobs?limit=1")
  rebuild_job+=("$(python3 -c "
import json,sys,datetime as d
j=json.loads(sys.argv[1])[0]; p=lambda s: d.datetime.fromisoformat(s.replace('Z','+00:00'))
print((p(j['finished'])-p(j['created'])).total_seconds())" "$job")")
done

# ---- 3. disaster recovery from the state copy (issue 13) ----
echo "bench: stopping the server and adding $DEFINITIONS definitions and backup volume table entries to its catalog"
kill "$server_pid"; wait "$server_pid" 2>/dev/null || true
python3 - "$work/catalog.db" "$DEFINITIONS" <<'PY'
import sqlite3, sys, time
# Straight into the catalog, as a generator: the definition checks would ask an agent for its hooks, and the bench runs none.
db, n = sys.argv[1], int(sys.argv[2])
c = sqlite3.connect(db); now = int(time.time() * 1e6)
c.executemany("INSERT INTO backup_definition (name, host, mount_point, kind, device_id, pre_hook, post_hook, label, schedule, time_zone, keep_generations, missed_runs, created_us, pre_only, enabled, retention) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
  [(f"bench-{i:04d}", f"host{i:03d}", f"/data/{i % 10}", "snapshot", "CATBENCH-01", "freeze", "thaw", f"bench-{i % 7}", f"{i % 60} {i % 24} * * *", "Europe/Berlin", 3, "run_once" if i % 2 else "skip", now - i, 0, 1, '{"keepDaily":7}') for i in range(n)])
c.executemany("INSERT OR IGNORE INTO backup_volume (host, mount_point, device_id, updated_us) VALUES (?,?,?,?)",
  [(f"host{i:03d}", f"/data/{i % 10}", "CATBENCH-01", now) for i in range(n)])
c.commit(); c.close()
PY
start_server
# One change through the API (an enable-only patch runs no agent check) makes the server write its state copy.
api() { curl -sf -H "Authorization: Bearer $token" -H "Content-Type: application/json" "$@"; }
api -X PATCH -d '{"enabled":false}' "http://127.0.0.1:$sp/v1/definitions/bench-0000" >/dev/null
api -X PATCH -d '{"enabled":true}' "http://127.0.0.1:$sp/v1/definitions/bench-0000" >/dev/null
copy_ready() { api "http://127.0.0.1:$sp/v1/status" | python3 -c "
import json,sys; s=json.load(sys.stdin).get('stateCopy') or {}
sys.exit(0 if s.get('lastWritten') and not s.get('pending') and not s.get('lastError') and s.get('targets') else 1)"; }
for _ in $(seq 1 600); do copy_ready && break; sleep 0.1; done
copy_ready || { echo "bench: the server wrote no state copy"; exit 1; }
state_bytes=$(grep -o 'state copy generation [0-9]* written ([0-9]* bytes)' "$work/server.log" | tail -1 | grep -o '([0-9]*' | tr -d '(')
dr_cli=() dr_job=()
for r in $(seq 1 "$REPEAT"); do
  kill "$server_pid"; wait "$server_pid" 2>/dev/null || true
  rm -f "$work/catalog.db" "$work/catalog.db-wal" "$work/catalog.db-shm"
  start_server
  t0=$(date +%s.%N)
  snapcat catalog rebuild --output json --server "http://127.0.0.1:$sp" --token "$token" > "$work/dr.json"
  t1=$(date +%s.%N)
  dr_cli+=("$(python3 -c "print($t1-$t0)")")
  python3 - "$work/dr.json" "$DEFINITIONS" "$VOLUMES" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); d, v = int(sys.argv[2]), int(sys.argv[3]); s = r["state"]
assert s["definitions"]["restored"] == d, s["definitions"]
assert sum(len(a["added"]) for a in r["arrays"]) == v, "rows"
assert s["backupRows"]["conflicts"] == 0
PY
  curl -sf -H "Authorization: Bearer $token" "http://127.0.0.1:$sp/v1/jobs?limit=1" > "$work/drjob.json"
  dr_job+=("$(python3 -c "
import json,sys,datetime as d
j=json.load(open(sys.argv[1]))[0]; p=lambda s: d.datetime.fromisoformat(s.replace('Z','+00:00'))
print((p(j['finished'])-p(j['created'])).total_seconds())" "$work/drjob.json")")
done

echo "bench: stopping the server and adding $ROWS backup rows to its catalog"
kill "$server_pid"; wait "$server_pid" 2>/dev/null || true
python3 - "$work/catalog.db" "$ROWS" <<'PY'
import sqlite3, sys, uuid, time
db, n = sys.argv[1], int(sys.argv[2])
c = sqlite3.connect(db); c.execute("PRAGMA journal_mode=WAL"); c.execute("PRAGMA synchronous=OFF")
now = int(time.time() * 1e6)
blob = bytes(512)
def rows():
    for i in range(n):
        yield (f"host{i % 1000:04d}", f"/data/{i % 10}", "mirror" if i % 3 else "snapshot", "BENCH-ARRAY-%d" % (i % 20),
               str(i + 100000), f"label-{i % 50}", now - i * 60_000_000, str(uuid.UUID(int=i)), blob, "backup", now)
c.executemany("INSERT INTO backup_data (host, mount_point, kind, device_id, media_id, label, time_us, backup_id, volume_info, origin, recorded_us) VALUES (?,?,?,?,?,?,?,?,?,?,?)", rows())
c.commit(); c.execute("ANALYZE"); c.commit(); c.close()
PY
start_server

declare -A queries=(
  ["newest 100"]="/v1/backups?limit=100"
  ["host"]="/v1/backups?host=host0421"
  ["host + mount point"]="/v1/backups?host=host0421&mountPoint=/data/1"
  ["label"]="/v1/backups?label=label-7"
  ["kind"]="/v1/backups?kind=snapshot"
  ["time range (1 day)"]="/v1/backups?from=$(date -u -d '-3 days' +%Y-%m-%dT%H:%M:%SZ)&to=$(date -u -d '-2 days' +%Y-%m-%dT%H:%M:%SZ)"
  ["host + time range"]="/v1/backups?host=host0421&from=$(date -u -d '-300 days' +%Y-%m-%dT%H:%M:%SZ)&to=$(date -u -d '-100 days' +%Y-%m-%dT%H:%M:%SZ)"
)
curl -sf -o /dev/null -H "Authorization: Bearer $token" "http://127.0.0.1:$sp/v1/backups?limit=1"   # warm up
qres="$work/queries.txt"
for name in "newest 100" "host" "host + mount point" "label" "kind" "time range (1 day)" "host + time range"; do
  for r in $(seq 1 "$REPEAT"); do
    t=$(curl -sf -o "$work/q.json" -w '%{time_total}' -H "Authorization: Bearer $token" "http://127.0.0.1:$sp${queries[$name]}")
    n=$(python3 -c "import json;print(len(json.load(open('$work/q.json'))))")
    echo "$name|$t|$n" >> "$qres"
  done
done

table=$(python3 - "$qres" "$VOLUMES" "$ROWS" "$REPEAT" "${rebuild_cli[*]}" "${rebuild_job[*]}" "${dr_cli[*]}" "${dr_job[*]}" "$DEFINITIONS" "${state_bytes:-0}" <<'PY'
import sys, statistics, collections
qres, vols, rows, rep = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
cli = [float(x) for x in sys.argv[5].split()]; job = [float(x) for x in sys.argv[6].split()]
drc = [float(x) for x in sys.argv[7].split()]; drj = [float(x) for x in sys.argv[8].split()]; defs = int(sys.argv[9]); sbytes = int(sys.argv[10])
print(f"| measure (median of {rep}) | result | goal |")
print("| --- | ---: | --- |")
print(f"| catalog rebuild from an array of {vols:,} volumes into an empty catalog, `snapcat catalog rebuild` end to end (first run: adds every row) | {cli[0]:.2f} s | < 5 s |")
print(f"| the same, server job only (first run) | {job[0]:.2f} s | |")
print(f"| rebuild again, rows already there (median of the {len(cli) - 1} later runs), end to end / server job | {statistics.median(cli[1:] or cli):.2f} s / {statistics.median(job[1:] or job):.2f} s | < 5 s |")
print(f"| disaster recovery: catalog deleted, fresh server, `snapcat catalog rebuild` restores {defs:,} definitions and their volume table from the state copy ({sbytes:,} bytes) and {vols:,} backup rows, end to end (median of {len(drc)}) | {statistics.median(drc):.2f} s | < 1 s |")
print(f"| the same, server job only | {statistics.median(drj):.2f} s | |")
d = collections.defaultdict(list); cnt = {}
for line in open(qres):
    name, t, n = line.rstrip("\n").split("|"); d[name].append(float(t) * 1000); cnt[name] = n
for name, ts in d.items():
    print(f"| search with {rows:,} rows: {name} (returns {cnt[name]} rows) | {statistics.median(ts):.1f} ms | < 50 ms |")
PY
)
echo "$table"
if [ $write_docs = 1 ]; then
  doc=docs/BENCHMARKS.md
  [ -f $doc ] || printf '# Benchmarks\n' > $doc
  python3 - "$doc" "$table" "VOLUMES=$VOLUMES ROWS=$ROWS REPEAT=$REPEAT bench/catalog.sh --write-docs" <<'PY'
import sys, re, datetime
doc, table, cmd = sys.argv[1:4]
text = open(doc).read()
section = (f"<!-- catalog:begin -->\n## Catalog\n\nCommand: `{cmd}` ({datetime.date.today()}). A real array and backup server on "
           f"loopback (SQLite catalog); queries go through the server's HTTP API with curl (HTTP included).\n\n{table}\n<!-- catalog:end -->")
text = re.sub(r"<!-- catalog:begin -->.*<!-- catalog:end -->", section, text, flags=re.S) if "<!-- catalog:begin -->" in text else text.rstrip() + "\n\n" + section + "\n"
open(doc, "w").write(text)
PY
  echo "bench: wrote $doc"
fi
