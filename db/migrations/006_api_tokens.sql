-- Bearer tokens for the HTTP API. Only a SHA-256 of each token is kept: a leaked table reveals
-- no usable token.
CREATE TABLE IF NOT EXISTS api_tokens (
  id           text PRIMARY KEY CHECK (id ~ '^tok_[0-9a-f]{12}$'),
  principal    text NOT NULL REFERENCES principals (name) ON DELETE CASCADE,
  token_hash   char(64) NOT NULL UNIQUE,
  label        text NOT NULL DEFAULT '',
  created_at   timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz,
  revoked_at   timestamptz,
  last_used_at timestamptz
);
CREATE INDEX IF NOT EXISTS api_tokens_principal_idx ON api_tokens (principal);
