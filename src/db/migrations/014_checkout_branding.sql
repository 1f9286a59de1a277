-- How the buyer's pages look and speak for a checkout: the shop's logo (an https URL), its colour
-- (#rrggbb) and the language the pages take when the buyer's browser names none Kassa speaks.
alter table checkouts
  add column logo_url text,
  add column brand_color text,
  add column locale text not null default 'en';
