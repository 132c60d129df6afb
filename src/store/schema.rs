//! Migrations, applied in order at open. `PRAGMA user_version` records how many ran.
//! Append only: a released migration is never edited.

pub const MIGRATIONS: &[&str] = &[
    // 1: feeds, mentions with their triage fields, full-text index, history, notes, tags, drafts.
    r#"
CREATE TABLE feeds (
    id                   INTEGER PRIMARY KEY,
    name                 TEXT NOT NULL UNIQUE,
    kind                 TEXT NOT NULL,
    etag                 TEXT,
    last_modified        TEXT,
    cursor               TEXT,              -- source-specific JSON (e.g. newest item time)
    last_attempt_at      INTEGER,
    last_success_at      INTEGER,
    last_status          INTEGER,           -- HTTP status of the last answer
    last_error           TEXT,              -- in words; NULL when the last poll succeeded
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    next_poll_at         INTEGER,
    retry_after_until    INTEGER,           -- a server's Retry-After, honoured until then
    rate_limit           TEXT               -- JSON: limit, remaining, reset as the service reports
);

CREATE TABLE mentions (
    id                INTEGER PRIMARY KEY,
    feed_id           INTEGER NOT NULL REFERENCES feeds(id),
    kind              TEXT NOT NULL,
    external_id       TEXT NOT NULL,
    url               TEXT,
    author            TEXT,
    author_reach      INTEGER,
    title             TEXT,
    text              TEXT NOT NULL,
    published_at      INTEGER,
    first_seen_at     INTEGER NOT NULL,
    sort_at           INTEGER NOT NULL,     -- publication clamped to first seen: the stream's order
    engagement        TEXT,                 -- JSON: score, likes, reposts, replies, views
    status            TEXT NOT NULL DEFAULT 'new'
                      CHECK (status IN ('new', 'open', 'responded', 'ignored', 'escalated')),
    status_at         INTEGER,
    assignee          TEXT,
    first_response_at INTEGER,
    responded_at      INTEGER,
    responded_by      TEXT,
    response_text     TEXT,
    updated_at        INTEGER NOT NULL,
    UNIQUE (kind, external_id)
);
CREATE INDEX mentions_stream ON mentions (sort_at DESC, id DESC);
CREATE INDEX mentions_feed   ON mentions (feed_id, sort_at DESC, id DESC);
CREATE INDEX mentions_status ON mentions (status, sort_at DESC, id DESC);
CREATE INDEX mentions_seen   ON mentions (first_seen_at);
CREATE INDEX mentions_responded ON mentions (responded_at) WHERE responded_at IS NOT NULL;

CREATE VIRTUAL TABLE mentions_fts USING fts5 (
    title, text, author,
    content = 'mentions', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER mentions_fts_insert AFTER INSERT ON mentions BEGIN
    INSERT INTO mentions_fts (rowid, title, text, author) VALUES (new.id, new.title, new.text, new.author);
END;
CREATE TRIGGER mentions_fts_delete AFTER DELETE ON mentions BEGIN
    INSERT INTO mentions_fts (mentions_fts, rowid, title, text, author)
    VALUES ('delete', old.id, old.title, old.text, old.author);
END;
CREATE TRIGGER mentions_fts_update AFTER UPDATE OF title, text, author ON mentions BEGIN
    INSERT INTO mentions_fts (mentions_fts, rowid, title, text, author)
    VALUES ('delete', old.id, old.title, old.text, old.author);
    INSERT INTO mentions_fts (rowid, title, text, author) VALUES (new.id, new.title, new.text, new.author);
END;

-- Who did what, when: status changes, assignment, notes, tags, replies. Response time is measured from here.
CREATE TABLE actions (
    id          INTEGER PRIMARY KEY,
    mention_id  INTEGER NOT NULL REFERENCES mentions(id),
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    from_value  TEXT,
    to_value    TEXT,
    at          INTEGER NOT NULL
);
CREATE INDEX actions_mention ON actions (mention_id, at);
CREATE INDEX actions_at ON actions (at);

CREATE TABLE notes (
    id          INTEGER PRIMARY KEY,
    mention_id  INTEGER NOT NULL REFERENCES mentions(id),
    author      TEXT NOT NULL,
    body        TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX notes_mention ON notes (mention_id);

CREATE TABLE mention_tags (
    mention_id  INTEGER NOT NULL REFERENCES mentions(id),
    tag         TEXT NOT NULL,
    PRIMARY KEY (mention_id, tag)
) WITHOUT ROWID;
CREATE INDEX mention_tags_tag ON mention_tags (tag);

CREATE TABLE drafts (
    mention_id  INTEGER PRIMARY KEY REFERENCES mentions(id),
    author      TEXT NOT NULL,
    body        TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
"#,
    // 2: per-operator read marks (the stream shows unread in bold), undo batches in the history,
    // indexes for the console's quick filters.
    r#"
CREATE TABLE reads (
    operator    TEXT NOT NULL,
    mention_id  INTEGER NOT NULL REFERENCES mentions(id),
    at          INTEGER NOT NULL,
    PRIMARY KEY (operator, mention_id)
) WITHOUT ROWID;

ALTER TABLE actions ADD COLUMN batch INTEGER;
CREATE INDEX actions_batch ON actions (batch);
CREATE INDEX mentions_assignee ON mentions (assignee, sort_at DESC, id DESC) WHERE assignee IS NOT NULL;
"#,
    // 3: replies: a draft's sending state (a send happens once per confirmation), and what a sent
    // reply returned.
    r#"
ALTER TABLE drafts ADD COLUMN state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'sending'));
ALTER TABLE mentions ADD COLUMN response_id TEXT;
ALTER TABLE mentions ADD COLUMN response_url TEXT;
"#,
    // 4: a covering index for per-day stats: a year of days reads this index only, not the rows.
    r#"
CREATE INDEX mentions_stats ON mentions
    (sort_at, status, first_seen_at, published_at, first_response_at, responded_at, status_at, feed_id, responded_by, assignee);
-- When mentions were closed, for the backlog: answered, or ignored.
CREATE INDEX mentions_closed_responded ON mentions (responded_at, feed_id, responded_by, assignee) WHERE status = 'responded';
CREATE INDEX mentions_closed_ignored ON mentions (status_at, feed_id, responded_by, assignee) WHERE status = 'ignored';
"#,
    // 5: what the last poll's parser repaired or noticed, shown with the feed's health; ids that
    // publishers choose (RSS, Atom, JSON Feed, a JSON API) are unique per feed, not across feeds
    // (two blogs both number their items 1, 2, 3).
    r#"
ALTER TABLE feeds ADD COLUMN last_notes TEXT;
UPDATE mentions SET external_id = 'feed:' || feed_id || ':' || external_id WHERE kind IN ('rss', 'json');
"#,
    // 6: feed health stored by older versions may quote a server raw or hold a misplaced token:
    // cleaned by `after` below (the text rules live in Rust, not SQL).
    "-- feeds.last_error and feeds.last_notes cleaned in Rust",
    // 7: ingest at speed: new mentions enter the full-text index once per write (one statement
    // over the new rows, in the same transaction), not row by row from a trigger (each row its own
    // FTS5 segment, merged again and again); each feed counts its mentions as they are written, so
    // no poll or health check counts a growing history.
    r#"
DROP TRIGGER mentions_fts_insert;
ALTER TABLE feeds ADD COLUMN items INTEGER NOT NULL DEFAULT 0;
UPDATE feeds SET items = (SELECT count(*) FROM mentions m WHERE m.feed_id = feeds.id);
"#,
    // 8: the stream's counts (all, new, open) kept as mentions are written and triaged, so the
    // console's title never counts the history. New mentions are inserted only by
    // `Store::record_polls`, which adds them once per transaction (a trigger per inserted row cost
    // as much as the insert); status changes and deletes, rare, keep triggers.
    r#"
CREATE TABLE stream_counts (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    total INTEGER NOT NULL,
    new   INTEGER NOT NULL,
    open  INTEGER NOT NULL
);
INSERT INTO stream_counts (id, total, new, open)
SELECT 1, count(*), count(*) FILTER (WHERE status = 'new'), count(*) FILTER (WHERE status = 'open') FROM mentions;
CREATE TRIGGER stream_counts_status AFTER UPDATE OF status ON mentions WHEN old.status IS NOT new.status BEGIN
    UPDATE stream_counts SET new = new + (new.status = 'new') - (old.status = 'new'),
                             open = open + (new.status = 'open') - (old.status = 'open')
    WHERE id = 1;
END;
CREATE TRIGGER stream_counts_delete AFTER DELETE ON mentions BEGIN
    UPDATE stream_counts SET total = total - 1, new = new - (old.status = 'new'), open = open - (old.status = 'open')
    WHERE id = 1;
END;
"#,
    // 9: per-day stats kept once computed. A day's figures are read again only when something in
    // it changed: every write that can change a day's figures marks the hours it touched (the
    // mention's place in the stream, when it was answered or closed) with the time of the change:
    // `Store::record_polls` for new mentions, once per transaction; triggers for triage and tags.
    r#"
CREATE TABLE stats_dirty (
    hour INTEGER PRIMARY KEY,   -- unix time / 3600
    at   INTEGER NOT NULL       -- when something in it last changed
) WITHOUT ROWID;
CREATE TABLE stats_cache (
    key         TEXT NOT NULL,  -- the query: zone, grouping, SLA, business hours, filter
    day         TEXT NOT NULL,
    computed_at INTEGER NOT NULL,
    payload     TEXT NOT NULL,  -- JSON: the day's figures and closings
    PRIMARY KEY (key, day)
) WITHOUT ROWID;
CREATE TRIGGER stats_dirty_update
AFTER UPDATE OF status, status_at, first_response_at, responded_at, responded_by, assignee, published_at,
                first_seen_at, sort_at, feed_id ON mentions
BEGIN
    INSERT INTO stats_dirty (hour, at) VALUES
        (old.sort_at / 3600, unixepoch()), (new.sort_at / 3600, unixepoch()),
        (coalesce(old.responded_at, old.sort_at) / 3600, unixepoch()),
        (coalesce(new.responded_at, new.sort_at) / 3600, unixepoch()),
        (coalesce(old.status_at, old.sort_at) / 3600, unixepoch()),
        (coalesce(new.status_at, new.sort_at) / 3600, unixepoch())
    ON CONFLICT (hour) DO UPDATE SET at = excluded.at;
END;
CREATE TRIGGER stats_dirty_tag_insert AFTER INSERT ON mention_tags BEGIN
    INSERT INTO stats_dirty (hour, at) SELECT sort_at / 3600, unixepoch() FROM mentions WHERE id = new.mention_id
    ON CONFLICT (hour) DO UPDATE SET at = excluded.at;
END;
CREATE TRIGGER stats_dirty_tag_delete AFTER DELETE ON mention_tags BEGIN
    INSERT INTO stats_dirty (hour, at) SELECT sort_at / 3600, unixepoch() FROM mentions WHERE id = old.mention_id
    ON CONFLICT (hour) DO UPDATE SET at = excluded.at;
END;
"#,
    // 10: a team on one database. `sessions` is presence: each console and poller process keeps
    // its row fresh (`seen_at`, ms) and says what it reads and which mention it drafts an answer to
    // (a claim lasts as long as its session is fresh). `leases` elects the one poller: a row held
    // by a session until `expires_at` (ms), renewed by its holder, taken over once expired, and
    // checked inside every write of polls (a holder that lost it writes nothing). `drafts` are kept
    // per writer (two teammates answering one mention no longer overwrite each other), with when
    // each was opened and the newest action on the mention its writer had seen then (the send
    // guard), and the states of approvals. `mentions_seen` was never read by a query.
    r#"
DROP INDEX IF EXISTS mentions_seen;
CREATE TABLE sessions (
    id             TEXT PRIMARY KEY,
    operator       TEXT NOT NULL,
    unix_user      TEXT NOT NULL,
    host           TEXT NOT NULL,
    pid            INTEGER NOT NULL,
    kind           TEXT NOT NULL CHECK (kind IN ('console', 'poll', 'command')),
    started_at     INTEGER NOT NULL,   -- ms
    seen_at        INTEGER NOT NULL,   -- ms: the last heartbeat
    viewing        INTEGER,            -- the mention open in the detail
    drafting       INTEGER,            -- the mention this session drafts an answer to: its claim
    drafting_since INTEGER
);
CREATE INDEX sessions_drafting ON sessions (drafting) WHERE drafting IS NOT NULL;
-- Everyone who ever worked on this database (completion when assigning).
CREATE TABLE operators (
    name       TEXT PRIMARY KEY,
    unix_user  TEXT NOT NULL,
    first_seen INTEGER NOT NULL,     -- ms
    last_seen  INTEGER NOT NULL      -- ms
) WITHOUT ROWID;
CREATE TABLE leases (
    name        TEXT PRIMARY KEY,      -- 'poller'
    holder      TEXT NOT NULL,         -- a session id
    operator    TEXT NOT NULL,
    host        TEXT NOT NULL,
    pid         INTEGER NOT NULL,
    kind        TEXT NOT NULL,
    acquired_at INTEGER NOT NULL,      -- ms
    renewed_at  INTEGER NOT NULL,      -- ms
    expires_at  INTEGER NOT NULL       -- ms
) WITHOUT ROWID;
CREATE TABLE drafts_by_writer (
    mention_id  INTEGER NOT NULL REFERENCES mentions(id),
    author      TEXT NOT NULL,
    body        TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    -- open: being written; sending: claimed by one send; awaiting: waits for an approver's
    -- decision (approvals); returned: sent back to its writer with a note.
    state       TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'sending', 'awaiting', 'returned')),
    opened_at   INTEGER,               -- when its writer opened it
    seen_action INTEGER,               -- the newest action on the mention its writer had seen then
    review_note TEXT,                  -- an approver's note when sent back
    reviewed_by TEXT,
    PRIMARY KEY (mention_id, author)
) WITHOUT ROWID;
INSERT INTO drafts_by_writer (mention_id, author, body, created_at, updated_at, state)
    SELECT mention_id, author, body, created_at, updated_at, state FROM drafts;
