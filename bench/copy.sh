#!/usr/bin/env bash
# Copy functions benchmark (issue 3, "How fast"), against a real array daemon driven through the CLI:
#   1. snapshot creation time of a 1 GiB and a 1 TiB sparse volume       (goal: both < 10 ms, same order)
#   2. fio --ioengine=nbd 4 KiB random writes, QD16, with 0, 1, 10 snapshots (goal: 10 cost no more than 1)
#   3. full mirror copy of a dense COPY_SIZE volume against `cp` of a same-size file (goal: >= 90% of cp)
#   4. re-copy after changing 1% of the chunks against the full copy         (goal: >= 20x faster)
# Medians of REPEAT rounds. Snapshot creation is timed as the HTTP round trip of the API call (curl), since
# starting the CLI process alone takes longer than the goal; copies are timed by the array's own job
# timestamps (created -> finished), which include the fsync of the secondary.
# Usage: bench/copy.sh [--write-docs]
#   env: REPEAT (default 5), RUNTIME (fio seconds, default 10), FIO_SIZE (default 1G), COPY_SIZE (default 2G)
#   MODE=mirror runs part 3 only (full mirror copy against cp) and prints its rows, to compare two builds of
#   the point-in-time copy quickly; --write-docs is ignored then (paste the rows with the command).
# With --write-docs replaces the copy section of docs/BENCHMARKS.md (between <!-- copy:begin/end -->).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
REPEAT=${REPEAT:-5}
RUNTIME=${RUNTIME:-10}
FIO_SIZE=${FIO_SIZE:-1G}
COPY_SIZE=${COPY_SIZE:-2G}
MODE=${MODE:-all}
write_docs=0
[ "${1:-}" = "--write-docs" ] && write_docs=1
for t in nbdcopy fio curl jq python3; do command -v $t >/dev/null || { echo "bench: $t is missing"; exit 1; }; done

./snapcat --help >/dev/null                       # builds the Release binary once
snapcat() { dotnet "$root/.build/snapcat.dll" "$@"; }

