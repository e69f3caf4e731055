#!/usr/bin/env bash
# Freeze window of a mirror backup (issue 15.4), against a real array daemon and a real agent daemon:
# for each size in SIZES a dense primary is mirrored to its secondary through the agent's
# POST /v1/backups with a preprocess and a postprocess, REPEAT times. Measured per run:
#   - freeze window: what the agent's job log says ("freeze window N ms": preprocess end -> postprocess
#     start), i.e. how long Snapcat keeps the application frozen;
#   - copy time: the array's copy job, created -> finished (includes the fsync of the secondary).
# Goal: the freeze window is milliseconds and does not grow with the size; the copy time does.
# Usage: bench/freeze.sh [--write-docs]     env: SIZES (default "256M 2G"), REPEAT (default 3)
# With --write-docs replaces the freeze section of docs/BENCHMARKS.md (between <!-- freeze:begin/end -->).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
SIZES=${SIZES:-256M 2G}
REPEAT=${REPEAT:-3}
write_docs=0
[ "${1:-}" = "--write-docs" ] && write_docs=1
for t in nbdcopy curl jq python3; do command -v $t >/dev/null || { echo "bench: $t is missing"; exit 1; }; done

./snapcat --help >/dev/null                       # builds the Release binary once

work=$(mktemp -d -p /var/tmp snapcat-freezebench.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

freeport() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
waitport() { for _ in $(seq 1 400); do (exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0; sleep 0.05; done; echo "bench: port $1 never opened"; exit 1; }
median() { python3 -c 'import sys,statistics;print(statistics.median(float(x) for x in sys.argv[1:]))' "$@"; }

array_cp=$(freeport); data_port=$(freeport); agent_cp=$(freeport)
port="127.0.0.1:$data_port"
token=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
cat > "$work/array.json" <<JSON
{ "deviceId": "BENCH-FREEZE", "dataDirectory": "$work/array",
  "control": { "listen": "127.0.0.1:$array_cp", "token": "$token" },
  "dataPorts": [ { "listen": "$port" } ] }
JSON
printf '#!/bin/sh\nexit 0\n' > "$work/hook.sh"; chmod 700 "$work/hook.sh"
# One protected volume per size: /bench/<size> at LUN <index>.
table=""; i=0
for s in $SIZES; do i=$((i+1)); table="$table${table:+,} { \"mountPoint\": \"/bench/$s\", \"deviceFile\": \"/dev/nbd$i\", \"dataPort\": \"$port\", \"lun\": $i }"; done
cat > "$work/agent.json" <<JSON
{ "hostName": "bench-host", "stateDirectory": "$work/agent",
  "control": { "listen": "127.0.0.1:$agent_cp", "token": "$token" },
  "portCorrespondence": [ $table ],
  "arrays": { "BENCH-FREEZE": { "url": "http://127.0.0.1:$array_cp", "token": "$token" } },
  "hooks": { "freeze": { "command": "$work/hook.sh" }, "thaw": { "command": "$work/hook.sh" } } }
JSON
dotnet "$root/.build/snapcat.dll" array serve --config "$work/array.json" > "$work/array.log" 2>&1 & pids+=($!)
dotnet "$root/.build/snapcat.dll" agent serve --config "$work/agent.json" > "$work/agent.log" 2>&1 & pids+=($!)
waitport "$array_cp"; waitport "$data_port"; waitport "$agent_cp"
A=(-s -H "Authorization: Bearer $token" -H "Content-Type: application/json")
array() { curl "${A[@]}" "http://127.0.0.1:$array_cp$@"; }
agent() { curl "${A[@]}" "http://127.0.0.1:$agent_cp$@"; }

rows=()
i=0
for s in $SIZES; do
  i=$((i+1))
  p=$(array /v1/volumes -d "{\"size\":\"$s\"}" | jq -r .number)
  q=$(array /v1/volumes -d "{\"size\":\"$s\"}" | jq -r .number)
  array "/v1/volumes/$p/assignments" -d "{\"port\":\"$port\",\"lun\":$i,\"readOnly\":false}" >/dev/null
  array "/v1/volumes/$p/mirrors" -d "{\"secondary\":$q}" >/dev/null
  # Dense data, so that every run copies the whole volume (the re-copy is incremental otherwise).
  head -c "$(python3 -c "u={'K':10,'M':20,'G':30};s='$s';print(int(s[:-1])<<u[s[-1]])")" /dev/urandom > "$work/fill.img"
  windows=(); copies=()
  for r in $(seq 1 "$REPEAT"); do
    # Every chunk written again before each run, so that each run is a full copy of the size.
    nbdcopy "$work/fill.img" "nbd://$port/$i"
    job=$(agent /v1/backups -d "{\"kind\":\"mirror\",\"mountPoint\":\"/bench/$s\",\"label\":\"bench-$r\",\"destinationVolume\":$q,\"preProcess\":{\"name\":\"freeze\"},\"postProcess\":{\"name\":\"thaw\"}}" | jq -r .id)
    for _ in $(seq 1 12000); do
      snap=$(agent "/v1/jobs/$job"); state=$(jq -r .state <<<"$snap")
      # JobState as a number (Snapcat.Core.Jobs.JobState) or, from a newer API, as a name.
      case $state in 2|Succeeded|succeeded) break;; 3|4|Failed|failed|Cancelled|cancelled) echo "bench: job $job state $state: $(jq -r .errorMessage <<<"$snap")"; exit 1;; esac
      sleep 0.05
    done
    w=$(jq -r '.log[].message | select(startswith("freeze window ")) | capture("freeze window (?<ms>[0-9]+) ms").ms' <<<"$snap")
    aj=$(jq -r '.log[].message | select(startswith("copy started:")) | capture("array job (?<id>[^,]+),").id' <<<"$snap")
    fine=$(array "/v1/jobs/$aj" | python3 -c 'import sys,json,datetime as d;j=json.load(sys.stdin);f=lambda s:d.datetime.fromisoformat(s);print((f(j["finished"])-f(j["created"])).total_seconds())')
    windows+=("$w"); copies+=("$fine")
    echo "size $s run $r: freeze window $w ms, array copy $fine s"
  done
  rm -f "$work/fill.img"
  rows+=("| $s dense volume | $(printf '%.0f' "$(median "${windows[@]}")") | $(printf '%.2f' "$(median "${copies[@]}")") |")
