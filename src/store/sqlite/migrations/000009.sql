-- Log Streams: the record of the events delivered recently, per tenant with a stream, so that the
-- sweep (the checkpoint pull) does not send again what the stream pushed, nor the stream what the
-- sweep or an earlier push delivered. One row per event; the first path to deliver it is kept.
-- Log ids sort by time, so that the record is pruned by id. The index serves the summary (events
-- by path since a time, the latest push). Runs count the events the sweep left out for that.
CREATE TABLE delivered_ids (
  job TEXT NOT NULL,
  log_id TEXT NOT NULL,
  path TEXT NOT NULL,
  recorded_at TEXT NOT NULL,
  PRIMARY KEY (job, log_id)
) WITHOUT ROWID;
CREATE INDEX delivered_ids_recorded ON delivered_ids (job, path, recorded_at);
ALTER TABLE runs ADD COLUMN streamed INTEGER NOT NULL DEFAULT 0;
