-- LUN masking: the TLS identities (PSK usernames, certificate subjects) allowed to open an assignment,
-- as a JSON array of strings. NULL (every row written before this version) means unmasked.
ALTER TABLE assignments ADD COLUMN allowed_identities TEXT;
