#!/usr/bin/env bash
# Mutation testing of the security core (SECURITY.md, "Mutation testing"):
# cargo-mutants changes one thing at a time in decision, verified, session,
# paths, totp, backup_codes, keys, store/, passkey/, request/, and the
# trust of a session (guard: step-up and the cookie's proof; remember: the
# remembered browser's vouch) (a `<` becomes `<=`, a function
# returns a default, ...) and runs the tests; a mutant no test notices
# "survives". Every survivor must be killed by a new test or listed in
# mutants-equivalent.txt with a one-line reason; the script exits 1 when a
# survivor is neither. Not part of CI (like scripts/loadbench.sh).
#
#   bash scripts/mutants.sh                      # every core file, unit tests, -j 1
#   bash scripts/mutants.sh -f src/access/decision.rs   # one file (repeatable)
#   bash scripts/mutants.sh --full               # with the whole test suite
#   bash scripts/mutants.sh --list               # the mutants, without running them
#   bash scripts/mutants.sh --help
#
# By default the mutants run against the unit tests only (`cargo test
# --lib`): the integration tests start real gateway processes and take
# minutes per mutant on a 2-core machine, hours for the whole core. `--full`
# uses every test (integration tests included) when there is time for it.
#
# cargo-mutants is installed (`cargo install --locked cargo-mutants`) when
# missing. Mutants are applied in place (`--in-place`, the existing target
# directory is reused, so each mutant is an incremental build): do not edit
# the sources while it runs; an interrupted run restores the file itself
# (cargo-mutants does, on Ctrl-C). Results per file: target/mutants/<file>/.
set -euo pipefail
cd "$(dirname "$0")/.."

CORE=(
  src/access/decision.rs src/access/verified.rs src/access/session.rs src/keys/app_session.rs
  src/request/paths.rs src/factors/totp.rs
  src/factors/backup_codes.rs src/keys/mod.rs src/store/mod.rs src/store/records.rs
  src/store/sled_store.rs src/store/cache.rs src/store/group_commit.rs
  src/store/off_worker.rs src/store/one_flush.rs src/store/layout.rs src/store/sled_store/outbox.rs
  src/store/sled_store/remember.rs src/store/sled_store/seen.rs src/store/records/audit.rs
  src/store/records/browsers.rs src/store/records/outbox.rs src/store/records/seen.rs
  src/factors/passkey/credential.rs src/factors/passkey/ceremony.rs src/domain/passkey.rs
  src/request/mod.rs src/request/classify.rs
  src/access/guard.rs src/access/remember.rs src/domain/remember.rs
)
EQUIVALENT=mutants-equivalent.txt
JOBS=1
FULL=0
LIST=0
FILES=()

usage() { sed -n '2,27p' "$0" | sed 's/^# \{0,1\}//'; }

while [ $# -gt 0 ]; do
  case "$1" in
    -f|--file) FILES+=("$2"); shift 2 ;;
    -j|--jobs) JOBS="$2"; shift 2 ;;
    --full) FULL=1; shift ;;
    --list) LIST=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
  esac
done
[ ${#FILES[@]} -gt 0 ] || FILES=("${CORE[@]}")

if ! cargo mutants --version >/dev/null 2>&1; then
  echo "installing cargo-mutants ..." >&2
  cargo install --locked cargo-mutants
fi

if [ "$LIST" = 1 ]; then
  for f in "${FILES[@]}"; do cargo mutants --list -f "$f"; done
  exit 0
fi

TEST_ARGS=(-- --lib)
[ "$FULL" = 1 ] && TEST_ARGS=()
# In place, more than one job would build two mutants in one tree.
[ "$JOBS" = 1 ] || echo "note: -j $JOBS with --in-place is not supported; using -j 1" >&2

# The survivors mutants-equivalent.txt explains: "FILE: MUTANT | reason",
# MUTANT as cargo-mutants names it, without line and column (they move).
explained() {
  grep -v '^\s*#' "$EQUIVALENT" 2>/dev/null | grep -F ' | ' | sed 's/ | .*//' || true
}

caught=0 missed=0 unviable=0 timeouts=0 equivalent=0
unexplained=()
for f in "${FILES[@]}"; do
  out="target/mutants/$(echo "$f" | tr '/' '_' | sed 's/\.rs$//')"
  mkdir -p "$out"
  echo "== $f" >&2
  # Exit status 2 (some mutants survived) and 3 (some timed out) are
  # judged below; anything else (a broken baseline, a usage error) stops.
  rc=0
  cargo mutants --in-place -f "$f" --output "$out" "${TEST_ARGS[@]}" >&2 || rc=$?
  case $rc in 0|2|3) ;; *) echo "cargo mutants failed ($rc) on $f" >&2; exit "$rc" ;; esac
  d="$out/mutants.out"
  count() { if [ -f "$d/$1" ]; then grep -c . "$d/$1" || true; else echo 0; fi; }
  caught=$((caught + $(count caught.txt)))
  unviable=$((unviable + $(count unviable.txt)))
  timeouts=$((timeouts + $(count timeout.txt)))
  if [ -f "$d/missed.txt" ]; then
    while IFS= read -r m; do
      [ -n "$m" ] || continue
      missed=$((missed + 1))
      # "src/x.rs:12:5: replace ..." -> "src/x.rs: replace ..."
      key=$(echo "$m" | sed -E 's/^([^:]+):[0-9]+:[0-9]+:/\1:/')
      if explained | grep -qxF "$key"; then
        equivalent=$((equivalent + 1))
      else
        unexplained+=("$m")
      fi
    done < "$d/missed.txt"
  fi
done

viable=$((caught + missed + timeouts))
echo
echo "mutants: $viable viable ($unviable unviable); caught $caught, timed out $timeouts" \
  "(counted as caught), missed $missed: $equivalent equivalent (listed in $EQUIVALENT)," \
  "${#unexplained[@]} unexplained"
if [ ${#unexplained[@]} -gt 0 ]; then
  echo "unexplained survivors (kill each with a test, or list it with a reason):"
  printf '  %s\n' "${unexplained[@]}"
  exit 1
fi
