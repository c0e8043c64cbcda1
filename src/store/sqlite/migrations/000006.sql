-- Every commit is recorded among the checkpoint's moves (reason 'commit'), and every move names
-- the process that made it (its lease holder; none for a replay asked by a person) and the job's
-- lease epoch when it was made: the store itself shows that no two processes ever committed for
-- one job under one epoch.
ALTER TABLE checkpoint_moves ADD COLUMN run_id INTEGER;
ALTER TABLE checkpoint_moves ADD COLUMN holder TEXT;
ALTER TABLE checkpoint_moves ADD COLUMN epoch INTEGER;
-- The latest move of each kind (a holder looks for replays every few seconds, past the commits),
-- and the commits old enough to be pruned with the run history.
CREATE INDEX checkpoint_moves_reason ON checkpoint_moves (job, reason, id);
CREATE INDEX checkpoint_moves_at ON checkpoint_moves (job, reason, at);