DROP TABLE drafts;
ALTER TABLE drafts_by_writer RENAME TO drafts;
"#,
    // 11: rules on arrival: whose turn it is in each rule's round-robin assignment; the author's
    // reach indexed for `reach>N` in queries and rule tests.
    r#"
CREATE INDEX mentions_reach ON mentions (author_reach) WHERE author_reach IS NOT NULL;
CREATE TABLE rule_turns (
    rule TEXT PRIMARY KEY,
    turn INTEGER NOT NULL
) WITHOUT ROWID;
"#,
    // 12: alerts raised: one per alert and what raised it (a mention, a spike's hour), never again
    // on a restart or by a second process; who acknowledged it.
    r#"
CREATE TABLE alerts (
    id              INTEGER PRIMARY KEY,
    name            TEXT NOT NULL,
    trigger         TEXT NOT NULL CHECK (trigger IN ('when', 'spike', 'sla')),
    key             TEXT NOT NULL,
    mention_id      INTEGER REFERENCES mentions(id),
    terms           TEXT,               -- JSON: the words that drove a spike
    created_at      INTEGER NOT NULL,   -- ms
    acknowledged_by TEXT,
    acknowledged_at INTEGER,            -- ms
    delivered_at    INTEGER,            -- ms: its command was started (by the one poller)
    UNIQUE (name, key)
);
CREATE INDEX alerts_created ON alerts (created_at);
"#,
    // 13: what the query language knows of a mention beyond its words, worked out once at arrival
    // (`query::facts`): its language, its link's site as a reversed key (a site and its subdomains
    // are one index range), whether it holds a link or asks a question. Filled for the mentions
    // already stored by `after`.
    r#"