done

printf '%s\n' "| mirror backup through the agent (median of $REPEAT) | freeze window (ms) | array copy (s) |" "| --- | ---: | ---: |" "${rows[@]}"

if [ $write_docs = 1 ]; then
  doc=docs/BENCHMARKS.md
  cmd="SIZES=\"$SIZES\" REPEAT=$REPEAT bench/freeze.sh --write-docs"
  table=$(printf '%s\n' "| mirror backup through the agent (median of $REPEAT) | freeze window (ms) | array copy (s) |" "| --- | ---: | ---: |" "${rows[@]}")
  CMD="$cmd" TABLE="$table" python3 - "$doc" <<'PY'
import os, re, sys, datetime
path = sys.argv[1]
text = open(path).read()
section = (f"<!-- freeze:begin -->\n## Freeze window of a mirror backup\n\nCommand: `{os.environ['CMD']}` ({datetime.date.today()}). "
           "One array and one agent daemon on loopback; a mirror backup ordered through the agent's API with a preprocess and a postprocess. "
           "Freeze window = the agent job log's \"freeze window N ms\" (preprocess end → postprocess start): the postprocess runs as soon as the array "
           "has taken the copy's point in time (copy-before-write on), not after the copy. Array copy = the array job's created → finished, including the "
           "fsync of the secondary. Goal: milliseconds, independent of the size. Before issue 15.4 the postprocess ran after the copy, so the "
           "freeze window was the whole array copy time.\n\n" + os.environ["TABLE"] + "\n<!-- freeze:end -->")
if "<!-- freeze:begin -->" in text:
    text = re.sub(r"<!-- freeze:begin -->.*<!-- freeze:end -->", lambda _: section, text, flags=re.S)
else:
    text = text.rstrip() + "\n\n" + section + "\n"
open(path, "w").write(text)
PY
  echo "bench: wrote the freeze section of $doc"
fi
