-- queue_give_back_slots as in 0007_queue.sql, except that the project's queue epoch moves only
-- where the overlap is 1: the only projects whose claims start from a hint (docs/adr/0007).
-- Bumped for every give-back of every project, the epoch's row was a lock that every skip and
-- release of a project waited on, and its new versions were what every claim's foreign-key check
-- on the project had to lock.
CREATE OR REPLACE FUNCTION queue_give_back_slots(p_items int[]) RETURNS void LANGUAGE plpgsql
AS $$
DECLARE i int;
BEGIN
    FOREACH i IN ARRAY (SELECT array_agg(x ORDER BY x) FROM unnest(p_items) x) LOOP
        UPDATE items SET open_slots = open_slots + 1 WHERE id = i AND NOT is_gold;
    END LOOP;
    UPDATE projects SET queue_epoch = queue_epoch + 1
    WHERE overlap = 1 AND id IN (SELECT DISTINCT project_id FROM items WHERE id = ANY (p_items));
END $$;
