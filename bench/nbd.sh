#!/usr/bin/env bash
# NBD data path benchmark: the same-size file served by Snapcat's array, `nbdkit file` and `qemu-nbd`,
# measured in one run with real clients, contenders interleaved, medians of REPEAT rounds.
#   nbdcopy sequential read  (export -> null:)
#   nbdcopy sequential write (file -> export, --flush)
#   fio --ioengine=nbd 4 KiB random read / write, queue depth 16
# Usage: bench/nbd.sh [--tls] [--write-docs]   env: SIZE (default 1G), REPEAT (default 3), RUNTIME (fio s, default 10)
# Prints a table with ratios to nbdkit; with --write-docs replaces the NBD section of docs/BENCHMARKS.md.
# --tls: the TLS data path instead: nbdcopy read and write through the array's ports with tls=require
# (PSK, X.509) against `nbdkit --tls=require` with the same credentials, plain ports of both beside them;
# --write-docs then replaces the "NBD over TLS" section.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
SIZE=${SIZE:-1G}
REPEAT=${REPEAT:-3}
RUNTIME=${RUNTIME:-10}
write_docs=0
tls=0
for a in "$@"; do
  case "$a" in
    --write-docs) write_docs=1 ;;
    --tls) tls=1 ;;
    *) echo "bench: unknown argument $a"; exit 2 ;;
  esac
done
for t in nbdcopy nbdkit qemu-nbd fio python3 openssl; do command -v $t >/dev/null || { echo "bench: $t is missing"; exit 1; }; done

./snapcat --help >/dev/null                       # builds the Release binary once
snapcat() { dotnet "$root/.build/snapcat.dll" "$@"; }

