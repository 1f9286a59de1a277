-- Browsers that signed in (device cookies): the SHA-256 of the cookie, the area and the e-mail
-- (lower case) it signed in with, until when. Failed sign-ins from other clients shut an e-mail out
-- for a while; a browser that knew its password before is limited on its own failures instead.
create table web_sign_in_devices (
  token_hash  text primary key,
  role        text not null check (role in ('merchant', 'operator')),
  email       text not null,
  expires_at  timestamptz not null
);
create index web_sign_in_devices_email on web_sign_in_devices (role, email);
create index web_sign_in_devices_expiry on web_sign_in_devices (expires_at);
