"""Where keys, tenants and the audit trail are kept: SQLite in the data directory by default,
PostgreSQL shared by replicas at scale (docs/store.md).

keys.py         the KeyStore protocol, its named results, key minting and digests
sqlite_keys.py  the SQLite key store (keys.db)
tenants.py      the TenantStore protocol: tier, status and limit overrides a tenant
sqlite_tenants.py  the SQLite tenant store (the `tenants` table in keys.db)
backend.py      the StoreBackend protocol and the registry that picks a backend by URL
migrations.py   PostgreSQL's schema as a versioned list of steps (schema_version)
postgres.py     the PostgreSQL key, tenant, audit and sketch stores (one audit chain,
                serialised in the database)
sketches.py     the watch's sketches and alerts beside the audit (watch.db, or PostgreSQL tables)
migrate.py      `sekimori migrate sqlite-to-postgres`: copy keys, tenants and audit, then verify
"""
