#!/usr/bin/env bash
# Run a private Virtuoso (Debian's virtuoso-opensource) on loopback, for SpaceKG's remote-store
# tests and the benchmark.
#
#   scripts/virtuoso.sh install              install the Debian package if absent (needs root)
#   scripts/virtuoso.sh start  DIR           write DIR/virtuoso.ini, start, wait until it answers;
#                                            prints shell assignments (see below); idempotent
#   scripts/virtuoso.sh env    DIR           print the assignments of a running instance
#   scripts/virtuoso.sh load   DIR FILE...   bulk-load N-Quads/N-Triples/Turtle files (rdf_loader)
#   scripts/virtuoso.sh isql   DIR 'SQL;'    run SQL as dba
#   scripts/virtuoso.sh stop   DIR           stop it (checkpoint, shutdown); idempotent
#
# Printed assignments: VIRTUOSO_DIR, VIRTUOSO_PID, VIRTUOSO_SQL_PORT, VIRTUOSO_HTTP_PORT,
# VIRTUOSO_SPARQL (query endpoint), VIRTUOSO_SPARQL_AUTH (update endpoint, HTTP digest),
# VIRTUOSO_GSP_AUTH (Graph Store Protocol, HTTP digest), VIRTUOSO_USER, VIRTUOSO_PASSWORD.
#
# Why a private instance: the package's own service listens on all interfaces with the default
# dba password and a 10,000-row result cap that silently truncates answers. This one binds
# 127.0.0.1 on free ports, raises ResultSetMaxRows, allows bulk loads only from DIR/load, and
# sets a random dba password kept in DIR (mode 600).
#
# Environment: VIRTUOSO_BUFFERS (NumberOfBuffers, 8 KiB pages; default 100000),
# VIRTUOSO_MAX_ROWS (ResultSetMaxRows; default 10000000), VIRTUOSO_START_TIMEOUT (s; default 60).
set -euo pipefail

VIRTUOSO_BIN=${VIRTUOSO_BIN:-virtuoso-t}
ISQL_BIN=${ISQL_BIN:-isql-vt}

die() { echo "virtuoso.sh: $*" >&2; exit 2; }

