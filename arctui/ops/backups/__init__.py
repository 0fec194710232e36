"""Verified Postgres and Redis backups: take, verify, list, prune, restore, drill.

A backup is never silently bad: the data is written under a hidden temporary name,
fsynced, verified (Postgres: `pg_restore --list` and a full `pg_restore` read, or for
the plain-SQL gzip format a full gzip read with the pg_dump header and trailer; Redis:
`redis-check-rdb` or at least size and header), checksummed, described by a JSON
manifest, and only then renamed to its final name. Modules:

- `common`     running `docker` commands with timeouts, cancellation and progress
- `settings`   where backups live, retention, RPO/RTO, off-site command (from settings)
- `targets`    the stack's Postgres and Redis containers and their credentials
- `store`      manifests, the backup directory, the run log, the lock
- `postgres`   pg_dump / pg_restore inside the Postgres container
- `redis`      BGSAVE + INFO polling, `docker cp`, AOF-aware restore
- `retention`  what prune would delete, and why
- `attempt`    the gated frame of every operation (result, context, the gate, the lock)
- `take` `restore` `drill`  the operations; `run` gathers them for the TUI and the CLI

No Textual here.
"""
