-- Where a checkout's shop sells from, as the merchant says when opening it: a website, a mobile app
-- or elsewhere. Checkouts opened before this were all for websites.
alter table checkouts
  add column type text not null default 'website'
    constraint checkouts_type_check check (type in ('website', 'mobile_app', 'other'));