ALTER TABLE mentions ADD COLUMN lang TEXT;
ALTER TABLE mentions ADD COLUMN site TEXT;
ALTER TABLE mentions ADD COLUMN has_link INTEGER NOT NULL DEFAULT 0;
ALTER TABLE mentions ADD COLUMN is_question INTEGER NOT NULL DEFAULT 0;
"#,
    // 14: indexes of the facts, made after they are filled: in stream order for windows, each
    // with the feed so `rule test` counts per feed and week from the index alone.
    r#"
CREATE INDEX mentions_lang ON mentions (lang, sort_at DESC, id DESC, feed_id) WHERE lang IS NOT NULL;
CREATE INDEX mentions_site ON mentions (site, feed_id, sort_at) WHERE site IS NOT NULL;
CREATE INDEX mentions_question ON mentions (sort_at DESC, id DESC, feed_id) WHERE is_question;
CREATE INDEX mentions_link ON mentions (sort_at DESC, id DESC, feed_id) WHERE has_link;
"#,
    // 15: how an alert's command ended: NULL while it runs (or has none), '' when it succeeded,
    // else the failure in words (shown by `overhear feeds`, `overhear alerts` and the alert list).
    r#"
ALTER TABLE alerts ADD COLUMN delivery_error TEXT;
ALTER TABLE alerts ADD COLUMN delivery_done_at INTEGER;
"#,
    // 16: triage intelligence worked out at arrival (`score`): the sentiment (VADER's compound
    // score) and the intents (a bit set of `score::Intent`). Negative mentions are indexed in
    // stream order (`sentiment:negative` is the filter a team uses most). Filled for the mentions
    // already stored by `after`.
    r#"
