#!/usr/bin/env bash
# Builds and installs Reimburse as a systemd service.
#
# Usage: deploy/install.sh [options]
#
#   --prefix DIR          install under DIR (default /usr/local): DIR/bin/reimburse and the
#                         migrations in DIR/share/reimburse/sql, where the binary looks for them
#                         (../share/reimburse/sql beside itself). The unit is rewritten to match.
#   --destdir DIR         stage every file under DIR instead of / (for packaging; paths inside
#                         the unit stay the real ones). Implies nothing about --migrate.
#   --skip-build          do not build; install what `swift build -c release --static-swift-stdlib`
#                         left in the scratch path. Build as your own user, then install as root:
#                           swift build -c release --static-swift-stdlib --product reimburse
#                           sudo deploy/install.sh --skip-build
#   --scratch-path DIR    SwiftPM's build folder (default .build)
#   --migrate             run `reimburse migrate` after installing
#   --create-roles        create one LOGIN role for each of the three NOLOGIN group roles the
#                         migrations create (needs psql), if missing:
#                           reimburse_daemon   member of reimburse_service   (the service)
#                           reimburse_enqueuer member of reimburse_enqueue   (systems that queue jobs)
#                           reimburse_reporter member of reimburse_reporting (BI, spreadsheets)
#                         They get no password: set one with psql's \password (it never
#                         travels in clear text or lands in the server log). Because the
#                         daemon's login then cannot change the schema, this also installs a
#                         drop-in that stops the unit from migrating at start (see
#                         --no-start-migrate): upgrades run this script with --migrate.
#   --daemon-role NAME, --enqueue-role NAME, --reporting-role NAME
#                         other names for those three logins
#   --no-start-migrate    install the drop-in that removes the unit's ExecStartPre= migration
#   --database-url URL    the database for --migrate and --create-roles, as a libpq URI or
#                         key=value string. Connect as the schema owner (the role that ran the
#                         first migration) with CREATEROLE, or as a superuser. Keep the password
#                         out of it (it would show in `ps`): use ~/.pgpass or PGPASSWORD. When
#                         omitted, DATABASE_URL and then libpq's PG* variables apply.
#   --dry-run             print every command instead of running it; changes nothing
#   -h, --help            this text
#
# Installs (with the default prefix):
#   /usr/local/bin/reimburse
#   /usr/local/share/reimburse/sql/NNNN_*.sql and README.md (stale NNNN_*.sql there are removed)
#   /etc/systemd/system/reimburse.service
#   /etc/reimburse/reimburse.env.example, and reimburse.env from it unless that exists already
set -euo pipefail

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$script_dir/.." && pwd)

prefix=/usr/local
destdir=""
scratch_path=.build
build=1
migrate=0
create_roles=0
start_migrate_dropin=0
database_url=""
daemon_role=reimburse_daemon
enqueue_role=reimburse_enqueuer
reporting_role=reimburse_reporter
dry_run=0

usage() { sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"; }
die() { echo "install.sh: $*" >&2; exit 2; }
note() { echo "install.sh: $*"; }

# Prints the command, shell-quoted, and runs it unless --dry-run.
run() {
    printf '+'; printf ' %q' "$@"; printf '\n'
    ((dry_run)) || "$@"
}

need_value() { [[ $# -ge 2 && -n $2 ]] || die "$1 needs a value (see --help)"; }

while (($#)); do
    case $1 in
    -h | --help) usage; exit 0 ;;
    --prefix) need_value "$@"; prefix=$2; shift 2 ;;
    --prefix=*) prefix=${1#*=}; shift ;;
    --destdir) need_value "$@"; destdir=$2; shift 2 ;;
    --destdir=*) destdir=${1#*=}; shift ;;
    --scratch-path) need_value "$@"; scratch_path=$2; shift 2 ;;
    --scratch-path=*) scratch_path=${1#*=}; shift ;;
    --skip-build) build=0; shift ;;
    --migrate) migrate=1; shift ;;
    --create-roles) create_roles=1; start_migrate_dropin=1; shift ;;
    --no-start-migrate) start_migrate_dropin=1; shift ;;
    --database-url) need_value "$@"; database_url=$2; shift 2 ;;
    --database-url=*) database_url=${1#*=}; shift ;;
    --daemon-role) need_value "$@"; daemon_role=$2; shift 2 ;;
    --daemon-role=*) daemon_role=${1#*=}; shift ;;
    --enqueue-role) need_value "$@"; enqueue_role=$2; shift 2 ;;
    --enqueue-role=*) enqueue_role=${1#*=}; shift ;;
    --reporting-role) need_value "$@"; reporting_role=$2; shift 2 ;;
    --reporting-role=*) reporting_role=${1#*=}; shift ;;
    --dry-run) dry_run=1; shift ;;
    *) die "unknown argument $1 (see --help)" ;;
    esac
done

