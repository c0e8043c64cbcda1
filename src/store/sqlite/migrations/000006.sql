-- Every move of the checkpoint that is not a delivery (a replay, START_FROM, the first look-back)
-- names the process that made it (its lease holder; none for a replay asked by a person) and the
-- job's lease epoch when it was made. Every run keeps the lowest and highest lease epoch the
-- database had when its commits were made: a run's commits all belong to the epoch it started
-- under, so the store itself shows that no two processes ever committed for one job under one
-- epoch (a row per commit would have cost a write and two index entries at each of them).
ALTER TABLE checkpoint_moves ADD COLUMN holder TEXT;
ALTER TABLE checkpoint_moves ADD COLUMN epoch INTEGER;
ALTER TABLE runs ADD COLUMN committed_epoch_low INTEGER;
ALTER TABLE runs ADD COLUMN committed_epoch_high INTEGER;