ALTER TABLE mentions ADD COLUMN sentiment REAL;
ALTER TABLE mentions ADD COLUMN intent INTEGER NOT NULL DEFAULT 0;
"#,
    // 17: made after 16 fills them.
    r#"
CREATE INDEX mentions_negative ON mentions (sort_at DESC, id DESC, feed_id) WHERE sentiment <= -0.05;
"#,
    // 18: the priority (`score::priority`): its base, 0–100, and its rank, log2(base) plus the
    // mention's time over the half-life, which orders mentions as their decayed priority does at
    // any moment and never changes as time passes. Filled for stored mentions by `after`.
    r#"
ALTER TABLE mentions ADD COLUMN priority REAL NOT NULL DEFAULT 0;
ALTER TABLE mentions ADD COLUMN priority_rank INTEGER NOT NULL DEFAULT 0;
"#,
    // 19: the stream by priority, as fast as by time.
    r#"
CREATE INDEX mentions_priority ON mentions (priority_rank DESC, id DESC);
"#,
    // 20: the people behind the mentions. `authors` is one handle on one service (a blog's
    // author is scoped to the blog's site, a forum user to the forum, a local Mastodon account to
    // its instance); `people` is who operators know: one or more handles (linked only by an
    // operator), the tags and notes operators give them, and counters kept as mentions arrive so
    // the People pane ranks them without counting the history. `reach_history` keeps a handle's
    // reach once a day when it changes. Filled for stored mentions by `after`.
    r#"