[[ $prefix == /* ]] || die "--prefix must be an absolute path, not $prefix"
prefix=${prefix%/}
[[ -z $destdir || $destdir == /* ]] || die "--destdir must be an absolute path, not $destdir"
destdir=${destdir%/}
# Role names go to PostgreSQL as psql variables, quoted by psql and by format('%I'), never
# pasted into SQL text; this check only turns a typo into a clear message early.
for role in "$daemon_role" "$enqueue_role" "$reporting_role"; do
    [[ $role =~ ^[a-z_][a-z0-9_]{0,62}$ ]] || die "role name '$role' is not a plain lower-case PostgreSQL name"
done
if ((create_roles)); then
    command -v psql >/dev/null 2>&1 || die "--create-roles needs psql (apt-get install postgresql-client)"
fi
if ((!dry_run)) && ((EUID != 0)) && [[ -z $destdir ]]; then
    die "installing into $prefix and /etc needs root (or use --dry-run, or --destdir to stage)"
fi

bin_dir=$prefix/bin
sql_dir=$prefix/share/reimburse/sql
unit_dir=/etc/systemd/system
config_dir=/etc/reimburse

# ---- Build -------------------------------------------------------------------------------------
# --static-swift-stdlib: the binary carries the Swift runtime and Foundation, so it does not
# depend on where (or whether) a toolchain is installed on the server; the unit's ProtectHome=
# would hide a toolchain under /root or /home anyway. libpq stays a shared system library.
swift_build=(swift build --package-path "$repo" --scratch-path "$scratch_path" -c release
    --static-swift-stdlib --product reimburse)
if ((build)); then
    run "${swift_build[@]}"
fi
if ((dry_run && build)) || ! command -v swift >/dev/null 2>&1; then
    # No toolchain on this host (a binary built elsewhere, copied with the checkout): SwiftPM's
    # usual layout.
    built="$repo/$scratch_path/release/reimburse"
    [[ $scratch_path == /* ]] && built="$scratch_path/release/reimburse"
else
    built="$("${swift_build[@]}" --show-bin-path)/reimburse"
fi
((dry_run)) || [[ -x $built ]] || die "no built binary at $built (build first, or drop --skip-build)"

# ---- Files -------------------------------------------------------------------------------------
run install -d -m 0755 "$destdir$bin_dir" "$destdir$sql_dir"
run install -m 0755 "$built" "$destdir$bin_dir/reimburse"

shopt -s nullglob
migrations=("$repo"/sql/[0-9][0-9][0-9][0-9]_*.sql)
((${#migrations[@]})) || die "no migrations in $repo/sql"
run install -m 0644 "${migrations[@]}" "$repo/sql/README.md" "$destdir$sql_dir/"
# The folder must hold exactly this version's migrations: a file left from another version
# would be applied by `reimburse migrate`.
for installed in "$destdir$sql_dir"/[0-9][0-9][0-9][0-9]_*.sql; do
    [[ -e "$repo/sql/$(basename "$installed")" ]] || run rm -f "$installed"
done
shopt -u nullglob

# The unit names /usr/local; another prefix is written into the installed copy.
unit_text=$(<"$script_dir/reimburse.service")
unit_text=${unit_text//\/usr\/local\/bin\/reimburse/"$bin_dir/reimburse"}
unit_text=${unit_text//\/usr\/local\/share\/reimburse/"$prefix/share/reimburse"}
run install -d -m 0755 "$destdir$unit_dir"
if ((dry_run)); then
    echo "+ write $destdir$unit_dir/reimburse.service (deploy/reimburse.service, prefix $prefix)"
else
    printf '%s\n' "$unit_text" >"$destdir$unit_dir/reimburse.service.tmp"
    chmod 0644 "$destdir$unit_dir/reimburse.service.tmp"
    mv -f "$destdir$unit_dir/reimburse.service.tmp" "$destdir$unit_dir/reimburse.service"
fi

if ((start_migrate_dropin)); then
    dropin_dir="$unit_dir/reimburse.service.d"
    dropin="$dropin_dir/10-no-migrate-at-start.conf"
    run install -d -m 0755 "$destdir$dropin_dir"
    if ((dry_run)); then
        echo "+ write $destdir$dropin (ExecStartPre= cleared)"
    else
        cat >"$destdir$dropin" <<'EOF'
# Written by deploy/install.sh (--create-roles or --no-start-migrate). The service logs in as a
# member of reimburse_service, which may not change the schema, so it does not run migrations
# at start; schema upgrades are run by the schema owner:
#   deploy/install.sh --migrate --database-url 'postgresql://owner@host/db'
# Delete this file (and `systemctl daemon-reload`) to migrate at every start again.
[Service]
ExecStartPre=
EOF
        chmod 0644 "$destdir$dropin"
    fi
fi

run install -d -m 0755 "$destdir$config_dir"
run install -m 0644 "$script_dir/reimburse.env.example" "$destdir$config_dir/reimburse.env.example"
if [[ -e "$destdir$config_dir/reimburse.env" ]]; then
    note "keeping the existing $destdir$config_dir/reimburse.env (compare with reimburse.env.example)"
else
    # Root-only: it names the database and user, though never the password.
    run install -m 0600 "$script_dir/reimburse.env.example" "$destdir$config_dir/reimburse.env"
fi

# ---- Database ----------------------------------------------------------------------------------
if ((migrate)); then
    # The URL goes in the environment, not on the command line, where `ps` would show it.
    if [[ -n $database_url ]]; then
        printf '+ DATABASE_URL=<from --database-url> %q migrate\n' "$destdir$bin_dir/reimburse"
        ((dry_run)) || DATABASE_URL=$database_url "$destdir$bin_dir/reimburse" migrate
    else
        run "$destdir$bin_dir/reimburse" migrate
    fi
fi

if ((create_roles)); then
    psql_command=(psql -X --single-transaction -v ON_ERROR_STOP=1 -f -
        -v "daemon_role=$daemon_role" -v "enqueue_role=$enqueue_role" -v "reporting_role=$reporting_role")
    [[ -z $database_url ]] || psql_command+=(--dbname "$database_url")
    # Quoted here-document: the shell expands nothing in it; psql substitutes the -v variables
    # as a quoted literal (:'name') or identifier (:"name").
    roles_sql=$(
        cat <<'SQL'
DO $check$
BEGIN
    IF (SELECT count(*) FROM pg_catalog.pg_roles
         WHERE rolname IN ('reimburse_service', 'reimburse_enqueue', 'reimburse_reporting')) < 3 THEN
        RAISE EXCEPTION 'the group roles reimburse_service, reimburse_enqueue and reimburse_reporting do not exist yet'
            USING HINT = 'Run the migrations first: install.sh --migrate, or reimburse migrate.';
    END IF;
END
$check$;

SELECT format('CREATE ROLE %I LOGIN', :'daemon_role')
 WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = :'daemon_role') \gexec
SELECT format('CREATE ROLE %I LOGIN', :'enqueue_role')
 WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = :'enqueue_role') \gexec
SELECT format('CREATE ROLE %I LOGIN', :'reporting_role')
 WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = :'reporting_role') \gexec

GRANT reimburse_service TO :"daemon_role";
GRANT reimburse_enqueue TO :"enqueue_role";
GRANT reimburse_reporting TO :"reporting_role";

SELECT r.rolname AS login, r.rolcanlogin AS can_login,
       string_agg(g.rolname, ', ' ORDER BY g.rolname) AS member_of
  FROM pg_catalog.pg_roles r
  LEFT JOIN pg_catalog.pg_auth_members m ON m.member = r.oid
  LEFT JOIN pg_catalog.pg_roles g ON g.oid = m.roleid
 WHERE r.rolname IN (:'daemon_role', :'enqueue_role', :'reporting_role')
 GROUP BY r.rolname, r.rolcanlogin
 ORDER BY r.rolname;
SQL
    )
    if [[ -n $database_url ]]; then
        printf '+ psql -X --single-transaction -v ON_ERROR_STOP=1 -f - -v daemon_role=%q -v enqueue_role=%q -v reporting_role=%q --dbname <from --database-url> <<SQL\n' \
            "$daemon_role" "$enqueue_role" "$reporting_role"
    else
        printf '+'; printf ' %q' "${psql_command[@]}"; printf ' <<SQL\n'
    fi
    if ((dry_run)); then
        printf '%s\nSQL\n' "$roles_sql"
    else
        printf '%s\n' "$roles_sql" | "${psql_command[@]}"
    fi
fi

# ---- Next steps ----------------------------------------------------------------------------------
cat <<EOF

Installed$( ((dry_run)) && echo " (dry run: nothing was changed)" ). Next steps:
  1. Settings:  edit $config_dir/reimburse.env (database, workers, logging).
  2. Password:  install -m 0600 /dev/null $config_dir/pgpass
                echo 'HOST:PORT:DATABASE:$daemon_role:PASSWORD' >$config_dir/pgpass
                (a libpq password file; systemd passes it to the service as a credential).
EOF
if ((create_roles)); then
    cat <<EOF
                Set the logins' passwords in psql:  \\password $daemon_role
                Give the enqueue and reporting logins their companies:
                  INSERT INTO company_access (role_name, company_id) VALUES ('$reporting_role', 'USMF');
EOF
fi
if ((migrate)); then
    schema_step="migrated just now"
elif ((start_migrate_dropin)); then
    schema_step="run 'deploy/install.sh --skip-build --migrate --database-url ...' as the schema owner"
else
    schema_step="migrated by the service at every start (ExecStartPre=), or now: $bin_dir/reimburse migrate"
fi
if ((start_migrate_dropin)); then
    schema_step+=$'\n                (the service does not migrate at start: '"$unit_dir/reimburse.service.d/10-no-migrate-at-start.conf)"
fi
cat <<EOF
  3. Schema:    $schema_step
EOF
cat <<EOF
  4. Start:     systemctl daemon-reload
                systemctl enable --now reimburse
  5. Watch:     systemctl status reimburse
                journalctl -u reimburse -f
EOF
