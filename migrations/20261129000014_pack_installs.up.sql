-- What the built-in packs installed besides rules (rules carry their origin
-- themselves): a pack's watchlists are installed once, so one an admin
-- emptied or deleted stays as they left it.
CREATE TABLE pack_installs (
    pack         text NOT NULL,
    kind         text NOT NULL CHECK (kind IN ('watchlist')),
    slug         text NOT NULL,
    installed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (pack, kind, slug)
);
