# The backup and restore steps of an NMMM machine, as POSIX shell functions.
#
# This file is the one place they are written. lib/backup.nix puts it, after the two variables
# below, into the dump step the backup unit runs (`backupPrepareCommand`); the tool (xtask's
# backup module) embeds the same file and sends it with the same two variables ahead of each
# restore step it runs on the host, over ssh or directly for `localhost`. A test holds the two
# renderings equal.
#
# Set before this file:
#   root           where the machine's file system starts: empty on a machine, a temporary
#                  directory in the tests
#   postgres_user  the system user PostgreSQL runs as, whose peer login is its superuser
#
# Programs come from PATH: pg_dump, pg_restore, psql, createdb, runuser, systemctl and
# restic-nmmm, the wrapper NixOS makes for `services.restic.backups.nmmm` (the repository, the
# password file and the environment file of the backup unit).

dumps="$root/var/backup/nmmm"
restores="$root/var/backup/nmmm-restore"
state_root="$root/var/lib"
socket="$root/run/postgresql"

fail() {
  printf '%s\n' "$*" >&2
  exit 1
}

# Names reach SQL and paths only after this check: monolith and database names are lowercase
# letters, digits, `-` and `_`; domains add dots; stamps are digits and `_`.
nmmm_check_word() {
  case "$2" in
    '' | .* | *[!a-z0-9._-]*) fail "nmmm: $1 \`$2\` is not a plain name" ;;
  esac
}

as_postgres() {
  runuser -u "$postgres_user" -- "$@"
}

# psql as the superuser over the socket, the SQL on standard input, with `:'name'` and
# `:"name"` interpolating the -v variables quoted as a literal and as an identifier.
nmmm_psql() {
  as_postgres psql --host="$socket" --username=postgres --dbname=postgres \
    --no-psqlrc --quiet --tuples-only --no-align --set=ON_ERROR_STOP=1 "$@"
}

nmmm_database_exists() {
  test "$(echo "SELECT 1 FROM pg_database WHERE datname = :'db'" | nmmm_psql -v db="$1")" = 1
}

# --- the dump step, before restic ------------------------------------------------------------