CREATE TABLE people (
    id            INTEGER PRIMARY KEY,
    mentions      INTEGER NOT NULL DEFAULT 0,
    reach         INTEGER,                      -- the largest of its handles' latest reach
    engagement    INTEGER NOT NULL DEFAULT 0,   -- likes, reposts, replies, … at arrival, summed
    sentiment_sum REAL NOT NULL DEFAULT 0,
    sentiment_n   INTEGER NOT NULL DEFAULT 0,
    mood          REAL,                         -- their recent sentiment: a moving average, 0.3 per mention
    first_seen_at INTEGER NOT NULL,
    last_seen_at  INTEGER NOT NULL
);
CREATE TABLE authors (
    id            INTEGER PRIMARY KEY,
    person_id     INTEGER NOT NULL REFERENCES people(id),
    kind          TEXT NOT NULL,
    scope         TEXT NOT NULL DEFAULT '',    -- the site of a blog or forum; '' for a service
    handle        TEXT NOT NULL,
    display_name  TEXT,                        -- the name shown beside the handle, when known
    reach         INTEGER,
    first_seen_at INTEGER NOT NULL,
    last_seen_at  INTEGER NOT NULL,
    UNIQUE (kind, scope, handle)
);
CREATE INDEX authors_person ON authors (person_id);
CREATE TABLE reach_history (
    author_id INTEGER NOT NULL REFERENCES authors(id),
    day       INTEGER NOT NULL,                 -- unix time / 86400
    reach     INTEGER NOT NULL,
    PRIMARY KEY (author_id, day)
) WITHOUT ROWID;
CREATE TABLE person_tags (
    person_id INTEGER NOT NULL REFERENCES people(id),
    tag       TEXT NOT NULL,
    PRIMARY KEY (person_id, tag)
) WITHOUT ROWID;
CREATE INDEX person_tags_tag ON person_tags (tag, person_id);
CREATE TABLE person_notes (
    id         INTEGER PRIMARY KEY,
    person_id  INTEGER NOT NULL REFERENCES people(id),
    author     TEXT NOT NULL,
    body       TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX person_notes_person ON person_notes (person_id, created_at);
ALTER TABLE mentions ADD COLUMN author_id INTEGER REFERENCES authors(id);
"#,
    // 21: made after 20 fills them: a person's mentions in stream order; people ranked.
    r#"
CREATE INDEX mentions_author ON mentions (author_id, sort_at DESC, id DESC) WHERE author_id IS NOT NULL;
CREATE INDEX people_mentions ON people (mentions DESC, id);
CREATE INDEX people_reach ON people (reach DESC, id) WHERE reach IS NOT NULL;
CREATE INDEX people_engagement ON people (engagement DESC, id) WHERE engagement > 0;
CREATE INDEX people_negative ON people (sentiment_sum / sentiment_n, id) WHERE sentiment_n > 0 AND mentions >= 2;
CREATE INDEX people_souring ON people (mood - sentiment_sum / sentiment_n, id) WHERE sentiment_n > 0 AND mentions >= 3;
"#,
    // 22: operators' corrections of the model: the mention's `sentiment` and `intent` become what
    // the operator said (queries, stats and priority use the truth); what the model said is kept
    // here, for `overhear stats --accuracy`.
    r#"
CREATE TABLE judgements (
    mention_id      INTEGER PRIMARY KEY REFERENCES mentions(id),
    model_sentiment REAL,
    model_intent    INTEGER NOT NULL,
    judged_by       TEXT NOT NULL,
    judged_at       INTEGER NOT NULL
);
"#,
    // 23: likely noise (`score::noise`): its signs as a bit set, and a fingerprint of its words to
    // find the same words from several authors. Filled for stored mentions by `after`.
    r#"
ALTER TABLE mentions ADD COLUMN noise INTEGER NOT NULL DEFAULT 0;
ALTER TABLE mentions ADD COLUMN text_hash INTEGER;
"#,
    // 24: made after 23 fills them: the same words found by their fingerprint; noise in stream
    // order (`is:noise`, and `-is:noise` counted from it).
    r#"
CREATE INDEX mentions_text ON mentions (text_hash, sort_at) WHERE text_hash IS NOT NULL;
CREATE INDEX mentions_noise ON mentions (sort_at DESC, id DESC, feed_id) WHERE noise <> 0;
"#,
    // 25: conversations and stories. A mention answering another (`parent_ref`) in a thread
    // (`root_ref`, the source's ids) belongs to its conversation (`conversation_id`: the
    // conversation's first stored mention); one seen elsewhere first points at that story's first
    // mention (`story_id`). `story_keys` finds a story's other places (`score::story`: a canonical
    // link's key, the bands of its title's words). Stored mentions of the last 14 days are grouped
    // by `after`.
    r#"
ALTER TABLE mentions ADD COLUMN parent_ref TEXT;
ALTER TABLE mentions ADD COLUMN root_ref TEXT;
ALTER TABLE mentions ADD COLUMN conversation_id INTEGER;
ALTER TABLE mentions ADD COLUMN story_id INTEGER;
CREATE INDEX mentions_story ON mentions (story_id) WHERE story_id IS NOT NULL;
CREATE INDEX mentions_conversation ON mentions (conversation_id, sort_at) WHERE conversation_id IS NOT NULL;
CREATE INDEX mentions_root ON mentions (kind, root_ref) WHERE root_ref IS NOT NULL;
CREATE INDEX mentions_answer ON mentions (kind, response_id) WHERE response_id IS NOT NULL;
CREATE TABLE story_keys (
    key        INTEGER NOT NULL,
    mention_id INTEGER NOT NULL,
    PRIMARY KEY (key, mention_id)
) WITHOUT ROWID;
"#,
    // 26: the stream's counts count what the stream lists: a story's other places are left out
    // (their status follows the lead's), counted again after 25 grouped the recent ones.
    r#"
DROP TRIGGER stream_counts_status;
DROP TRIGGER stream_counts_delete;
CREATE TRIGGER stream_counts_status AFTER UPDATE OF status ON mentions
WHEN old.status IS NOT new.status AND new.story_id IS NULL BEGIN
    UPDATE stream_counts SET new = new + (new.status = 'new') - (old.status = 'new'),
                             open = open + (new.status = 'open') - (old.status = 'open')
    WHERE id = 1;
END;
CREATE TRIGGER stream_counts_delete AFTER DELETE ON mentions WHEN old.story_id IS NULL BEGIN
    UPDATE stream_counts SET total = total - 1, new = new - (old.status = 'new'), open = open - (old.status = 'open')
    WHERE id = 1;
END;
UPDATE stream_counts SET
    total = (SELECT count(*) FROM mentions WHERE story_id IS NULL),
    new = (SELECT count(*) FROM mentions WHERE story_id IS NULL AND status = 'new'),
    open = (SELECT count(*) FROM mentions WHERE story_id IS NULL AND status = 'open')
WHERE id = 1;
"#,
    // 27: the thread around a mention, as its source last showed it (fetched when the detail
    // opens it): when, why the last fetch failed, and the posts above and below it in order.
    r#"
CREATE TABLE threads (
    mention_id INTEGER PRIMARY KEY REFERENCES mentions (id) ON DELETE CASCADE,
    fetched_at INTEGER NOT NULL,
    error      TEXT
);
CREATE TABLE thread_posts (
    mention_id   INTEGER NOT NULL REFERENCES threads (mention_id) ON DELETE CASCADE,
    position     INTEGER NOT NULL,
    relation     TEXT NOT NULL,
    depth        INTEGER NOT NULL,
    external_id  TEXT,
    author       TEXT,
    title        TEXT,
    text         TEXT NOT NULL,
    url          TEXT,
    published_at INTEGER,
    PRIMARY KEY (mention_id, position)
) WITHOUT ROWID;
"#,
    // 28: our replies' ids as their kind's mentions store ids (`comment:N` on GitHub, `HOST:N` on
    // Discourse, the host the answered post's id starts with), so what answers them is found.
    r#"
UPDATE mentions SET response_id = 'comment:' || response_id
WHERE kind = 'github' AND response_id IS NOT NULL AND response_id NOT LIKE 'comment:%';
UPDATE mentions SET response_id = rtrim(external_id, '0123456789') || response_id
WHERE kind = 'discourse' AND response_id IS NOT NULL AND response_id NOT LIKE '%:%'
  AND external_id LIKE '%:%';
"#,
    // 29: a span's story places and conversation messages by time, so that the figures of a week
    // read that week's, not every story's and conversation's in the history.
    r#"
CREATE INDEX mentions_story_at ON mentions (sort_at) WHERE story_id IS NOT NULL;
CREATE INDEX mentions_conversation_at ON mentions (sort_at) WHERE conversation_id IS NOT NULL;
"#,
    // 30: our own accounts (`[[account]]`) and what each of our posts earned, as last read.
    r#"
CREATE TABLE own_accounts (
    name       TEXT PRIMARY KEY,
    kind       TEXT NOT NULL,
    handle     TEXT NOT NULL,
    followers  INTEGER,
    read_at    INTEGER,
    error      TEXT
);
CREATE TABLE own_posts (
    account       TEXT NOT NULL,
    post_id       TEXT NOT NULL,
    url           TEXT,
    text          TEXT NOT NULL,
    published_at  INTEGER NOT NULL,
    in_reply_to   TEXT,
    replies       INTEGER NOT NULL DEFAULT 0,
    reposts       INTEGER NOT NULL DEFAULT 0,
    likes         INTEGER NOT NULL DEFAULT 0,
    quotes        INTEGER NOT NULL DEFAULT 0,
    -- the account's followers when the counts were last read
    followers     INTEGER,
    first_read_at INTEGER NOT NULL,
    read_at       INTEGER NOT NULL,
    PRIMARY KEY (account, post_id)
) WITHOUT ROWID;
CREATE INDEX own_posts_published ON own_posts (published_at);
"#,
    // 31: the references a poll writes row by row (a mention's feed and author, an author's
    // person, a reach's author) are checked at commit (`DEFERRABLE INITIALLY DEFERRED`), not per
    // statement: an immediate check makes SQLite keep a statement journal of every page each
    // insert touches, which doubled the cost of a mention's insert. The rows still may not refer
    // to nothing: a transaction that leaves one dangling fails at its commit. SQLite cannot alter
    // a constraint; the tables' definitions are rewritten in place (`after`), which leaves their
    // stored rows as they are.
    "-- see schema::deferred_references",
    // 32: a count of the mentions deleted or retitled (overhear does neither; a hand-made change
    // may), so that the titles a poller keeps between its writes (`stories::Shingles`) are
    // forgotten when one of them may no longer be true.
    r#"
ALTER TABLE stream_counts ADD COLUMN rewrites INTEGER NOT NULL DEFAULT 0;
CREATE TRIGGER mentions_rewritten_delete AFTER DELETE ON mentions BEGIN
    UPDATE stream_counts SET rewrites = rewrites + 1 WHERE id = 1;
END;
CREATE TRIGGER mentions_rewritten_title AFTER UPDATE OF title ON mentions WHEN old.title IS NOT new.title BEGIN
    UPDATE stream_counts SET rewrites = rewrites + 1 WHERE id = 1;
END;
"#,
    // 33: the fingerprint of the answer a feed's last stored poll read (its body, the feed's
    // settings, overhear's version), so that the same answer again, from a server that sends no
    // validators, is known unchanged without parsing it.
    "ALTER TABLE feeds ADD COLUMN body_hash TEXT;",
];

