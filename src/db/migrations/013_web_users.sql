-- People who sign in to the web pages: a merchant's team in the cabinet, operators in the console.
-- An operator belongs to no merchant. A password is set by following an invitation; until then it is null.
create table web_users (
  id               text primary key,
  merchant_id      text references merchants (id) on delete cascade,
  role             text not null check (role in ('merchant', 'operator')),
  email            text not null,
  password_hash    text,
  locale           text not null default 'en',
  created_at       timestamptz not null default now(),
  last_sign_in_at  timestamptz,
  check ((role = 'operator') = (merchant_id is null))
);
create unique index web_users_email on web_users (role, coalesce(merchant_id, ''), lower(email));
create index web_users_merchant on web_users (merchant_id);

-- A signed-in browser: only the SHA-256 of its cookie is kept. Idle after 12 hours, over after 7 days.
create table web_sessions (
  token_hash    text primary key,
  user_id       text not null references web_users (id) on delete cascade,
  csrf_token    text not null,
  test_mode     boolean not null default true,
  locale        text not null,
  created_at    timestamptz not null default now(),
  last_seen_at  timestamptz not null default now(),
  expires_at    timestamptz not null
);
create index web_sessions_user on web_sessions (user_id);

-- One-time links: invitations (7 days) and password resets (1 hour), kept as SHA-256 only.
create table web_user_tokens (
  token_hash  text primary key,
  user_id     text not null references web_users (id) on delete cascade,
  purpose     text not null check (purpose in ('invitation', 'reset')),
  created_at  timestamptz not null default now(),
  expires_at  timestamptz not null,
  used_at     timestamptz
);
create index web_user_tokens_user on web_user_tokens (user_id);

-- Failed sign-ins, per e-mail address and per client address, for the sign-in rate limit.
create table web_sign_in_failures (
  subject  text not null,
  at       timestamptz not null default now()
);
create index web_sign_in_failures_subject on web_sign_in_failures (subject, at);