cmd_install() {
    if command -v "$VIRTUOSO_BIN" >/dev/null 2>&1 && command -v "$ISQL_BIN" >/dev/null 2>&1; then
        return 0
    fi
    command -v apt-get >/dev/null 2>&1 || die "virtuoso-t not found and apt-get unavailable"
    local sudo=""
    if [ "$(id -u)" != 0 ]; then
        command -v sudo >/dev/null 2>&1 || die "virtuoso-t not found; installing needs root"
        sudo="sudo -n"
    fi
    if ! apt-cache policy virtuoso-opensource 2>/dev/null | grep -q 'Candidate: [0-9]'; then
        $sudo apt-get update -qq >&2
    fi
    # The package's postinst would start a system-wide service; policy-rc.d is honoured where
    # present. DEBIAN_FRONTEND avoids the debconf password prompt.
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends \
        virtuoso-opensource >&2
    command -v "$VIRTUOSO_BIN" >/dev/null 2>&1 || die "installed virtuoso-opensource but no $VIRTUOSO_BIN"
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

running() {  # DIR -> 0 if the instance recorded in DIR is alive
    local dir=$1
    [ -f "$dir/env" ] || return 1
    local pid
    pid=$(sed -n 's/^VIRTUOSO_PID=//p' "$dir/env")
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

isql_as() {  # DIR PASSWORD SQL
    local dir=$1 pw=$2 sql=$3 port
    port=$(sed -n 's/^VIRTUOSO_SQL_PORT=//p' "$dir/ports")
    "$ISQL_BIN" "127.0.0.1:$port" dba "$pw" "VERBOSE=OFF" "BANNER=OFF" "PROMPT=OFF" \
        "ERRORS=STDOUT" "EXEC=$sql" </dev/null
}

check_isql() {  # isql-vt exits 0 even on SQL errors; look for them in its output
    local out
    out=$(isql_as "$@") || { echo "$out" >&2; return 1; }
    if grep -q -E '^\*\*\* Error|SQLState' <<<"$out"; then echo "$out" >&2; return 1; fi
    printf '%s\n' "$out"
}

write_ini() {  # DIR SQLPORT HTTPPORT
    local dir=$1 sql=$2 http=$3
    mkdir -p "$dir/db" "$dir/load" "$dir/vsp"
    cat >"$dir/virtuoso.ini" <<EOF
; Written by scripts/virtuoso.sh: loopback-only private instance for SpaceKG.
[Database]
DatabaseFile       = $dir/db/virtuoso.db
ErrorLogFile       = $dir/db/virtuoso.log
LockFile           = $dir/db/virtuoso.lck
TransactionFile    = $dir/db/virtuoso.trx
xa_persistent_file = $dir/db/virtuoso.pxa
ErrorLogLevel      = 7
FileExtend         = 200
MaxCheckpointRemap = 2000
Striping           = 0
TempStorage        = TempDatabase

[TempDatabase]
DatabaseFile       = $dir/db/virtuoso-temp.db
TransactionFile    = $dir/db/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping           = 0

[Parameters]
ServerPort               = 127.0.0.1:$sql
LiteMode                 = 0
DisableUnixSocket        = 1
DisableTcpSocket         = 0
MaxClientConnections     = 20
CheckpointInterval       = 60
O_DIRECT                 = 0
CaseMode                 = 2
MaxStaticCursorRows      = 5000
CheckpointAuditTrail     = 0
AllowOSCalls             = 0
SchedulerInterval        = 10
DirsAllowed              = ., $dir/load
ThreadCleanupInterval    = 0
ThreadThreshold          = 10
ResourcesCleanupInterval = 0
FreeTextBatchSize        = 100000
SingleCPU                = 0
PrefixResultNames        = 0
RdfFreeTextRulesSize     = 100
IndexTreeMaps            = 64
MaxQueryMem              = 2G
VectorSize               = 1000
MaxVectorSize            = 1000000
AdjustVectorSize         = 0
ThreadsPerQuery          = 2
AsyncQueueMaxThreads     = 10
MaxSortedTopRows         = ${VIRTUOSO_MAX_ROWS:-10000000}
NumberOfBuffers          = ${VIRTUOSO_BUFFERS:-100000}
MaxDirtyBuffers          = $(( ${VIRTUOSO_BUFFERS:-100000} * 3 / 4 ))

[HTTPServer]
ServerPort                  = 127.0.0.1:$http
ServerRoot                  = $dir/vsp
MaxClientConnections        = 20
DavRoot                     = DAV
EnabledDavVSP               = 0
HTTPProxyEnabled            = 0
TempASPXDir                 = 0
ServerThreads               = 20
MaxKeepAlives               = 20
KeepAliveTimeout            = 10
MaxCachedProxyConnections   = 10
ProxyConnectionCacheTimeout = 15
HTTPThreadSize              = 280000
HttpPrintWarningsInOutput   = 0
Charset                     = UTF-8
EnabledGzipContent          = 0

[AutoRepair]
BadParentLinks = 0

[Client]
SQL_PREFETCH_ROWS  = 100
SQL_PREFETCH_BYTES = 16000
SQL_QUERY_TIMEOUT  = 0
SQL_TXN_TIMEOUT    = 0

[SPARQL]
; The default (10,000) truncates results without saying so.
ResultSetMaxRows           = ${VIRTUOSO_MAX_ROWS:-10000000}
MaxQueryCostEstimationTime = 0
MaxQueryExecutionTime      = 120
DefaultQuery               = ASK {}
DeferInferenceRulesInit    = 0
EOF
}

print_env() { cat "$1/env"; }

cmd_start() {
    local dir=${1:?usage: start DIR}
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    if running "$dir"; then print_env "$dir"; return 0; fi
    cmd_install
    local sql http
    if [ -f "$dir/ports" ] && [ -f "$dir/db/virtuoso.db" ]; then
        # Restart of an existing database: keep its ports unless they are now taken.
        sql=$(sed -n 's/^VIRTUOSO_SQL_PORT=//p' "$dir/ports")
        http=$(sed -n 's/^VIRTUOSO_HTTP_PORT=//p' "$dir/ports")
        if ! python3 -c "import socket,sys
for p in sys.argv[1:]:
    s=socket.socket(); s.bind(('127.0.0.1', int(p))); s.close()" "$sql" "$http" 2>/dev/null; then
            sql=$(free_port); http=$(free_port)
        fi
    else
        sql=$(free_port); http=$(free_port)
        while [ "$http" = "$sql" ]; do http=$(free_port); done
    fi
    printf 'VIRTUOSO_SQL_PORT=%s\nVIRTUOSO_HTTP_PORT=%s\n' "$sql" "$http" >"$dir/ports"
    write_ini "$dir" "$sql" "$http"
    rm -f "$dir/db/virtuoso.lck"
    (cd "$dir/db" && exec "$VIRTUOSO_BIN" +configfile "$dir/virtuoso.ini" +foreground \
        >"$dir/virtuoso.out" 2>&1 </dev/null) &
    local pid=$!
    local deadline=$(( $(date +%s) + ${VIRTUOSO_START_TIMEOUT:-60} ))
    until curl -fsS -o /dev/null "http://127.0.0.1:$http/sparql?query=ASK%7B%7D" 2>/dev/null; do
        if ! kill -0 "$pid" 2>/dev/null; then
            tail -20 "$dir/virtuoso.out" "$dir/db/virtuoso.log" >&2 2>/dev/null || true
            die "virtuoso exited during start-up (see $dir/db/virtuoso.log)"
        fi
        [ "$(date +%s)" -lt "$deadline" ] || { kill "$pid" 2>/dev/null; die "virtuoso did not answer within the start timeout"; }
        sleep 0.5
    done
    local pw
    if [ -f "$dir/password" ]; then
        pw=$(cat "$dir/password")
    else
        pw=$(python3 -c 'import secrets; print("k" + secrets.token_hex(12))')
        if ! check_isql "$dir" dba "USER_SET_PASSWORD('dba', '$pw');" >/dev/null; then
            kill "$pid" 2>/dev/null || true
            die "could not set the dba password"
        fi
        (umask 077; printf '%s\n' "$pw" >"$dir/password")
    fi
    # The loader keeps its queue in DB.DBA.load_list; a clean queue keeps "load" idempotent.
    {
        printf 'VIRTUOSO_DIR=%s\n' "$dir"
        printf 'VIRTUOSO_PID=%s\n' "$pid"
        printf 'VIRTUOSO_SQL_PORT=%s\n' "$sql"
        printf 'VIRTUOSO_HTTP_PORT=%s\n' "$http"
        printf 'VIRTUOSO_SPARQL=http://127.0.0.1:%s/sparql\n' "$http"
        printf 'VIRTUOSO_SPARQL_AUTH=http://127.0.0.1:%s/sparql-auth\n' "$http"
        printf 'VIRTUOSO_GSP_AUTH=http://127.0.0.1:%s/sparql-graph-crud-auth\n' "$http"
        printf 'VIRTUOSO_USER=dba\n'
        printf 'VIRTUOSO_PASSWORD=%s\n' "$pw"
    } >"$dir/env"
    chmod 600 "$dir/env"
    print_env "$dir"
}

cmd_env() {
    local dir=${1:?usage: env DIR}
    running "$dir" || die "no running instance in $dir"
    print_env "$dir"
}

cmd_isql() {
    local dir=${1:?usage: isql DIR SQL} sql=${2:?usage: isql DIR SQL}
    running "$dir" || die "no running instance in $dir"
    check_isql "$dir" "$(cat "$dir/password")" "$sql"
}

cmd_load() {
    local dir=${1:?usage: load DIR FILE...}; shift
    [ $# -gt 0 ] || die "usage: load DIR FILE..."
    dir=$(cd "$dir" && pwd)
    running "$dir" || die "no running instance in $dir"
    local stage="$dir/load/batch-$$"
    mkdir -p "$stage"
    local f
    for f in "$@"; do
        [ -f "$f" ] || die "no such file: $f"
        cp "$f" "$stage/"
    done
    # N-Quads carry their graphs; triples without one go to the graph named here.
    cmd_isql "$dir" "ld_dir('$stage', '*', 'urn:x-spacekg:bulk-default'); rdf_loader_run(); checkpoint;" >/dev/null
    local errors
    errors=$(cmd_isql "$dir" "SELECT ll_file, ll_error FROM DB.DBA.load_list WHERE ll_error IS NOT NULL AND ll_file LIKE '$stage/%';")
    rm -rf "$stage"
    if grep -q "$stage" <<<"$errors"; then echo "$errors" >&2; die "bulk load reported errors"; fi
}

cmd_stop() {
    local dir=${1:?usage: stop DIR}
    [ -d "$dir" ] || return 0
    running "$dir" || { rm -f "$dir/env"; return 0; }
    local pid; pid=$(sed -n 's/^VIRTUOSO_PID=//p' "$dir/env")
    isql_as "$dir" "$(cat "$dir/password")" "shutdown;" >/dev/null 2>&1 || kill "$pid" 2>/dev/null || true
    local i
    for i in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    if kill -0 "$pid" 2>/dev/null; then kill -9 "$pid" 2>/dev/null || true; fi
    rm -f "$dir/env"
}

case "${1:-}" in
    install) shift; cmd_install "$@" ;;
    start) shift; cmd_start "$@" ;;
    env) shift; cmd_env "$@" ;;
    isql) shift; cmd_isql "$@" ;;
    load) shift; cmd_load "$@" ;;
    stop) shift; cmd_stop "$@" ;;
    *) sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
