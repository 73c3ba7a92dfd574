-- Business services as clients of Habilis (issue 13, R70): each is registered by the caisse
-- for one service of the catalogue, with its redirect addresses and a secret kept as a
-- SHA-256 digest (the secret is 256 random bits, shown once).
CREATE TABLE service_clients (
    id            BLOB PRIMARY KEY NOT NULL,
    client_id     TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    service_id    BLOB NOT NULL REFERENCES services(id),
    secret_digest BLOB NOT NULL,
    redirect_uris TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    disabled_at   INTEGER
);
