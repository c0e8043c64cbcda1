-- A cached token is bound to the credentials that obtained it: a salted scrypt fingerprint of the
-- domain, client id and secret (never the secret). Tokens cached before have none and are not
-- reused: the next execution asks for a new one.
ALTER TABLE tokens ADD COLUMN credentials TEXT NOT NULL DEFAULT '';
