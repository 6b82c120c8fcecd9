-- Ed25519 keys that sign access JWTs; their public halves are published as the JWKS.
-- A key signs until retire_after and verifies until expires_at, so rotation never
-- invalidates tokens already issued.
CREATE TABLE signing_keys (
    kid text PRIMARY KEY,
    private_key bytea NOT NULL,
    public_key bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    retire_after timestamptz NOT NULL,
    expires_at timestamptz NOT NULL
);
