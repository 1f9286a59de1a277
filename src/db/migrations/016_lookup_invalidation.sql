-- API processes keep API keys and checkouts in memory for the merchant API's hot path. Whatever
-- changes or removes one, by any path (the API, an activity, an operator's SQL), tells every
-- process on commit through NOTIFY on `kassa_lookups`: `api_key:<id>`, `checkout:<id>`, `merchant:<id>`.
create function notify_lookup_change() returns trigger language plpgsql as $$
begin
  perform pg_notify('kassa_lookups', tg_argv[0] || ':' || old.id);
  return null;
end
$$;

create trigger api_keys_lookup_change after update or delete on api_keys
  for each row execute function notify_lookup_change('api_key');
create trigger checkouts_lookup_change after update or delete on checkouts
  for each row execute function notify_lookup_change('checkout');
create trigger merchants_lookup_change after update or delete on merchants
  for each row execute function notify_lookup_change('merchant');
