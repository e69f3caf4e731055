#!/usr/bin/env bash
# Tape copy benchmark (issue 6, "How fast"): a SIZE backup copied to tape (TapeCopy: management information,
# 60 KiB blocks in AWSTAPE framing with CRC-32C, trailer, fsync at every tape mark) against `dd bs=1M
# conv=fsync` writing the same file to the same disk. Goal: tape copy >= 80% of dd's throughput.
# Both read the same source file (kept in the page cache by a first read) and end with data on stable storage.
# The tape copy is timed inside the process (hidden `snapcat tape bench-copy`), so .NET start-up is not counted.
# Usage: bench/tape.sh [--write-docs]      env: SIZE (default 2G), REPEAT (default 3)
# With --write-docs replaces the tape section of docs/BENCHMARKS.md (between <!-- tape:begin/end -->).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
SIZE=${SIZE:-2G}
REPEAT=${REPEAT:-3}
write_docs=0
[ "${1:-}" = "--write-docs" ] && write_docs=1
for t in dd python3 jq; do command -v $t >/dev/null || { echo "bench: $t is missing"; exit 1; }; done

./snapcat --help >/dev/null                       # builds the Release binary once
snapcat() { dotnet "$root/.build/snapcat.dll" "$@"; }

work=$(mktemp -d -p /var/tmp snapcat-tapebench.XXXXXX)
trap 'rm -rf "$work"' EXIT
bytes=$(python3 -c "u={'K':10,'M':20,'G':30,'T':40};s='$SIZE';print(int(s[:-1])<<u[s[-1]] if s[-1] in u else int(s))")
mib=$((bytes >> 20))
capacity=$(( (bytes >> 20) + 64 ))M             # one cartridge holds the whole copy
median() { python3 -c 'import sys,statistics;print(statistics.median(float(x) for x in sys.argv[1:]))' "$@"; }

echo "bench: writing a $SIZE random source file"
head -c "$bytes" /dev/urandom > "$work/source.bin"
cat "$work/source.bin" > /dev/null

dd_rates=(); tape_rates=(); ratios=()
run_dd() {
  rm -f "$work/dd.out"; sync
  local t0 t1; t0=$(date +%s.%N)
  dd if="$work/source.bin" of="$work/dd.out" bs=1M conv=fsync status=none
  t1=$(date +%s.%N)
  dd_rates+=("$(python3 -c "print($mib/($t1-$t0))")")
  rm -f "$work/dd.out"; sync
}
run_tape() {
  rm -rf "$work/lib"; mkdir "$work/lib"; sync
  out=$(snapcat tape bench-copy --file "$work/source.bin" --library "$work/lib" --capacity "$capacity")
  tape_rates+=("$(python3 -c "print($mib/$(echo "$out" | jq .seconds))")")
  rm -rf "$work/lib"; sync
}
for i in $(seq 1 "$REPEAT"); do
  # Alternate the order so background write-back or other load does not always hit the same side.
  if [ $((i % 2)) = 1 ]; then run_dd; run_tape; else run_tape; run_dd; fi
  ratios+=("$(python3 -c "print(${tape_rates[-1]}/${dd_rates[-1]})")")
  echo "round $i: dd ${dd_rates[-1]%.*} MiB/s, tape copy ${tape_rates[-1]%.*} MiB/s"
done
dd_m=$(median "${dd_rates[@]}"); tape_m=$(median "${tape_rates[@]}"); ratio_m=$(median "${ratios[@]}")
table=$(python3 - "$dd_m" "$tape_m" "$SIZE" "$ratio_m" "${ratios[*]}" <<'PY'
import sys
dd, tape, size, ratio = float(sys.argv[1]), float(sys.argv[2]), sys.argv[3], float(sys.argv[4])
rounds = ", ".join(f"{100*float(r):.0f}%" for r in sys.argv[5].split())
print("| measure | result | goal |")
print("|---|---|---|")
print(f"| `dd bs=1M conv=fsync` of {size} | {dd:.0f} MiB/s | |")
print(f"| tape copy of {size} (TapeCopy to one AWSTAPE cartridge) | {tape:.0f} MiB/s | |")
print(f"| tape copy / dd, median of the per-round ratios ({rounds}) | {100*ratio:.0f}% | >= 80% |")
PY
)
echo "$table"
if [ $write_docs = 1 ]; then
  doc=docs/BENCHMARKS.md
  [ -f $doc ] || printf '# Benchmarks\n' > $doc
  python3 - "$doc" "$table" "SIZE=$SIZE REPEAT=$REPEAT bench/tape.sh --write-docs" <<'PY'
import sys, re, datetime
doc, table, cmd = sys.argv[1], sys.argv[2], sys.argv[3]
text = open(doc).read()
section = (f"<!-- tape:begin -->\n## Copy to tape\n\nCommand: `{cmd}` ({datetime.date.today()}). Medians; dd and the tape copy alternate order each round. A random source "
           f"file (in the page cache) copied by `snapcat tape bench-copy` (timed inside the process: management information, "
           f"data in 60 KiB AWSTAPE blocks with CRC-32C, trailer, fsync at each tape mark) against `dd bs=1M conv=fsync` "
           f"of the same file to the same disk. The per-round ratios show how much a shared machine's load moves single rounds.\n\n{table}\n<!-- tape:end -->")
if "<!-- tape:begin -->" in text:
    text = re.sub(r"<!-- tape:begin -->.*<!-- tape:end -->", lambda _: section, text, flags=re.S)
else:
    text = text.rstrip() + "\n\n" + section + "\n"
open(doc, "w").write(text)
PY
  echo "bench: wrote $doc"
fi
