-- Migration 0015: the claim's check of its start hint (did this user take the hint's item?) looks
-- the item up by the (item, user) key, never by the user's (user_id, status) range. Each direct
-- connection plans its statements once, generically; one planned while `assignments` was young
-- found the two indexes alike and took the user's range, and from then on every claim on that
-- connection read the user's whole history, one row more with each item they did. `+ 0` leaves
-- the key as the only index that fits. The function is that of 0007 with this
-- change in its two such checks (the common path's and the slow path's).

CREATE OR REPLACE FUNCTION queue_claim(p_project text, p_uid text, p_held int[] DEFAULT '{}', p_now timestamptz DEFAULT NULL,
                            p_hint_epoch int DEFAULT NULL, p_hint_item int DEFAULT NULL)
    RETURNS queue_claimed LANGUAGE plpgsql SECURITY DEFINER SET search_path = @schema@, pg_temp
AS $$
DECLARE
    v_now timestamptz := CASE WHEN p_now IS NULL THEN now() ELSE annotator_clock(p_now) END;
    me users%ROWTYPE;
    p projects%ROWTYPE;
    m memberships%ROWTYPE;
    a assignments%ROWTYPE;
    v_lease timestamptz;
    v_gold_due boolean;
    v_item int;
    v_hp int; v_hc float8; v_hi int;
    v_expired int[];
    r queue_claimed;
    t record;
    c record;
