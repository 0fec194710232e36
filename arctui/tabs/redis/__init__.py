"""The Redis tab: memory, keyspace, persistence, big keys, slowlog, MONITOR."""
