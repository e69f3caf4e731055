#!/usr/bin/env bash
# Runs every Snapcat test project and ends with the line "N passed, N failed, N skipped".
# Installs the real programs the tests drive (NBD clients and servers, qemu-img, fio, mkfs.ext4,
# debugfs, FUSE, the hercules tape tools, strace, iproute2 for the multi-host test's network namespaces,
# gnutls-bin's certtool/psktool for TLS keys) with apt-get when they are missing and we are root. Usage: ./test.sh [extra dotnet test args]
set -uo pipefail
cd "$(dirname "$0")"

need=()
for pair in nbdinfo:libnbd-bin nbdcopy:libnbd-bin nbdfuse:libnbd-bin qemu-img:qemu-utils qemu-nbd:qemu-utils \
            nbdkit:nbdkit fio:fio mkfs.ext4:e2fsprogs debugfs:e2fsprogs fusermount3:fuse3 qemu-io:qemu-utils \
            hetmap:hercules tapemap:hercules curl:curl strace:strace mount:mount \
            ip:iproute2 ss:iproute2 certtool:gnutls-bin psktool:gnutls-bin \
            chromium:chromium; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || need+=("${pair#*:}")
done
if [ ${#need[@]} -gt 0 ]; then
  mapfile -t need < <(printf '%s\n' "${need[@]}" | sort -u)
  if [ "$(id -u)" = 0 ]; then
    echo "test.sh: installing ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null && apt-get install -y -qq "${need[@]}" >/dev/null \
      || { echo "test.sh: apt-get install ${need[*]} failed"; echo "0 passed, 1 failed"; exit 1; }
  else
    echo "test.sh: missing ${need[*]}; run as root or install them (tests that need them will fail)"
  fi
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
# Style first: .editorconfig's whitespace, checked file by file without loading the solution (seconds, not
# minutes). The code style and analyzer rules set to `warning` are enforced by the build below
# (EnforceCodeStyleInBuild with warnings as errors), so they need no second, solution-loading format pass.
if ! dotnet format whitespace --folder --verify-no-changes -v:q; then
  echo "test.sh: dotnet format found whitespace that differs from .editorconfig (lines above); run: dotnet format whitespace --folder"
  echo "0 passed, 1 failed"
  exit 1
fi
if ! dotnet build Snapcat.slnx -c Release -nologo -v:q -clp:ErrorsOnly; then
  echo "test.sh: build failed"
  echo "0 passed, 1 failed"
  exit 1
fi

passed=0 failed=0 skipped=0 broken=0
for proj in tests/*.Tests/*.csproj; do
  name=$(basename "$proj" .csproj)
  log=$(mktemp)
  echo "== $name"
  dotnet test "$proj" -c Release --no-build -nologo "$@" > "$log" 2>&1
  # Whole output of a failing project (messages and stack traces); only the summary of a passing one.
  if grep -qE '^\s*Failed |Failed!' "$log"; then cat "$log"; else grep -E '(Passed|Failed)! +- ' "$log" || tail -n 20 "$log"; fi
  line=$(grep -E '(Passed|Failed)! +- +Failed: ' "$log" | tail -n 1)
  # A project with one to three failed tests runs those tests once more. A test that passes on that rerun is
  # counted as passed and named on a "flaky" line, so it is seen and fixed at its root; one that fails again stays
  # failed. More failures than that are a regression, not a flake, and are not rerun.
  if [ -n "$line" ]; then
    f=$(sed -E 's/.*Failed: *([0-9]+).*/\1/' <<<"$line")
    if [ "$f" -ge 1 ] && [ "$f" -le 3 ]; then
      mapfile -t names < <(grep -E '^\s+Failed [A-Za-z_][A-Za-z0-9_.]+' "$log" | sed -E 's/^\s+Failed ([A-Za-z0-9_.]+).*/\1/' | sort -u)
      if [ ${#names[@]} -ge 1 ]; then
        filter=$(printf 'FullyQualifiedName=%s|' "${names[@]}"); filter=${filter%|}
        relog=$(mktemp)
        echo "test.sh: $name: rerunning ${names[*]} once"
        dotnet test "$proj" -c Release --no-build -nologo --filter "$filter" "$@" > "$relog" 2>&1
        reline=$(grep -E '(Passed|Failed)! +- +Failed: ' "$relog" | tail -n 1)
        rf=$(sed -E 's/.*Failed: *([0-9]+).*/\1/' <<<"$reline")
        rp=$(sed -E 's/.*Passed: *([0-9]+).*/\1/' <<<"$reline")
        if [ -n "$reline" ] && [ "$rf" -eq 0 ] && [ "$rp" -ge "$f" ]; then
          echo "test.sh: flaky (failed, then passed on a rerun): ${names[*]}"
          p=$(sed -E 's/.*Passed: *([0-9]+).*/\1/' <<<"$line")
          line=$(sed -E "s/Failed: *[0-9]+/Failed: 0/; s/Passed: *[0-9]+/Passed: $((p + f))/" <<<"$line")
        else
          cat "$relog"
        fi
        rm -f "$relog"
      fi
    fi
  fi
  if [ -z "$line" ]; then
    echo "test.sh: $name produced no summary (test host crashed?); last lines:"
    tail -n 30 "$log"
    broken=$((broken + 1))
  else
    f=$(sed -E 's/.*Failed: *([0-9]+).*/\1/' <<<"$line")
    p=$(sed -E 's/.*Passed: *([0-9]+).*/\1/' <<<"$line")
    s=$(sed -E 's/.*Skipped: *([0-9]+).*/\1/' <<<"$line")
    passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
  fi
  rm -f "$log"
done
failed=$((failed + broken))
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
