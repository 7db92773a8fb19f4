#!/usr/bin/env bash
# Starts pcscd (its socket path is fixed: /run/pcscd/pcscd.comm) unless one
# is already answering. vpcd's two virtual readers then wait for card-side
# connections on 127.0.0.1:35963 and :35964.
set -euo pipefail
SUDO=; [ "$(id -u)" -eq 0 ] || SUDO=sudo
if pgrep -x pcscd >/dev/null && [ -S /run/pcscd/pcscd.comm ]; then exit 0; fi
$SUDO mkdir -p /run/pcscd
$SUDO rm -f /run/pcscd/pcscd.comm /run/pcscd/pcscd.pid
$SUDO pcscd
for _ in $(seq 50); do [ -S /run/pcscd/pcscd.comm ] && exit 0; sleep 0.1; done
echo "pcscd did not start" >&2; exit 1