/// The references migration 31 defers: the table, and the reference as written in its definition.
const DEFERRED: &[(&str, &str)] = &[
    ("mentions", "REFERENCES feeds(id)"),
    ("mentions", "REFERENCES authors(id)"),
    ("authors", "REFERENCES people(id)"),
    ("reach_history", "REFERENCES authors(id)"),
];

/// The part of a migration SQL cannot do, run in the same transaction right after migration
/// `version` (1-based).
pub fn after(version: usize, tx: &rusqlite::Transaction<'_>) -> rusqlite::Result<()> {
    if version == 13 {
        fill_facts(tx)?;
    }
    if version == 16 {
        fill_scores(tx)?;
    }
    if version == 18 {
        fill_priorities(tx)?;
    }
    if version == 20 {
        super::people::fill(tx)?;
    }
    if version == 23 {
        fill_fingerprints(tx)?;
    }
    if version == 24 {
        super::noise::flag_history(super::db::Db::Sqlite(tx))?;
    }
    if version == 25 {
        super::stories::fill(tx)?;
    }
    if version == 31 {
        deferred_references(tx)?;
    }
    if version == 6 {
        let rows: Vec<(i64, Option<String>, Option<String>)> = tx
            .prepare(
                "SELECT id, last_error, last_notes FROM feeds WHERE last_error IS NOT NULL OR last_notes IS NOT NULL",
            )?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<rusqlite::Result<_>>()?;
        for (id, error, notes) in rows {
            tx.execute(
                "UPDATE feeds SET last_error = ?2, last_notes = ?3 WHERE id = ?1",
                rusqlite::params![
                    id,
                    error.as_deref().map(clean_health),
                    notes.as_deref().map(clean_health)
                ],
            )?;
        }
    }
    Ok(())
}

