-- A person on several merchants' teams under one e-mail and password: the session of the team they
-- signed in to keeps the others' user ids, whose password the same sign-in proved, so the cabinet
-- can switch between them without signing in again.
alter table web_sessions add column other_teams text[] not null default '{}';