work=$(mktemp -d -p /var/tmp snapcat-bench.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

freeport() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
waitnbd() { for _ in $(seq 1 200); do nbdinfo --size "$1" >/dev/null 2>&1 && return 0; sleep 0.05; done; echo "bench: $1 never answered"; exit 1; }

cp_port=$(freeport); sc_port=$(freeport); kit_port=$(freeport); qemu_port=$(freeport)
scpsk_port=$(freeport); scx509_port=$(freeport); kitpsk_port=$(freeport); kitx509_port=$(freeport)
token=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
tls_ports=""
if [ $tls = 1 ]; then
  # One PSK user, and a CA with a server certificate for 127.0.0.1, in the file layouts of the array,
  # nbdkit (--tls-certificates=DIR: ca-cert.pem, server-cert.pem, server-key.pem) and libnbd (ca-cert.pem).
  mkdir -p "$work/pki" "$work/client"
  echo "bench:$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')" > "$work/keys.psk"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=bench CA" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign \
    -keyout "$work/pki/ca-key.pem" -out "$work/pki/ca-cert.pem" 2>/dev/null
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=bench-array" \
    -keyout "$work/pki/server-key.pem" -out "$work/pki/server.csr" 2>/dev/null
  openssl x509 -req -in "$work/pki/server.csr" -CA "$work/pki/ca-cert.pem" -CAkey "$work/pki/ca-key.pem" -days 2 \
    -extfile <(printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n') -out "$work/pki/server-cert.pem" 2>/dev/null
  cp "$work/pki/ca-cert.pem" "$work/client/"
  tls_ports=",
    { \"listen\": \"127.0.0.1:$scpsk_port\", \"tls\": \"require\", \"pskFile\": \"$work/keys.psk\" },
    { \"listen\": \"127.0.0.1:$scx509_port\", \"tls\": \"require\", \"certificateFile\": \"$work/pki/server-cert.pem\", \"keyFile\": \"$work/pki/server-key.pem\" }"
fi
cat > "$work/array.json" <<JSON
{ "deviceId": "BENCH-01", "dataDirectory": "$work/array",
  "control": { "listen": "127.0.0.1:$cp_port", "token": "$token" },
  "dataPorts": [ { "listen": "127.0.0.1:$sc_port" }$tls_ports ] }
JSON
# dotnet itself in the background (not the shell function), so that $! is the daemon and cleanup stops it.
dotnet "$root/.build/snapcat.dll" array serve --config "$work/array.json" > "$work/array.log" 2>&1 & pids+=($!)
for _ in $(seq 1 200); do curl -sf -o /dev/null "http://127.0.0.1:$cp_port/openapi/v1.json" && break; sleep 0.05; done
export SNAPCAT_ARRAY_URL="http://127.0.0.1:$cp_port" SNAPCAT_ARRAY_TOKEN="$token"
snapcat array volume create --size "$SIZE" >/dev/null
snapcat array assign 1 --port "127.0.0.1:$sc_port" --lun 1 >/dev/null
if [ $tls = 1 ]; then
  snapcat array assign 1 --port "127.0.0.1:$scpsk_port" --lun 1 >/dev/null
  snapcat array assign 1 --port "127.0.0.1:$scx509_port" --lun 1 >/dev/null
fi

bytes=$(python3 -c "import sys;u={'K':10,'M':20,'G':30};s='$SIZE';print(int(s[:-1])<<u[s[-1]] if s[-1] in u else int(s))")
truncate -s "$bytes" "$work/nbdkit.img" "$work/qemu.img"
nbdkit -f -i 127.0.0.1 -p "$kit_port" file "$work/nbdkit.img" & pids+=($!)
qemu-nbd -f raw -x bench -b 127.0.0.1 -p "$qemu_port" --persistent --shared=16 --aio=threads --cache=writeback "$work/qemu.img" & pids+=($!)

declare -A uri=( [snapcat]="nbd://127.0.0.1:$sc_port/1" [nbdkit]="nbd://127.0.0.1:$kit_port/" [qemu-nbd]="nbd://127.0.0.1:$qemu_port/bench" )
contenders=(snapcat nbdkit qemu-nbd)
if [ $tls = 1 ]; then
  nbdkit -f -i 127.0.0.1 -p "$kitpsk_port" --tls=require --tls-psk="$work/keys.psk" file "$work/nbdkit.img" & pids+=($!)
  nbdkit -f -i 127.0.0.1 -p "$kitx509_port" --tls=require --tls-certificates="$work/pki" file "$work/nbdkit.img" & pids+=($!)
  psk="tls-psk-file=$work/keys.psk"; certs="tls-certificates=$work/client"
  uri+=( [snapcat-psk]="nbds://bench@127.0.0.1:$scpsk_port/1?$psk" [snapcat-x509]="nbds://127.0.0.1:$scx509_port/1?$certs"
         [nbdkit-psk]="nbds://bench@127.0.0.1:$kitpsk_port/?$psk" [nbdkit-x509]="nbds://127.0.0.1:$kitx509_port/?$certs" )
  contenders=(snapcat nbdkit snapcat-psk nbdkit-psk snapcat-x509 nbdkit-x509)
fi
for c in "${contenders[@]}"; do waitnbd "${uri[$c]}"; done

head -c "$bytes" /dev/urandom > "$work/src.img"
# First writes into fresh blocks are several times slower: fill every target once before timing.
for c in "${contenders[@]}"; do nbdcopy --flush "$work/src.img" "${uri[$c]}"; done

results="$work/results.txt"
now() { date +%s.%N; }
for round in $(seq 1 "$REPEAT"); do
  for c in "${contenders[@]}"; do
    t0=$(now); nbdcopy "${uri[$c]}" null:; t1=$(now)
    echo "$c seqread $(python3 -c "print($bytes/($t1-$t0)/1048576)")" >> "$results"
    t0=$(now); nbdcopy --flush "$work/src.img" "${uri[$c]}"; t1=$(now)
    echo "$c seqwrite $(python3 -c "print($bytes/($t1-$t0)/1048576)")" >> "$results"
    [ $tls = 1 ] && continue                      # the TLS table is nbdcopy only
    for rw in randread randwrite; do
      fio --name=b --ioengine=nbd --uri="${uri[$c]}" --rw=$rw --bs=4k --iodepth=16 --size="$bytes" \
          --runtime="$RUNTIME" --time_based --output-format=json > "$work/fio.json" 2> "$work/fio.err" \
          || { echo "bench: fio failed against $c:"; cat "$work/fio.err"; exit 1; }
      iops=$(python3 -c "import json;t=open('$work/fio.json').read();j=json.loads(t[t.index('{'):])['jobs'][0];print(j['read' if '$rw'=='randread' else 'write']['iops'])")
      echo "$c $rw $iops" >> "$results"
    done
  done
done

if [ $tls = 1 ]; then
table=$(python3 - "$results" "$SIZE" "$REPEAT" <<'PY'
import sys, statistics, collections
rows = collections.defaultdict(list)
for line in open(sys.argv[1]):
    c, m, v = line.split(); rows[(c, m)].append(float(v))
med = {k: statistics.median(v) for k, v in rows.items()}
names = {"seqread": "nbdcopy sequential read (MiB/s)", "seqwrite": "nbdcopy sequential write + flush (MiB/s)"}
print(f"| measure ({sys.argv[2]} file, median of {sys.argv[3]}) | transport | snapcat | nbdkit file | snapcat / nbdkit | snapcat TLS / snapcat plain |")
print("| --- | --- | ---: | ---: | ---: | ---: |")
for m in ["seqread", "seqwrite"]:
    for kind, suffix in [("plain", ""), ("TLS-PSK", "-psk"), ("TLS X.509", "-x509")]:
        s, k = med[("snapcat" + suffix, m)], med[("nbdkit" + suffix, m)]
        own = f"{s / med[('snapcat', m)]:.2f}" if suffix else "-"
        print(f"| {names[m]} | {kind} | {s:,.0f} | {k:,.0f} | {s/k:.2f} | {own} |")
PY
)
else
table=$(python3 - "$results" "$SIZE" "$REPEAT" <<'PY'
import sys, statistics, collections
rows = collections.defaultdict(list)
for line in open(sys.argv[1]):
    c, m, v = line.split(); rows[(c, m)].append(float(v))
med = {k: statistics.median(v) for k, v in rows.items()}
names = {"seqread": "nbdcopy sequential read (MiB/s)", "seqwrite": "nbdcopy sequential write + flush (MiB/s)",
         "randread": "fio 4 KiB random read, QD16 (IOPS)", "randwrite": "fio 4 KiB random write, QD16 (IOPS)"}
print(f"| measure ({sys.argv[2]} file, median of {sys.argv[3]}) | snapcat | nbdkit file | qemu-nbd | snapcat / nbdkit | snapcat / qemu-nbd |")
print("| --- | ---: | ---: | ---: | ---: | ---: |")
for m in ["seqread", "seqwrite", "randread", "randwrite"]:
    s, k, q = med[("snapcat", m)], med[("nbdkit", m)], med[("qemu-nbd", m)]
    print(f"| {names[m]} | {s:,.0f} | {k:,.0f} | {q:,.0f} | {s/k:.2f} | {s/q:.2f} |")
PY
)
fi
echo "$table"
load=$(cut -d' ' -f1-3 /proc/loadavg)
echo "bench: load average at the end: $load"
if [ $write_docs = 1 ]; then
  doc=docs/BENCHMARKS.md
  [ -f $doc ] || printf '# Benchmarks\n\nEvery figure here was produced by the command above its table, on the project machine (2 cores, 24 GiB, Debian 12), client and server sharing the cores.\n' > $doc
  if [ $tls = 1 ]; then tag=nbd-tls; cmd="SIZE=$SIZE REPEAT=$REPEAT bench/nbd.sh --tls --write-docs"
  else tag=nbd; cmd="SIZE=$SIZE REPEAT=$REPEAT RUNTIME=$RUNTIME bench/nbd.sh --write-docs"; fi
  python3 - "$doc" "$table" "$cmd" "$tag" "$load" <<'PY'
import sys, re, datetime
doc, table, cmd, tag, load = sys.argv[1:6]
text = open(doc).read()
if tag == "nbd":
    section = (f"<!-- nbd:begin -->\n## NBD data path\n\nCommand: `{cmd}` ({datetime.date.today()}). nbdkit's "
               f"file plugin and qemu-nbd (raw, writeback cache, thread AIO) serve same-size files on loopback; "
               f"every target is filled once before timing.\n\n{table}\n<!-- nbd:end -->")
else:
    section = (f"<!-- nbd-tls:begin -->\n## NBD over TLS\n\nCommand: `{cmd}` ({datetime.date.today()}; load average "
               f"{load} at the end). One array volume behind three data ports (tls off, tls=require with a PSK file, "
               f"tls=require with a certificate) against `nbdkit file` plain, with `--tls=require --tls-psk=F` and with "
               f"`--tls=require --tls-certificates=DIR`; the clients are nbdcopy (libnbd, GnuTLS) with "
               f"`nbds://bench@…?tls-psk-file=F` and `nbds://…?tls-certificates=DIR`. Every target is filled once "
               f"before timing.\n\n{table}\n<!-- nbd-tls:end -->")
begin, end = f"<!-- {tag}:begin -->", f"<!-- {tag}:end -->"
if begin in text:
    text = re.sub(re.escape(begin) + r".*" + re.escape(end), lambda _: section, text, flags=re.S)
else:
    text = text.rstrip() + "\n\n" + section + "\n"
open(doc, "w").write(text)
PY
  echo "bench: wrote $doc"
fi
