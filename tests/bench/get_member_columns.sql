-- pgbench script, shown next to get_member.sql and not judged: the same pipeline, but the read
-- returns the member's columns instead of the document built by member_doc(). The difference in
-- PostgreSQL's CPU per request is what building the JSON document costs the server; building it
-- in C from these columns instead would move that work into coopd (plus the text of 25 columns
-- to parse and escape). bench.sh prints both.
\set n random(1, :nusers)
\startpipeline
SELECT t.usable FROM token_usable(:tok_user, :tok_jti, :tok_iat::bigint) t(usable);
SELECT m.id, m.cooperative_id, m.first_name, m.last_name, m.date_of_birth, m.street, m.house_number, m.postal_code, m.city, m.country, m.email, m.phone, m.iban, m.municipality_code, m.municipal_reference, m.on_benefit, m.activity_description, m.activity_category, m.status, m.joined_on, m.left_on, m.exit_reason, m.created_at, m.updated_at, m.row_version FROM members m WHERE m.id = ('00000000-0000-4000-9000-' || lpad(to_hex(:n::integer), 12, '0'))::uuid AND (NULL::uuid IS NULL OR m.cooperative_id = NULL::uuid) AND (NULL::uuid IS NULL OR m.id = NULL::uuid);
\endpipeline
