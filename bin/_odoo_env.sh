# shellcheck shell=bash
# Shared by bin/run-tests and bin/demo-server: find Odoo 18 and PostgreSQL.
#
# Odoo is found, in this order:
#   1. $ODOO_BIN: a path to an odoo-bin / odoo executable;
#   2. `odoo` on PATH, then `odoo-bin` on PATH;
#   3. an importable `odoo` package for $PYTHON (default python3), run as `python3 -m odoo`.
# Database connection: $PGHOST (127.0.0.1), $PGPORT (5432), $PGUSER (odoo), $PGPASSWORD.

die() {
    echo "ERROR: $*" >&2
    exit 2
}

DC_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
PGHOST="${PGHOST:-127.0.0.1}"
PGPORT="${PGPORT:-5432}"
PGUSER="${PGUSER:-odoo}"
export PGHOST PGPORT PGUSER

find_odoo() {
    if [ -n "${ODOO_BIN:-}" ]; then
        [ -x "$ODOO_BIN" ] || command -v "$ODOO_BIN" >/dev/null 2>&1 ||
            die "ODOO_BIN=$ODOO_BIN is not an executable."
        ODOO_CMD=("$ODOO_BIN")
    elif command -v odoo >/dev/null 2>&1; then
        ODOO_CMD=("$(command -v odoo)")
    elif command -v odoo-bin >/dev/null 2>&1; then
        ODOO_CMD=("$(command -v odoo-bin)")
    elif "$PYTHON" -c "import odoo.cli" >/dev/null 2>&1; then
        ODOO_CMD=("$PYTHON" -m odoo)
    else
        die "Odoo 18.0 was not found. Install Odoo 18.0 (Community) and either put \`odoo\` or \`odoo-bin\` on PATH, make the \`odoo\` package importable by $PYTHON, or set ODOO_BIN=/path/to/odoo-bin."
    fi
    local version
    version="$("${ODOO_CMD[@]}" --version 2>/dev/null | tail -n1)" ||
        die "Odoo was found (${ODOO_CMD[*]}) but does not run: \`${ODOO_CMD[*]} --version\` failed."
    case "$version" in
    *"18.0"* | *" 18."*) ;;
    *) die "debt_collection needs Odoo 18.0; ${ODOO_CMD[*]} reports: $version" ;;
    esac
    echo "Odoo: ${ODOO_CMD[*]} ($version)"
}

pg_ready() {
    if command -v pg_isready >/dev/null 2>&1; then
        pg_isready -h "$PGHOST" -p "$PGPORT" -q
    else
        "$PYTHON" - <<PY >/dev/null 2>&1
import socket
socket.create_connection(("$PGHOST", int("$PGPORT")), timeout=2).close()
PY
    fi
}

ensure_postgres() {
    if ! pg_ready; then
        if command -v pg_ctlcluster >/dev/null 2>&1 && command -v pg_lsclusters >/dev/null 2>&1; then
            echo "PostgreSQL is not answering on $PGHOST:$PGPORT; starting the local cluster..."
            pg_lsclusters --no-header | while read -r ver cluster _rest; do
                pg_ctlcluster --skip-systemctl-redirect "$ver" "$cluster" start 2>/dev/null || true
            done
            for _ in $(seq 1 30); do
                pg_ready && break
                sleep 1
            done
        fi
        pg_ready || die "PostgreSQL is not reachable on $PGHOST:$PGPORT. Start it (PostgreSQL >= 13) or set PGHOST/PGPORT."
    fi
    # Odoo refuses to run as the `postgres` superuser: make sure our role exists.
    [ "$PGUSER" != "postgres" ] || die "Odoo refuses the postgres role; set PGUSER to another role."
    if command -v psql >/dev/null 2>&1; then
        if ! psql -d postgres -tAc "SELECT 1" >/dev/null 2>&1; then
            echo "Creating the PostgreSQL role $PGUSER (LOGIN CREATEDB)..."
            psql -U postgres -d postgres -qc "CREATE ROLE \"$PGUSER\" LOGIN CREATEDB" ||
                die "Cannot connect as $PGUSER and cannot create that role; create it or set PGUSER/PGPASSWORD."
        fi
    fi
}

# A directory holding only a `debt_collection` link to this checkout, so that
# the checkout can be cloned under any name.
make_addons_path() {
    DC_ADDONS_DIR="$(mktemp -d "${TMPDIR:-/tmp}/debt_collection_addons.XXXXXX")"
    ln -s "$DC_ROOT" "$DC_ADDONS_DIR/debt_collection"
    DC_ADDONS_PATH="$DC_ADDONS_DIR${ODOO_ADDONS_PATH:+,$ODOO_ADDONS_PATH}"
}

odoo_db_args() {
    ODOO_DB_ARGS=(--db_host "$PGHOST" --db_port "$PGPORT" --db_user "$PGUSER")
    if [ -n "${PGPASSWORD:-}" ]; then
        ODOO_DB_ARGS+=(--db_password "$PGPASSWORD")
    fi
}