/// Make the references in [`DEFERRED`] checked at commit (migration 31): SQLite's documented way
/// to change a constraint that leaves the stored rows as they are (rewrite the table's definition
/// in `sqlite_schema`, then bump the schema's version so every connection reads it again).
fn deferred_references(tx: &rusqlite::Transaction<'_>) -> rusqlite::Result<()> {
    const CHECKED_AT_COMMIT: &str = " DEFERRABLE INITIALLY DEFERRED";
    let mut tables: Vec<(&str, String)> = Vec::new();
    for (table, reference) in DEFERRED {
        let at = tables.iter().position(|(t, _)| t == table);
        let sql = match at {
            Some(i) => tables[i].1.clone(),
            None => tx.query_row(
                "SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = ?1",
                [table],
                |r| r.get::<_, String>(0),
            )?,
        };
        // The definition must say the reference once, as the migrations wrote it.
        if sql.matches(reference).count() != 1 {
            return Err(rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_ERROR),
                Some(format!(
                    "table {table}'s definition does not say \"{reference}\" once (was it changed by hand?)"
                )),
            ));
        }
        let sql = sql.replace(reference, &format!("{reference}{CHECKED_AT_COMMIT}"));
        match at {
            Some(i) => tables[i].1 = sql,
            None => tables.push((table, sql)),
        }
    }
    let version: i64 = tx.query_row("PRAGMA schema_version", [], |r| r.get(0))?;
    tx.execute_batch("PRAGMA writable_schema = ON")?;
    let written = (|| {
        for (table, sql) in &tables {
            tx.execute(
                "UPDATE sqlite_schema SET sql = ?2 WHERE type = 'table' AND name = ?1",
                rusqlite::params![table, sql],
            )?;
        }
        tx.execute_batch(&format!("PRAGMA schema_version = {}", version + 1))
    })();
    tx.execute_batch("PRAGMA writable_schema = OFF")?;
    written
}