work=$(mktemp -d -p /var/tmp snapcat-copybench.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

freeport() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
waitport() { for _ in $(seq 1 200); do (exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0; sleep 0.05; done; echo "bench: port $1 never opened"; exit 1; }
bytes_of() { python3 -c "u={'K':10,'M':20,'G':30,'T':40};s='$1';print(int(s[:-1])<<u[s[-1]] if s[-1] in u else int(s))"; }
median() { python3 -c 'import sys,statistics;print(statistics.median(float(x) for x in sys.argv[1:]))' "$@"; }
now() { date +%s.%N; }

cp_port=$(freeport); data_port=$(freeport)
port="127.0.0.1:$data_port"
token=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
cat > "$work/array.json" <<JSON
{ "deviceId": "BENCH-COPY", "dataDirectory": "$work/array",
  "control": { "listen": "127.0.0.1:$cp_port", "token": "$token" },
  "dataPorts": [ { "listen": "$port" } ] }
JSON
# dotnet itself in the background (not the shell function), so that $! is the daemon and cleanup stops it.
dotnet "$root/.build/snapcat.dll" array serve --config "$work/array.json" > "$work/array.log" 2>&1 & pids+=($!)
waitport "$cp_port"; waitport "$data_port"
url="http://127.0.0.1:$cp_port"
export SNAPCAT_ARRAY_URL="$url" SNAPCAT_ARRAY_TOKEN="$token"

# The copy-function routes must be there (they came with the mirror/snapshot wiring of the daemon).
probe=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" "$url/v1/jobs")
[ "$probe" = 200 ] || { echo "bench: GET /v1/jobs answered $probe; this daemon has no copy-function routes"; exit 1; }

new_volume() { snapcat array volume create --size "$1" -o json | jq -r .number; }
delete_with_snapshots() {
  for s in $(snapcat array snapshot list "$1" -o json | jq -r '.[].number' | sort -rn); do snapcat array snapshot delete "$s" --force >/dev/null; done
  snapcat array volume delete "$1" --force >/dev/null
}
# Job duration in seconds from the array's own timestamps (created -> finished).
job_seconds() { python3 -c '
import json,sys,datetime
j=json.loads(sys.argv[1]); p=datetime.datetime.fromisoformat
print((p(j["finished"])-p(j["created"])).total_seconds())' "$1"; }

results="$work/results.txt"
lun=0

# ---- 1. snapshot creation time ----
[ "$MODE" = mirror ] || for size in 1G 1T; do
  v=$(new_volume "$size")
  for _ in $(seq 1 "$REPEAT"); do
    out=$(curl -s -o "$work/snap.json" -w '%{http_code} %{time_total}' -X POST -H "Authorization: Bearer $token" "$url/v1/volumes/$v/snapshots")
    [ "${out% *}" = 201 ] || { echo "bench: snapshot of volume $v answered ${out% *}: $(cat "$work/snap.json")"; exit 1; }
    echo "snap_$size $(python3 -c "print(${out#* }*1000)")" >> "$results"
  done
  delete_with_snapshots "$v"
done

# ---- 2. fio 4 KiB random writes with 0, 1 and 10 snapshots ----
fio_bytes=$(bytes_of "$FIO_SIZE")
[ "$MODE" = mirror ] || head -c "$fio_bytes" /dev/urandom > "$work/fill.img"
fio_run() {  # $1 = label, $2 = nbd uri
  fio --name=b --ioengine=nbd --uri="$2" --rw=randwrite --bs=4k --iodepth=16 --size="$fio_bytes" \
      --runtime="$RUNTIME" --time_based --output-format=json > "$work/fio.json" 2>/dev/null
  # fio's nbd engine prints "fio: connected to NBD server" before the JSON document.
  echo "fio_$1 $(python3 -c "import json;t=open('$work/fio.json').read();print(json.loads(t[t.index('{'):])['jobs'][0]['write']['iops'])")" >> "$results"
}
[ "$MODE" = mirror ] || for _ in $(seq 1 "$REPEAT"); do
  v=$(new_volume "$FIO_SIZE"); lun=$((lun + 1))
  snapcat array assign "$v" --port "$port" --lun "$lun" >/dev/null
  uri="nbd://$port/$lun"
  nbdcopy --flush "$work/fill.img" "$uri"            # dense: every chunk holds data that a snapshot must preserve
  fio_run 0 "$uri"
  # Each measured run starts right after its newest snapshot, so the copy-on-write cost is paid in the run.
  snapcat array snapshot create "$v" >/dev/null
  fio_run 1 "$uri"
  for _ in $(seq 1 9); do snapcat array snapshot create "$v" >/dev/null; done
  fio_run 10 "$uri"
  snapcat array release --port "$port" --lun "$lun" >/dev/null
  delete_with_snapshots "$v"
done

# ---- 3. full mirror copy against cp, 4. re-copy after 1% change ----
copy_bytes=$(bytes_of "$COPY_SIZE")
head -c "$copy_bytes" /dev/urandom > "$work/src.img"
p=$(new_volume "$COPY_SIZE"); s=$(new_volume "$COPY_SIZE"); lun=$((lun + 1))
snapcat array assign "$p" --port "$port" --lun "$lun" >/dev/null
puri="nbd://$port/$lun"
nbdcopy --flush "$work/src.img" "$puri"
for round in $(seq 1 "$REPEAT"); do
  # A fresh copy destination entry: its first copy is a full one.
  [ "$round" = 1 ] || snapcat array mirror remove "$p" "$s" >/dev/null
  full=$(snapcat array mirror add "$p" "$s" -o json | jq -r .nextCopyFull)
  [ "$full" = true ] || { echo "bench: a new copy destination should start with a full copy (nextCopyFull=$full)"; exit 1; }
  job=$(snapcat array copy --primary "$p" --to "$s" --wait -o json)
  echo "copy_full $(python3 -c "print($copy_bytes/$(job_seconds "$job")/1048576)")" >> "$results"
  rm -f "$work/dst.img"
  t0=$(now); cp --reflink=never --sparse=never "$work/src.img" "$work/dst.img"; sync "$work/dst.img"; t1=$(now)
  echo "cp $(python3 -c "print($copy_bytes/($t1-$t0)/1048576)")" >> "$results"
  echo "full_s $(job_seconds "$job")" >> "$results"
done
# The secondary must hold what the primary holds.
slun=$((lun + 1)); snapcat array assign "$s" --port "$port" --lun "$slun" --read-only >/dev/null
[ "$(nbdcopy "$puri" - | sha256sum)" = "$(nbdcopy "nbd://$port/$slun" - | sha256sum)" ] || { echo "bench: secondary differs from primary after the copy"; exit 1; }
snapcat array release --port "$port" --lun "$slun" >/dev/null

if [ "$MODE" = mirror ]; then
  python3 - "$results" "$REPEAT" "$COPY_SIZE" <<'PY'
import sys, statistics, collections
rows = collections.defaultdict(list)
for line in open(sys.argv[1]):
    k, v = line.split(); rows[k].append(float(v))
m = {k: statistics.median(v) for k, v in rows.items()}
print(f"| full mirror copy, {sys.argv[3]} dense volume, median of {sys.argv[2]} (MiB/s, incl. fsync) | {m['copy_full']:,.0f} |")
print(f"| cp --reflink=never + sync, same-size file (MiB/s) | {m['cp']:,.0f} |")
print(f"| mirror copy / cp | {m['copy_full']/m['cp']:.2f} |")
print(f"| single rounds, mirror copy (MiB/s) | {', '.join(f'{x:,.0f}' for x in rows['copy_full'])} |")
PY
  exit 0
fi

chunk=65536                                          # ChunkGeometry.DefaultChunkSize: the unit of change tracking
change=$((copy_bytes / 100 / chunk * chunk))
for _ in $(seq 1 "$REPEAT"); do
  # 1% of the chunks, each written whole once, at random places (randrepeat=0: other places every round).
  fio --name=c --ioengine=nbd --uri="$puri" --rw=randwrite --bs=$chunk --iodepth=16 --size="$copy_bytes" \
      --io_size=$change --randrepeat=0 --output-format=json > /dev/null 2>&1
  job=$(snapcat array copy --primary "$p" --to "$s" --wait -o json)
  echo "recopy_s $(job_seconds "$job")" >> "$results"
  echo "recopy_bytes $(snapcat array mirror list "$p" -o json | jq ".[] | select(.secondary == $s) | .lastCopyBytes")" >> "$results"
done

table=$(python3 - "$results" "$REPEAT" "$RUNTIME" "$FIO_SIZE" "$COPY_SIZE" "$copy_bytes" <<'PY'
import sys, statistics, collections
rows = collections.defaultdict(list)
for line in open(sys.argv[1]):
    k, v = line.split(); rows[k].append(float(v))
m = {k: statistics.median(v) for k, v in rows.items()}
rep, runtime, fio_size, copy_size, copy_bytes = sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], int(sys.argv[6])
print(f"| measure (median of {rep}) | result | goal |")
print("| --- | ---: | --- |")
print(f"| snapshot create, 1 GiB sparse volume (ms, API round trip) | {m['snap_1G']:.2f} | < 10 ms |")
print(f"| snapshot create, 1 TiB sparse volume (ms, API round trip) | {m['snap_1T']:.2f} | < 10 ms, same order as 1 GiB ({m['snap_1T']/m['snap_1G']:.1f}x) |")
for n in ("0", "1", "10"):
    print(f"| fio 4 KiB random write QD16 over NBD, {fio_size} dense volume, {n} snapshot(s), {runtime} s (IOPS) | {m['fio_'+n]:,.0f} | |")
print(f"| IOPS with 10 snapshots / with 1 | {m['fio_10']/m['fio_1']:.2f} | >= 1.0 (10 cost no more than 1) |")
print(f"| full mirror copy, {copy_size} dense volume (MiB/s, incl. fsync) | {m['copy_full']:,.0f} | |")
print(f"| cp --reflink=never + sync, same-size file (MiB/s) | {m['cp']:,.0f} | |")
print(f"| mirror copy / cp | {m['copy_full']/m['cp']:.2f} | >= 0.90 |")
print(f"| full copy (s) / re-copy after 1% change (s) | {m['full_s']:.2f} / {m['recopy_s']:.3f} = {m['full_s']/m['recopy_s']:.1f}x | >= 20x |")
print(f"| bytes copied by the re-copy (array counter) | {m['recopy_bytes']:,.0f} ({100*m['recopy_bytes']/copy_bytes:.2f}% of {copy_size}) | about 1% |")
PY
)
echo "$table"
if [ $write_docs = 1 ]; then
  doc=docs/BENCHMARKS.md
  [ -f $doc ] || printf '# Benchmarks\n' > $doc
  python3 - "$doc" "$table" "REPEAT=$REPEAT RUNTIME=$RUNTIME FIO_SIZE=$FIO_SIZE COPY_SIZE=$COPY_SIZE bench/copy.sh --write-docs" <<'PY'
import sys, re, datetime
doc, table, cmd = sys.argv[1], sys.argv[2], sys.argv[3]
text = open(doc).read()
section = (f"<!-- copy:begin -->\n## Copy functions (snapshots, data mirror)\n\nCommand: `{cmd}` ({datetime.date.today()}). "
           f"One array daemon on loopback, driven by the snapcat CLI; snapshot creation timed as the HTTP round trip of "
           f"POST /v1/volumes/N/snapshots; copies timed by the array's job timestamps (including the fsync of the "
           f"secondary); `cp` of a same-size file on the same file system, followed by `sync` of the copy.\n\n{table}\n<!-- copy:end -->")
if "<!-- copy:begin -->" in text:
    text = re.sub(r"<!-- copy:begin -->.*<!-- copy:end -->", lambda _: section, text, flags=re.S)
else:
    text = text.rstrip() + "\n\n" + section + "\n"
open(doc, "w").write(text)
PY
  echo "bench: wrote $doc"
fi
