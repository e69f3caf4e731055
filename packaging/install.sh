#!/usr/bin/env bash
# Installs Snapcat on this machine (docs/operations.md):
#   PREFIX/lib/snapcat/        the published snapcat (dotnet publish src/Snapcat.Cli -c Release)
#   PREFIX/bin/snapcat         a symbolic link to it
#   /etc/systemd/system/       snapcat-array.service, snapcat-agent.service, snapcat-server.service
#   PREFIX/share/man/man1/     snapcat.1 (snapcat manpage)
#   PREFIX/share/bash-completion/completions/snapcat   (snapcat completion bash)
#   /etc/snapcat/X.json        snapcat init X for every daemon whose configuration is missing
#                              (state in /var/lib/snapcat/X); an existing configuration is never touched
# then systemctl daemon-reload when systemd runs. Enabling a daemon is left to the administrator:
#   systemctl enable --now snapcat-server
#
# Usage: packaging/install.sh [--prefix /usr/local] [--dest-root DIR] [--no-systemctl]
#                             [--from DIR] [--daemons array,agent,server]
#   --dest-root DIR  install under DIR (a package build or a test), as if DIR were /; implies --no-systemctl
#   --from DIR       copy an already published or built snapcat from DIR instead of running dotnet publish
#   --daemons LIST   which daemons get a configuration when it is missing (default all three)
# Run as root for a real installation.
set -euo pipefail

prefix=/usr/local
dest=""
systemctl=1
from=""
daemons="array,agent,server"
while [[ $# -gt 0 ]]; do
    case "$1" in
        --prefix) prefix="$2"; shift 2 ;;
        --dest-root) dest="${2%/}"; shift 2 ;;
        --no-systemctl) systemctl=0; shift ;;
        --from) from="$2"; shift 2 ;;
        --daemons) daemons="$2"; shift 2 ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "install.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done
case "$prefix" in /*) ;; *) echo "install.sh: --prefix must be absolute, not $prefix" >&2; exit 2 ;; esac
[[ -n "$dest" ]] && systemctl=0

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
lib="$dest$prefix/lib/snapcat"
umask 022

say() { echo "install.sh: $*"; }

# 1. The program.
install -d -m 0755 "$lib" "$dest$prefix/bin"
if [[ -n "$from" ]]; then
    say "copying snapcat from $from"
    cp -a "$from/." "$lib/"
else
    say "dotnet publish src/Snapcat.Cli -c Release -o $lib"
    dotnet publish "$repo/src/Snapcat.Cli" -c Release -o "$lib" --nologo -v quiet
fi
[[ -f "$lib/snapcat.dll" ]] || { echo "install.sh: no snapcat.dll in $lib" >&2; exit 1; }
ln -sfn "$prefix/lib/snapcat/snapcat" "$dest$prefix/bin/snapcat"

# The freshly installed snapcat, run from where it is now (under --dest-root too).
snapcat() {
    if [[ -x "$lib/snapcat" ]]; then "$lib/snapcat" "$@"; else dotnet "$lib/snapcat.dll" "$@"; fi
}

# 2. The systemd units, pointed at PREFIX/bin/snapcat.
units="$dest/etc/systemd/system"
install -d -m 0755 "$units"
for unit in snapcat-array snapcat-agent snapcat-server; do
    sed "s#/usr/local/bin/snapcat#$prefix/bin/snapcat#g" "$repo/packaging/systemd/$unit.service" > "$units/$unit.service.tmp"
    chmod 0644 "$units/$unit.service.tmp"
    mv -f "$units/$unit.service.tmp" "$units/$unit.service"
done
say "units in $units"

# 3. Man page and bash completion, made from the installed snapcat's command tree.
install -d -m 0755 "$dest$prefix/share/man/man1" "$dest$prefix/share/bash-completion/completions"
snapcat manpage > "$dest$prefix/share/man/man1/snapcat.1"
chmod 0644 "$dest$prefix/share/man/man1/snapcat.1"
snapcat completion bash > "$dest$prefix/share/bash-completion/completions/snapcat"
chmod 0644 "$dest$prefix/share/bash-completion/completions/snapcat"

# 4. Configurations that are missing (0600 files in /etc/snapcat, 0700), state in /var/lib/snapcat (0700).
etc="$dest/etc/snapcat"
install -d -m 0700 "$etc" "$dest/var/lib/snapcat"
for daemon in ${daemons//,/ }; do
    case "$daemon" in array|agent|server) ;; *) echo "install.sh: --daemons: '$daemon' is not array, agent or server" >&2; exit 2 ;; esac
    if [[ -e "$etc/$daemon.json" ]]; then
        say "$etc/$daemon.json exists, left as it is"
    else
        snapcat init "$daemon" --dir "$etc" --state-dir "/var/lib/snapcat/$daemon" > "$etc/$daemon.init.txt"
        chmod 0600 "$etc/$daemon.init.txt"
        say "wrote $etc/$daemon.json (what its peers need: $etc/$daemon.init.txt)"
    fi
done

# 5. Tell systemd, if it runs.
if [[ "$systemctl" == 1 && -d /run/systemd/system ]]; then
    systemctl daemon-reload
    say "systemctl daemon-reload done; start a daemon with: systemctl enable --now snapcat-server (or -array, -agent)"
else
    say "systemctl not called; after installing: systemctl daemon-reload && systemctl enable --now snapcat-server"
fi
