#!/bin/sh
# The sample workload `confine harden` hardens when given no command (and
# `make demo` shows): it creates a data directory, writes a CSV and a log,
# summarises the data with a pipe, and does a tiny TCP exchange on loopback
# (a python3 server thread and client). Its stdout is deterministic so a
# replay can be compared byte for byte.
#   sh examples/sample-workload.sh [DATA_DIR]   (default: $TMPDIR/confine-sample)
set -eu
DATA=${1:-${TMPDIR:-/tmp}/confine-sample}
mkdir -p "$DATA"
log() { echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) $*" >>"$DATA/sample.log"; }

PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
: >"$DATA/sample.log"
log "start"
printf 'id,name,qty\n1,apple,3\n2,pear,5\n3,plum,7\n' >"$DATA/items.csv"
log "wrote items.csv"
echo "items: $(tail -n +2 "$DATA/items.csv" | wc -l)"
echo "total qty: $(tail -n +2 "$DATA/items.csv" | cut -d, -f3 | paste -sd+ | bc 2>/dev/null || tail -n +2 "$DATA/items.csv" | awk -F, '{s+=$3} END {print s}')"

"$PY" - <<'PY'
import socket, threading
srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.bind(("127.0.0.1", 0))
srv.listen(1)
port = srv.getsockname()[1]
def serve():
    conn, _ = srv.accept()
    conn.sendall(conn.recv(64).upper())
    conn.close()
t = threading.Thread(target=serve)
t.start()
cli = socket.create_connection(("127.0.0.1", port))
cli.sendall(b"ping over loopback")
print("reply:", cli.recv(64).decode())
cli.close()
t.join()
srv.close()
PY
log "network exchange done"
echo "log lines: $(wc -l <"$DATA/sample.log")"
