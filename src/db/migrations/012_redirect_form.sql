-- A provider that takes the buyer by a form POST (WebMoney, Interkassa): the form's fields, so the
-- payment page can send the buyer there again. What the buyer's browser posts anyway; never a secret.
alter table payments add column redirect_form jsonb;