/// Visit every stored mention a batch at a time, in id order: `select` reads `id` first and has
/// `WHERE id > ?1 ORDER BY id LIMIT ?2`; `visit` gets each row as `row` reads it.
fn each_mention<T>(
    tx: &rusqlite::Transaction<'_>,
    select: &str,
    row: impl Fn(&rusqlite::Row<'_>) -> rusqlite::Result<(i64, T)>,
    mut visit: impl FnMut(i64, &T) -> rusqlite::Result<()>,
) -> rusqlite::Result<()> {
    const BATCH: i64 = 2_000;
    let mut read = tx.prepare(select)?;
    let mut after = i64::MIN;
    loop {
        let rows: Vec<(i64, T)> = read
            .query_map(rusqlite::params![after, BATCH], &row)?
            .collect::<rusqlite::Result<_>>()?;
        let Some(last) = rows.last() else { break };
        after = last.0;
        for (id, r) in &rows {
            visit(*id, r)?;
        }
    }
    Ok(())
}

/// Work out the facts of every stored mention (migration 13), a batch of rows at a time.
fn fill_facts(tx: &rusqlite::Transaction<'_>) -> rusqlite::Result<()> {
    let total: i64 = tx.query_row("SELECT count(*) FROM mentions", [], |r| r.get(0))?;
    if total > 50_000 {
        tracing::info!(
            mentions = total,
            "upgrading the database: working out each mention's language and site"
        );
    }
    let mut write =
        tx.prepare("UPDATE mentions SET lang = ?2, site = ?3, has_link = ?4, is_question = ?5 WHERE id = ?1")?;
    each_mention(
        tx,
        "SELECT id, url, title, text FROM mentions WHERE id > ?1 ORDER BY id LIMIT ?2",
        |r| {
            Ok((
                r.get(0)?,
                (
                    r.get::<_, Option<String>>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, String>(3)?,
                ),
            ))
        },
        |id, (url, title, text)| {
            use crate::query::facts;
            let site = url.as_deref().and_then(facts::host).map(|h| facts::site_key(&h));
            let lang = crate::text::lang::of_mention(None, title.as_deref(), text);
            let (link, asks) = (facts::has_link(text), facts::is_question(title.as_deref(), text));
            write.execute(rusqlite::params![id, lang, site, link, asks]).map(drop)
        },
    )
}

/// Score every stored mention (migration 16), a batch of rows at a time.
fn fill_scores(tx: &rusqlite::Transaction<'_>) -> rusqlite::Result<()> {
    let mut write = tx.prepare("UPDATE mentions SET sentiment = ?2, intent = ?3 WHERE id = ?1")?;
    each_mention(
        tx,
        "SELECT id, title, text, is_question FROM mentions WHERE id > ?1 ORDER BY id LIMIT ?2",
        |r| {
            Ok((
                r.get(0)?,
                (
                    r.get::<_, Option<String>>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, bool>(3)?,
                ),
            ))
        },
        |id, (title, text, asks)| {
            let (sentiment, intents) = crate::score::DEFAULT.judge(title.as_deref(), text, *asks);
            write.execute(rusqlite::params![id, sentiment, intents.0]).map(drop)
        },
    )
}

/// Work out every stored mention's priority (migration 18) from what is stored of it.
fn fill_priorities(tx: &rusqlite::Transaction<'_>) -> rusqlite::Result<()> {
    let mut write = tx.prepare("UPDATE mentions SET priority = ?2, priority_rank = ?3 WHERE id = ?1")?;
    let weights = &crate::score::DEFAULT.weights;
    each_mention(
        tx,
        "SELECT id, author_reach, engagement, coalesce(sentiment, 0), intent, sort_at FROM mentions
         WHERE id > ?1 ORDER BY id LIMIT ?2",
        |r| {
            let fields: (Option<i64>, Option<String>, f64, i64, i64) =
                (r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?);
            Ok((r.get(0)?, fields))
        },
        |id, (reach, engagement, sentiment, intent, sort_at)| {
            let engagement = crate::model::Engagement::from_json(engagement.as_deref());
            let p = weights.priority(crate::score::priority::Inputs {
                person: Default::default(),
                reach: *reach,
                engagement: &engagement,
                sentiment: *sentiment,
                intents: crate::score::Intents(*intent),
            });
            write
                .execute(rusqlite::params![
                    id,
                    p.base,
                    crate::score::priority::rank(p.base, *sort_at)
                ])
                .map(drop)
        },
    )
}

/// Fingerprint every stored mention's words, and flag those that say nothing but a link
/// (migration 23).
fn fill_fingerprints(tx: &rusqlite::Transaction<'_>) -> rusqlite::Result<()> {
    let mut write = tx.prepare("UPDATE mentions SET text_hash = ?2, noise = noise | ?3 WHERE id = ?1")?;
    each_mention(
        tx,
        "SELECT id, title, text FROM mentions WHERE id > ?1 ORDER BY id LIMIT ?2",
        |r| Ok((r.get(0)?, (r.get::<_, Option<String>>(1)?, r.get::<_, String>(2)?))),
        |id, (title, text)| {
            let (hash, link_only) = crate::score::noise::fingerprint(title.as_deref(), text);
            let bit = if link_only {
                crate::score::noise::Noise::LinkOnly.bit()
            } else {
                0
            };
            if hash.is_none() && bit == 0 {
                return Ok(());
            }
            write.execute(rusqlite::params![id, hash, bit]).map(drop)
        },
    )
}

/// A feed's health as it may be stored: one line, no escape, no secret.
pub fn clean_health(text: &str) -> String {
    crate::text::clean_message(text)
}

/// Kinds and statuses are stored as their lowercase names.
macro_rules! stored_as_name {
    ($t:ty) => {
        impl rusqlite::types::ToSql for $t {
            fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
                Ok(self.as_str().into())
            }
        }

        impl rusqlite::types::FromSql for $t {
            fn column_result(v: rusqlite::types::ValueRef<'_>) -> rusqlite::types::FromSqlResult<Self> {
                v.as_str()?
                    .parse()
                    .map_err(|e: String| rusqlite::types::FromSqlError::Other(e.into()))
            }
        }
    };
}

stored_as_name!(crate::model::FeedKind);
stored_as_name!(crate::model::Status);
