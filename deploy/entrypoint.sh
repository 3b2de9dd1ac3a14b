#!/bin/sh
# Container entrypoint for Scrum Support Bot.
#
#   entrypoint.sh [serve [ARGS...]]   wait for the database, check the settings and the catalogue,
#                                     run `scrum-bot db upgrade` when SCRUM_MIGRATE_ON_START is true,
#                                     then replace itself with `scrum-bot serve ARGS...` (PID 1, so
#                                     SIGTERM and SIGHUP reach the server directly)
#   entrypoint.sh COMMAND [ARGS...]   wait for the database, then run `scrum-bot COMMAND ARGS...`
#                                     (e.g. `db upgrade`, `db backup`, `catalogue check`)
#
# Settings come from SCRUM_* variables (README "Settings"). Every step that fails stops the start
# with a non-zero exit and its own message; nothing here prints a secret.
set -eu

log() {
    printf 'entrypoint: %s\n' "$*" >&2
}

is_true() {
    case "$(printf '%s' "${1:-}" | tr '[:upper:]' '[:lower:]')" in
        1 | true | yes | on) return 0 ;;
        *) return 1 ;;
    esac
}

if [ "$#" -eq 0 ]; then
    set -- serve
fi

log "waiting for the database (up to ${SCRUM_DB_WAIT_TIMEOUT:-60} s)"
if ! scrum-bot db wait; then
    log "the database did not answer; stopping"
    exit 1
fi

if [ "$1" != "serve" ]; then
    exec scrum-bot "$@"
fi
shift

if ! scrum-bot config check; then
    log "invalid settings or catalogue; stopping (see the error above)"
    exit 2
fi

if is_true "${SCRUM_MIGRATE_ON_START:-false}"; then
    log "running database migrations (scrum-bot db upgrade)"
    if ! scrum-bot db upgrade; then
        log "migration failed; stopping"
        exit 3
    fi
fi

log "starting the server"
exec scrum-bot serve "$@"
