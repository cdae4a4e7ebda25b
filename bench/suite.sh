#!/usr/bin/env bash
# Every benchmark of this page at a reduced size, in a fresh data directory, for one
# checkout. Run it for two checkouts one after the other (the commit before a change and
# the change) to compare them side by side on the same machine:
#
#   git worktree add /tmp/before <commit> && (cd /tmp/before && make install)
#   bench/suite.sh /tmp/before before.txt && bench/suite.sh . after.txt
#
# Each block gives the benchmark's own figures and /usr/bin/time's wall, user and system
# seconds and peak RSS. Compare user CPU seconds when the machine is shared.
set -uo pipefail
checkout=$(cd "$1" && pwd); out=$(realpath -m "$2")
data=$(mktemp -d)
export CARTERA_DATA_DIR=$data
cartera="$checkout/.venv/bin/cartera"
cd "$checkout"
: > "$out"
run() {
    echo "### $*" >> "$out"
    /usr/bin/time -f "wall %e s, user %U s, sys %S s, max RSS %M KB" "$@" 2>&1 \
        | grep -v " INFO " >> "$out"
    echo >> "$out"
}
$cartera migrate -v0 > /dev/null
$cartera collectstatic --noinput -v0 > /dev/null
run $cartera bench generate --customers 5000 --invoices 200000 --org bench --today 2026-11-15
run $cartera bench reports --org bench --as-of 2026-03-31 --json --repeat 3
run $cartera bench reports --org bench --as-of 2026-11-15 --json --repeat 3
run $cartera bench import --rows 30000 --cfdi 3000
run $cartera bench dunning --invoices 200000 --live 20000 --send 2000 --connections 4
run $cartera bench workday --org bench --json --repeat 5
run $cartera bench portal --json
rm -rf "$data"
