-- Migration 0014: the claim's and the submit's audit events name their project themselves, and
-- the trigger of 0008 that works out an event's project is spared for them. Every other writer's
-- event still goes through it: a client's own project_id is still not taken on trust, only the
-- functions' (which run as annotator_definer, and know the project they act in).
-- The two functions are those of 0007, with project_id in their audit inserts and nothing else.

DROP TRIGGER audit_events_project ON audit_events;
CREATE TRIGGER audit_events_project BEFORE INSERT ON audit_events FOR EACH ROW
    WHEN (current_user <> 'annotator_definer' OR NEW.project_id IS NULL) EXECUTE FUNCTION audit_events_project();

CREATE OR REPLACE FUNCTION queue_take(me users, p projects, p_membership int, p_count_down boolean, v_now timestamptz,
                           v_lease timestamptz, p_uid text, v_hp int, v_hc float8, v_hi int)
    RETURNS queue_claimed LANGUAGE plpgsql
AS $$
DECLARE r queue_claimed;
BEGIN
    -- The next item. A claim leaves the item's old row version in the claim index until VACUUM,
    -- so from a good hint the search starts just after it: the rest of its priority, then the
    -- lower ones; only if neither finds anything does it search from the front. "Not worked on
    -- by this user" is a lookup of the candidate's assignments by item_id (user_id + 0 keeps
    -- the planner off the user's whole history; OFFSET 0 keeps it a per-candidate lookup).
    WITH picked AS (
        SELECT id FROM (
            SELECT * FROM (SELECT id FROM items
                WHERE project_id = p.id AND open_slots > 0 AND v_hi IS NOT NULL
                  AND priority = v_hp AND (confidence, id) > (v_hc, v_hi)
                  AND NOT EXISTS (SELECT 1 FROM assignments x WHERE x.item_id = items.id AND x.user_id + 0 = me.id OFFSET 0)
                ORDER BY confidence, id LIMIT 1 FOR UPDATE SKIP LOCKED) after_hint
            UNION ALL
            SELECT * FROM (SELECT id FROM items
                WHERE project_id = p.id AND open_slots > 0 AND v_hi IS NOT NULL AND priority < v_hp
                  AND NOT EXISTS (SELECT 1 FROM assignments x WHERE x.item_id = items.id AND x.user_id + 0 = me.id OFFSET 0)
                ORDER BY priority DESC, confidence, id LIMIT 1 FOR UPDATE SKIP LOCKED) lower_priority
            UNION ALL
            SELECT * FROM (SELECT id FROM items
                WHERE project_id = p.id AND open_slots > 0
                  AND NOT EXISTS (SELECT 1 FROM assignments x WHERE x.item_id = items.id AND x.user_id + 0 = me.id OFFSET 0)
                ORDER BY priority DESC, confidence, id LIMIT 1 FOR UPDATE SKIP LOCKED) from_the_front
        ) candidates LIMIT 1
    ), took AS (
        UPDATE items SET open_slots = open_slots - 1 FROM picked WHERE items.id = picked.id
        RETURNING items.id, items.external_id, items.payload, items.prediction, items.confidence
    ), asg AS (
        INSERT INTO assignments (uid, item_id, user_id, project_id, status, claimed_at, lease_until, active_seconds,
                                 is_gold, needs_review, skipped, offline)
        SELECT p_uid, took.id, me.id, p.id, 'claimed', v_now, v_lease, 0, false, false, false, false FROM took
        RETURNING id, item_id
    ), audit AS (
        INSERT INTO audit_events (at, actor_id, actor, action, entity_type, entity_id, details, project_id)
        SELECT v_now, me.id, me.name, 'assignment.claim', 'assignment', asg.id::text,
               jsonb_build_object('item_id', asg.item_id, 'project_id', p.id), p.id
        FROM asg
    ), countdown AS (
        UPDATE memberships SET gold_countdown = gold_countdown - 1
        WHERE id = p_membership AND p_count_down AND EXISTS (SELECT 1 FROM asg)
    )
    SELECT asg.id, p_uid, p.id, p.name, p.kind, p.config, p.instructions, p.media_root, took.external_id,
           took.payload, took.prediction, CASE WHEN took.confidence < 0 THEN NULL ELSE took.confidence END,
           NULL, 0, v_now, v_lease, p.pixel_limit, p.queue_epoch, NULL, NULL, took.id
    INTO r FROM asg JOIN took ON took.id = asg.item_id;
    IF NOT FOUND THEN  -- nothing left: a row with no assignment, so that the leases freed above stay freed
        r.project_id := p.id; r.project_name := p.name;
        RETURN r;
    END IF;
    RETURN r;
END $$;

CREATE OR REPLACE FUNCTION queue_store_answer(me users, a assignments, p projects, p_answer jsonb, v_seconds float8,
                                   v_now timestamptz)
    RETURNS queue_submitted LANGUAGE plpgsql
AS $$
DECLARE
    it items%ROWTYPE;
    v_status text;
    v_needs boolean;
    r queue_submitted;
BEGIN
    r.assignment_id := a.id; r.kind := p.kind; r.config := p.config;
    v_status := CASE WHEN p.review_policy = 'none' THEN 'approved' ELSE 'submitted' END;
    v_needs := p.review_policy = 'all' OR (p.review_policy = 'sample' AND random() < p.review_sample);
    -- One statement: the answer; any answer kept earlier as a conflict of this assignment
    -- superseded (so that accepting it later cannot replace this newer one); the audit event.
    WITH upd AS (
        UPDATE assignments SET answer = p_answer, draft = NULL, active_seconds = v_seconds, submitted_at = v_now,
            lease_until = least(lease_until, v_now), status = v_status, needs_review = v_needs,
            reviewed_at = CASE WHEN v_status = 'approved' THEN v_now END,
            is_gold = (SELECT i.is_gold FROM items i WHERE i.id = a.item_id), gold_score = NULL
        WHERE id = a.id
        RETURNING is_gold
    ), superseded AS (
        UPDATE conflicts SET resolved_at = v_now,
            resolution = 'superseded: a newer answer to the same assignment was accepted'
        WHERE assignment_uid = a.uid AND resolved_at IS NULL
    ), audit AS (
        INSERT INTO audit_events (at, actor_id, actor, action, entity_type, entity_id, details, project_id)
        VALUES (v_now, me.id, me.name, 'assignment.submit', 'assignment', a.id::text,
                jsonb_build_object('item_id', a.item_id, 'active_seconds', v_seconds, 'status', v_status), a.project_id)
    )
    SELECT upd.is_gold INTO it.is_gold FROM upd;
    it.id := a.item_id;
    r.accepted := true; r.status := v_status;
    IF it.is_gold AND p.training_mode THEN
        SELECT answer INTO r.correct_answer FROM gold_answers WHERE item_id = it.id;
    END IF;
    IF it.is_gold THEN
        PERFORM pg_notify('annotator_gold_submitted', a.id::text);
    END IF;
    RETURN r;
END $$;