# An empty, root-only folder for this run's dumps: a dump of a monolith no longer backed up
# must not ride along in the snapshot.
nmmm_dumps_begin() {
  umask 077
  mkdir -p "$dumps"
  chmod 0700 "$dumps"
  rm -f "$dumps"/*.pgdump "$dumps"/*.partial
}

# nmmm_dump NAME DATABASE: the database, dumped as `postgres` over the socket in pg_dump's
# custom format, into $dumps/NAME.pgdump. pg_dump reads one snapshot of the database, so a
# monolith writing meanwhile never tears the dump. The file is opened by this (root) shell, so
# the folder stays root-only.
nmmm_dump() {
  nmmm_check_word monolith "$1"
  nmmm_check_word database "$2"
  as_postgres pg_dump --format=custom --host="$socket" --username=postgres --dbname="$2" \
    >"$dumps/$1.pgdump.partial" || fail "nmmm: dumping the database $2 of $1 failed"
  mv "$dumps/$1.pgdump.partial" "$dumps/$1.pgdump"
  echo "nmmm: dumped the database $2 of $1"
}

# --- the backup unit and its snapshots, for `cargo xtask backup` and `snapshots` -------------

# Starts the backup unit and prints its journal until it ends; fails when the run fails.
nmmm_backup_now() {
  journalctl --unit restic-backups-nmmm.service --follow --lines=0 --output=cat &
  follower=$!
  sleep 1
  if systemctl start restic-backups-nmmm.service; then status=0; else status=$?; fi
  sleep 1
  kill "$follower" 2>/dev/null || true
  return "$status"
}

# When the backup unit runs next, and how its last run went.
nmmm_backup_status() {
  systemctl list-timers restic-backups-nmmm.timer --all --no-pager
  systemctl show restic-backups-nmmm.service --no-pager \
    --property=Result,ExecMainStartTimestamp,ExecMainExitTimestamp,ExecMainStatus
}

# The repository's snapshots as restic's JSON, those tagged with the monolith NAME when given.
nmmm_snapshots() {
  if [ $# -gt 0 ]; then
    nmmm_check_word monolith "$1"
    restic-nmmm snapshots --json --tag "$1"
  else
    restic-nmmm snapshots --json
  fi
}

# One line of restic's JSON statistics (restore size) per snapshot ID, in order.
nmmm_snapshot_sizes() {
  for id; do
    nmmm_check_word snapshot "$id"
    restic-nmmm stats --json "$id"
    echo
  done
}

# --- the restore steps, one at a time, run by `cargo xtask restore` --------------------------
#
# Each takes NAME DATABASE DOMAIN STAMP: the monolith, its database (`-` when it has none), its
# domain (its state directory is $state_root/DOMAIN) and the restore's time stamp, which names
# the work folder and what is kept aside. The work folder also records what nmmm_keep_aside
# did, so that nmmm_put_back undoes exactly that.

nmmm_restore_args() {
  nmmm_check_word monolith "$1"
  if [ "$2" != - ]; then nmmm_check_word database "$2"; fi
  nmmm_check_word domain "$3"
  nmmm_check_word stamp "$4"
  work="$restores/$1-$4"
}

# nmmm_fetch NAME DATABASE DOMAIN STAMP SNAPSHOT: the snapshot's dump and state directory of
# the monolith into a root-only work folder, and the dump read through by pg_restore --list.
# Nothing live is touched.
nmmm_fetch() {
  nmmm_restore_args "$@"
  nmmm_check_word snapshot "$5"
  umask 077
  mkdir -p "$restores"
  chmod 0700 "$restores"
  rm -rf "$work"
  mkdir "$work"
  if [ "$2" = - ]; then
    restic-nmmm restore "$5" --target "$work/files" --include "$state_root/$3" ||
      fail "nmmm: restic could not restore the state of $1 from snapshot $5"
  else
    restic-nmmm restore "$5" --target "$work/files" --include "$dumps/$1.pgdump" \
      --include "$state_root/$3" ||
      fail "nmmm: restic could not restore the dump and state of $1 from snapshot $5"
    test -f "$work/files$dumps/$1.pgdump" || fail "nmmm: snapshot $5 has no dump of $1"
    as_postgres pg_restore --list <"$work/files$dumps/$1.pgdump" >/dev/null ||
      fail "nmmm: the dump of $1 in snapshot $5 does not read back (pg_restore --list failed)"
    echo "nmmm: the dump of $1 reads back ($(wc -c <"$work/files$dumps/$1.pgdump") bytes)"
  fi
  if [ -d "$work/files$state_root/$3" ]; then
    echo "nmmm: the state directory of $1 is in the snapshot"
  else
    echo "nmmm: snapshot $5 has no state directory of $1: it comes back empty"
  fi
}

nmmm_stop() {
  nmmm_restore_args "$@"
  systemctl stop "$1.service"
}

nmmm_start() {
  nmmm_restore_args "$@"
  systemctl start "$1.service"
}

# The live database renamed to DATABASE_before_restore_STAMP (its sessions ended first) and the
# state directory moved beside itself as DOMAIN.before-restore-STAMP, each when it exists.
nmmm_keep_aside() {
  nmmm_restore_args "$@"
  if [ "$2" != - ]; then
    if nmmm_database_exists "$2"; then
      nmmm_psql -v db="$2" -v aside="$2_before_restore_$4" >/dev/null <<'SQL'
SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :'db' AND pid <> pg_backend_pid();
ALTER DATABASE :"db" RENAME TO :"aside";
SQL
      echo renamed >"$work/database"
      echo "nmmm: database $2 kept aside as $2_before_restore_$4"
    else
      echo absent >"$work/database"
      echo "nmmm: there is no database $2 to keep aside"
    fi
  fi
  if [ -e "$state_root/$3" ]; then
    mv "$state_root/$3" "$state_root/$3.before-restore-$4"
    echo moved >"$work/state"
    echo "nmmm: $state_root/$3 kept aside as $state_root/$3.before-restore-$4"
  else
    echo absent >"$work/state"
  fi
}

# A fresh database owned by the monolith's role with the fetched dump in it, and the fetched
# state directory in place, owned as the one kept aside.
nmmm_restore() {
  nmmm_restore_args "$@"
  if [ "$2" != - ]; then
    as_postgres createdb --host="$socket" --username=postgres --owner="$2" "$2"
    as_postgres pg_restore --host="$socket" --username=postgres --dbname="$2" \
      --exit-on-error --single-transaction <"$work/files$dumps/$1.pgdump" ||
      fail "nmmm: pg_restore of the dump of $1 into database $2 failed"
    echo "nmmm: database $2 restored"
  fi
  if [ -d "$work/files$state_root/$3" ]; then
    mv "$work/files$state_root/$3" "$state_root/$3"
  else
    mkdir "$state_root/$3"
  fi
  if [ -e "$state_root/$3.before-restore-$4" ]; then
    chown -R --reference="$state_root/$3.before-restore-$4" "$state_root/$3"
    chmod --reference="$state_root/$3.before-restore-$4" "$state_root/$3"
  fi
  echo "nmmm: $state_root/$3 restored"
}

# Undoes nmmm_keep_aside and whatever nmmm_restore got done: the restored database and state
# directory go, and what was kept aside comes back under its own name.
nmmm_put_back() {
  nmmm_restore_args "$@"
  if [ "$2" != - ]; then
    case "$(cat "$work/database" 2>/dev/null)" in
      renamed)
        nmmm_psql -v db="$2" -v aside="$2_before_restore_$4" >/dev/null <<'SQL'
SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname IN (:'db', :'aside') AND pid <> pg_backend_pid();
DROP DATABASE IF EXISTS :"db";
ALTER DATABASE :"aside" RENAME TO :"db";
SQL
        echo "nmmm: database $2 is back as it was"
        ;;
      absent)
        echo "DROP DATABASE IF EXISTS :\"db\"" | nmmm_psql -v db="$2"
        echo "nmmm: database $2 is gone again, as it was"
        ;;
    esac
  fi
  case "$(cat "$work/state" 2>/dev/null)" in
    moved)
      rm -rf "$state_root/$3"
      mv "$state_root/$3.before-restore-$4" "$state_root/$3"
      echo "nmmm: $state_root/$3 is back as it was"
      ;;
    absent)
      rm -rf "$state_root/$3"
      echo "nmmm: $state_root/$3 is gone again, as it was"
      ;;
  esac
}

# The work folder goes: it holds a copy of the monolith's data.
nmmm_clean() {
  nmmm_restore_args "$@"
  rm -rf "$work"
}
