-- Presets, teams and style images of a team server (see companion/src/presets/README.md).
-- Applied by node-pg-migrate when a store opens (companion/src/presets/postgres/migrate.ts); append
-- new files, never edit an applied one. Times are ISO-8601 text and params JSON text, as in SQLite,
-- so both stores answer byte for byte alike.

-- Up Migration
CREATE TABLE teams (
  id          text PRIMARY KEY,
  name        text NOT NULL,
  token_hash  text UNIQUE,
  created_at  text NOT NULL,
  revoked_at  text
);
-- Team names are unique case-insensitively.
CREATE UNIQUE INDEX teams_name_ci ON teams (lower(name));

CREATE TABLE presets (
  id          text PRIMARY KEY,
  team_id     text NOT NULL REFERENCES teams(id),
  name        text NOT NULL,
  params      text NOT NULL,
  version     integer NOT NULL,
  created_at  text NOT NULL,
  updated_at  text NOT NULL
);
-- Preset names are unique per team, case-insensitively.
CREATE UNIQUE INDEX presets_team_name_ci ON presets (team_id, lower(name));

-- One row per team and image: a team's writes and deletes never touch another team's rows, so
-- their timing reveals nothing about what other teams hold. The bytes live here, readable by every
-- API process and worker.
CREATE TABLE images (
  team_id       text NOT NULL REFERENCES teams(id),
  sha256        text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  content_type  text NOT NULL,
  bytes         integer NOT NULL,
  width         integer NOT NULL,
  height        integer NOT NULL,
  data          bytea NOT NULL,
  created_at    text NOT NULL,
  PRIMARY KEY (team_id, sha256)
);

CREATE TABLE preset_styles (
  preset_id   text NOT NULL REFERENCES presets(id) ON DELETE CASCADE,
  position    integer NOT NULL,
  team_id     text NOT NULL,
  sha256      text NOT NULL,
  weight      double precision NOT NULL,
  PRIMARY KEY (preset_id, position),
  FOREIGN KEY (team_id, sha256) REFERENCES images (team_id, sha256)
);
CREATE INDEX preset_styles_image ON preset_styles (team_id, sha256);

-- Down Migration
DROP TABLE preset_styles;
DROP TABLE images;
DROP TABLE presets;
DROP TABLE teams;