BEGIN
    -- The common case in three short statements: the caller, the project, and whether they are an
    -- active member with no qualification, no lease run out, nothing of their own to resume
    -- and no gold due; then the take. The ids are parameters, not joined columns: the planner
    -- then reads (user_id, status) as one index range per status, not a user's whole history.
    SELECT * INTO me FROM users WHERE name = session_user::text AND active;
    IF FOUND THEN
        IF p_project ~ '^[0-9]+$' THEN
            SELECT * INTO p FROM projects WHERE id = p_project::int OR name = p_project ORDER BY name = p_project DESC LIMIT 1;
        ELSE
            SELECT * INTO p FROM projects WHERE name = p_project;
        END IF;
    END IF;
    IF me.id IS NOT NULL AND p.id IS NOT NULL THEN
        SELECT m0.id AS mid, m0.state, m0.gold_countdown,
               (SELECT e.lease_until FROM assignments e WHERE e.project_id = p.id AND e.status = 'claimed'
                  AND e.lease_until < v_now ORDER BY e.lease_until LIMIT 1) IS NOT NULL AS expired,
               EXISTS (SELECT 1 FROM assignments o WHERE o.user_id = me.id AND o.status = 'claimed'
                         AND o.project_id + 0 = p.id AND NOT o.skipped AND NOT (o.id = ANY (p_held))
                       UNION ALL
                       SELECT 1 FROM assignments o JOIN items oi ON oi.id = o.item_id
                       WHERE o.user_id = me.id AND o.status = 'expired' AND o.project_id + 0 = p.id AND NOT o.skipped
                         AND (oi.open_slots > 0 OR oi.is_gold) AND NOT (o.id = ANY (p_held))
                       UNION ALL
                       SELECT 1 FROM assignments o JOIN items oi ON oi.id = o.item_id
                       WHERE o.user_id = me.id AND o.status = 'released' AND o.project_id + 0 = p.id AND NOT o.skipped
                         AND (oi.open_slots > 0 OR oi.is_gold) AND NOT (o.id = ANY (p_held))) AS resumable,
               (SELECT ARRAY[hi.priority::float8, hi.confidence, hi.id::float8] FROM items hi
                WHERE hi.id = p_hint_item AND hi.project_id = p.id AND p_hint_epoch = p.queue_epoch AND p.overlap = 1
                  AND EXISTS (SELECT 1 FROM assignments x WHERE x.item_id = hi.id AND x.user_id + 0 = me.id)) AS hint
        INTO c
        FROM (SELECT 1) one LEFT JOIN memberships m0 ON m0.project_id = p.id AND m0.user_id = me.id;
        IF c.mid IS NOT NULL AND c.state = 'active' AND p.qualification_project_id IS NULL
           AND NOT c.expired AND NOT c.resumable AND NOT (p.gold_rate > 0 AND c.gold_countdown <= 0) THEN
            RETURN queue_take(me, p, c.mid, p.gold_rate > 0, v_now, v_now + make_interval(secs => p.lease_seconds),
                              p_uid, c.hint[1]::int, c.hint[2], c.hint[3]::int);
        END IF;
    END IF;

    -- Everything else, step by step, with the caller and the project found above (or the error
    -- that says why not).
    IF me.id IS NULL THEN
        me := queue_caller();
    END IF;
    IF p.id IS NULL THEN
        p := queue_project(p_project);
    END IF;
    SELECT * INTO m FROM memberships WHERE user_id = me.id AND project_id = p.id;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'AN006', MESSAGE = format(
            'You are not a member of %s; ask one of its leads to add you (`annotator member add`).', p.name);
    END IF;
    IF m.state = 'paused' THEN
        RAISE EXCEPTION USING ERRCODE = 'AN002', MESSAGE = format(
            'You are paused on %s: %s. A lead can reinstate you.', p.name, coalesce(nullif(m.reason, ''), 'no reason given'));
    END IF;
    IF p.qualification_project_id IS NOT NULL THEN
        PERFORM queue_check_qualification(me, p);
    END IF;
    v_lease := v_now + make_interval(secs => p.lease_seconds);

    -- Leases that ran out give their slots back (claims that other claimers hold are theirs to free).
    IF (SELECT e.lease_until FROM assignments e WHERE e.project_id = p.id AND e.status = 'claimed'
        AND e.lease_until < v_now ORDER BY e.lease_until LIMIT 1) IS NOT NULL THEN
        WITH due AS (
            SELECT id FROM assignments WHERE project_id = p.id AND status = 'claimed' AND lease_until < v_now
            ORDER BY id FOR UPDATE SKIP LOCKED
        ), gone AS (
            UPDATE assignments SET status = 'expired' FROM due WHERE assignments.id = due.id RETURNING item_id
        )
        SELECT array_agg(item_id) INTO v_expired FROM gone;
        IF v_expired IS NOT NULL THEN
            PERFORM queue_give_back_slots(v_expired);
        END IF;
    END IF;

    -- The caller's own open work. Each status is its own index range of (user_id, status).
    FOR t IN
        SELECT o.id, 0 AS rank, o.claimed_at FROM assignments o
        WHERE o.user_id = me.id AND o.status = 'claimed' AND o.project_id + 0 = p.id AND NOT o.skipped
          AND NOT (o.id = ANY (p_held))
        UNION ALL
        SELECT o.id, 1, o.claimed_at FROM assignments o JOIN items oi ON oi.id = o.item_id
        WHERE o.user_id = me.id AND o.status = 'expired' AND o.project_id + 0 = p.id AND NOT o.skipped
          AND (oi.open_slots > 0 OR oi.is_gold) AND NOT (o.id = ANY (p_held))
        UNION ALL
        SELECT o.id, 1, o.claimed_at FROM assignments o JOIN items oi ON oi.id = o.item_id
        WHERE o.user_id = me.id AND o.status = 'released' AND o.project_id + 0 = p.id AND NOT o.skipped
          AND (oi.open_slots > 0 OR oi.is_gold) AND NOT (o.id = ANY (p_held))
        ORDER BY 2, 3, 1
    LOOP
        SELECT * INTO a FROM assignments WHERE id = t.id FOR UPDATE;  -- waits for another claimer's expiry pass
        IF a.status = 'claimed' THEN
            -- Still live: it comes back with the project's full time limit from now, never less.
            UPDATE assignments SET lease_until = greatest(lease_until, v_lease) WHERE id = a.id RETURNING * INTO a;
            RETURN queue_claimed_row(p, a);
        END IF;
        IF a.status IN ('expired', 'released') AND NOT a.skipped AND queue_retake_slot(a.item_id) THEN
            UPDATE assignments SET status = 'claimed', lease_until = v_lease WHERE id = a.id RETURNING * INTO a;
            PERFORM queue_audit(me, 'assignment.resume', 'assignment', a.id::text,
                                jsonb_build_object('item_id', a.item_id), v_now);
            RETURN queue_claimed_row(p, a);
        END IF;
    END LOOP;

    -- Gold, when the countdown says so: one the caller has not seen, and a fresh jittered gap
    -- (uniform around 1/rate - 1, so no fixed period betrays which claims are gold).
    v_gold_due := p.gold_rate > 0 AND m.gold_countdown <= 0;
    IF v_gold_due THEN
        UPDATE memberships SET gold_countdown =
            greatest(0, round((0.5 + random()) * (1.0 / p.gold_rate - 1.0)))::int WHERE id = m.id;
        SELECT id INTO v_item FROM items
        WHERE project_id = p.id AND is_gold
          AND NOT EXISTS (SELECT 1 FROM assignments x WHERE x.item_id = items.id AND x.user_id = me.id)
        ORDER BY id LIMIT 1;
        IF FOUND THEN
            INSERT INTO assignments (uid, item_id, user_id, project_id, status, claimed_at, lease_until, active_seconds,
                                     is_gold, needs_review, skipped, offline)
            VALUES (p_uid, v_item, me.id, p.id, 'claimed', v_now, v_lease, 0, true, false, false, false)
            RETURNING * INTO a;
            PERFORM queue_audit(me, 'assignment.claim', 'assignment', a.id::text,
                                jsonb_build_object('item_id', v_item, 'project_id', p.id), v_now);
            RETURN queue_claimed_row(p, a);
        END IF;
    END IF;

    -- The hint stands if it is an item the caller took, and nothing opened up behind it since.
    IF p_hint_item IS NOT NULL AND p_hint_epoch = p.queue_epoch AND p.overlap = 1 THEN
        SELECT i.priority, i.confidence, i.id INTO v_hp, v_hc, v_hi FROM items i
        WHERE i.id = p_hint_item AND i.project_id = p.id
          AND EXISTS (SELECT 1 FROM assignments x WHERE x.item_id = i.id AND x.user_id + 0 = me.id);
    END IF;

    r := queue_take(me, p, m.id, p.gold_rate > 0 AND NOT v_gold_due, v_now, v_lease, p_uid, v_hp, v_hc, v_hi);
    RETURN r;
END $$;
