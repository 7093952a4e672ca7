"""Where keys, tenants and the audit trail are kept: SQLite in the data directory by default,
PostgreSQL shared by replicas at scale (docs/store.md).

keys.py         the KeyStore protocol, its named results, key minting and digests
sqlite_keys.py  the SQLite key store (keys.db)
backend.py      the StoreBackend protocol and the registry that picks a backend by URL
migrations.py   PostgreSQL's schema as a versioned list of steps (schema_version)
postgres.py     the PostgreSQL key, audit and sketch stores (one chain, serialised in the database)
sketches.py     the watch's sketches and alerts beside the audit (watch.db, or PostgreSQL tables)
migrate.py      `sekimori migrate sqlite-to-postgres`: copy keys and audit, then verify
"""
