-- Migration 0007, part 2: the work queue on PostgreSQL, as functions that run as their owner
-- (annotator_definer) for the caller named by session_user. An annotator's login changes
-- nothing else. Each rule is here once; SQLite's twin is annotator/core/queue.py.
-- Errors carry SQLSTATEs of our own, which the client turns into its messages' classes:
-- AN002 paused, AN003 not qualified, AN004 not yours, AN005 closed,
-- AN006 not a member, AN007 not an Annotator user (or deactivated), AN008 no such project.
-- The helpers (queue_caller … queue_store_answer) are no SECURITY DEFINER of their own: only the
-- definer may call them, from the functions below, whose pinned search_path they run under.

CREATE TYPE queue_claimed AS (
    assignment_id int, assignment_uid text, project_id int, project_name text, kind text, config jsonb,
    instructions text, media_root text, external_id text, payload jsonb, prediction jsonb, confidence float8,
    draft jsonb, active_seconds float8, claimed_at timestamptz, lease_until timestamptz, pixel_limit int,
    -- where this caller's next claim may start (docs/adr/0007): the item's key at the epoch seen
    hint_epoch int, hint_priority int, hint_confidence float8, hint_item_id int
);

CREATE TYPE queue_submitted AS (
    assignment_id int, accepted boolean, status text, conflict_id int, message text, correct_answer jsonb,
    kind text, config jsonb
);

CREATE FUNCTION queue_caller() RETURNS users LANGUAGE plpgsql STABLE
AS $$
DECLARE me users%ROWTYPE;
BEGIN
    SELECT * INTO me FROM users WHERE name = session_user::text;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'AN007', MESSAGE = format(
            'The PostgreSQL role %s is no Annotator user of this database; ask an admin to add you '
            '(`annotator user add`).', session_user);
    END IF;
    IF NOT me.active THEN
        RAISE EXCEPTION USING ERRCODE = 'AN007',
            MESSAGE = format('The account %s is deactivated; ask an admin to reactivate it.', me.name);
    END IF;
    RETURN me;
END $$;

CREATE FUNCTION queue_project(p_ref text) RETURNS projects LANGUAGE plpgsql STABLE
AS $$
DECLARE p projects%ROWTYPE;
BEGIN
    IF p_ref ~ '^[0-9]+$' THEN
        SELECT * INTO p FROM projects WHERE id = p_ref::int OR name = p_ref ORDER BY name = p_ref LIMIT 1;
    ELSE
        SELECT * INTO p FROM projects WHERE name = p_ref;
    END IF;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'AN008', MESSAGE = format(
            'There is no project %L. `annotator project list` shows the projects.', p_ref);
    END IF;
    RETURN p;
END $$;

-- The caller's own assignment, locked; anyone else's is refused the same way as one that does not exist.
CREATE FUNCTION queue_own(p_id int, me users) RETURNS assignments LANGUAGE plpgsql
AS $$
DECLARE a assignments%ROWTYPE;
BEGIN
    SELECT * INTO a FROM assignments WHERE id = p_id FOR UPDATE;
    IF NOT FOUND OR a.user_id <> me.id THEN
        RAISE EXCEPTION USING ERRCODE = 'AN004', MESSAGE = format('Assignment %s is not yours.', p_id);
    END IF;
    RETURN a;
END $$;

-- Active time as reported, never more than the time since the claim, to the millisecond.
CREATE FUNCTION queue_clamp_seconds(p_reported float8, p_claimed timestamptz, p_now timestamptz) RETURNS float8
    LANGUAGE sql IMMUTABLE
AS $$
    SELECT round(least(greatest(coalesce(p_reported, 0), 0),
                       greatest(extract(epoch FROM p_now - p_claimed)::float8, 0))::numeric, 3)::float8
$$;

-- Slots go back in item order, so two transactions never deadlock; the project's epoch moves
-- (a slot may now be ahead of where claims start: docs/adr/0007).
CREATE FUNCTION queue_give_back_slots(p_items int[]) RETURNS void LANGUAGE plpgsql
AS $$
DECLARE i int;
BEGIN
    FOREACH i IN ARRAY (SELECT array_agg(x ORDER BY x) FROM unnest(p_items) x) LOOP
        UPDATE items SET open_slots = open_slots + 1 WHERE id = i AND NOT is_gold;
    END LOOP;
    UPDATE projects SET queue_epoch = queue_epoch + 1
    WHERE id IN (SELECT DISTINCT project_id FROM items WHERE id = ANY (p_items));
END $$;

CREATE FUNCTION queue_retake_slot(p_item int) RETURNS boolean LANGUAGE plpgsql
AS $$
DECLARE it items%ROWTYPE;
BEGIN
    SELECT * INTO it FROM items WHERE id = p_item FOR UPDATE;
    IF it.is_gold THEN RETURN true; END IF;
    IF it.open_slots <= 0 THEN RETURN false; END IF;
    UPDATE items SET open_slots = open_slots - 1 WHERE id = p_item;
    RETURN true;
END $$;

CREATE FUNCTION queue_audit(p_me users, p_action text, p_type text, p_id text, p_details jsonb, p_now timestamptz)
    RETURNS void LANGUAGE sql
AS $$
    INSERT INTO audit_events (at, actor_id, actor, action, entity_type, entity_id, details)
    VALUES (p_now, p_me.id, p_me.name, p_action, p_type, p_id, p_details)
$$;

CREATE FUNCTION queue_claimed_row(p projects, a assignments) RETURNS queue_claimed LANGUAGE sql STABLE
AS $$
    SELECT a.id, a.uid::text, p.id, p.name::text, p.kind::text, p.config::jsonb, p.instructions, p.media_root,
           i.external_id::text, i.payload::jsonb, i.prediction::jsonb, CASE WHEN i.confidence < 0 THEN NULL ELSE i.confidence END,
           a.draft::jsonb, a.active_seconds, a.claimed_at, a.lease_until, p.pixel_limit,
           NULL::int, NULL::int, NULL::float8, NULL::int
    FROM items i WHERE i.id = a.item_id
$$;

-- Has the caller passed the project's qualification project (its gold, scored)?
CREATE FUNCTION queue_check_qualification(me users, p projects) RETURNS void LANGUAGE plpgsql STABLE
AS $$
DECLARE q projects%ROWTYPE; needed float8; required int; scored int; pending int; accuracy float8;
BEGIN
    SELECT * INTO q FROM projects WHERE id = p.qualification_project_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'AN003',
            MESSAGE = format('The qualification project of %s no longer exists.', p.name);
    END IF;
    needed := coalesce(p.qualification_min_accuracy, 0);
    required := greatest(1, least(q.min_scored_items,
                                  coalesce(nullif((SELECT count(*) FROM items WHERE project_id = q.id AND is_gold), 0), 1)));
    SELECT count(gold_score), avg(gold_score), count(*) FILTER (WHERE is_gold AND gold_score IS NULL AND answer IS NOT NULL)
    INTO scored, accuracy, pending
    FROM assignments WHERE user_id = me.id AND project_id = q.id AND (gold_score IS NOT NULL OR is_gold);
    IF scored < required THEN
        RAISE EXCEPTION USING ERRCODE = 'AN003', MESSAGE = format(
            '%s requires passing %s first: answer at least %s of its test items (you have %s%s) with %s%% accuracy.',
            p.name, q.name, required, scored,
            CASE WHEN pending > 0 THEN format(' scored; %s more wait for a lead to score them', pending) ELSE '' END,
            round(needed * 100));
    END IF;
    IF coalesce(accuracy, 0) < needed THEN
        RAISE EXCEPTION USING ERRCODE = 'AN003', MESSAGE = format(
            '%s requires %s%% accuracy on %s; you have %s%%.', p.name, round(needed * 100), q.name,
            round(coalesce(accuracy, 0) * 100));
    END IF;
END $$;

-- The next item in claim order that the caller has not worked on, its assignment and audit
-- event, and the gold countdown's step (p_count_down). From a good hint (p_hp, p_hc, p_hi: the
-- key of the item the caller last took) the search starts just after it. Returns the claimed
-- row, or one with no assignment when nothing is left.
CREATE FUNCTION queue_take(me users, p projects, p_membership int, p_count_down boolean, v_now timestamptz,
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
        INSERT INTO audit_events (at, actor_id, actor, action, entity_type, entity_id, details)
        SELECT v_now, me.id, me.name, 'assignment.claim', 'assignment', asg.id::text,
               jsonb_build_object('item_id', asg.item_id, 'project_id', p.id)
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

-- The claim: the caller's own open work first (a live claim, or an expired or released one whose
-- slot is free), then gold when it is due, then the next item in claim order (priority, then the
-- least certain prediction, then id) that the caller has not worked on. p_held: the
-- assignments the client already holds open, which are not handed back as a resumption.
-- p_hint_*: where the caller's last claim in this project took its item (docs/adr/0007); it is
-- used only if it names an item the caller did take, at the project's current epoch.
CREATE FUNCTION queue_claim(p_project text, p_uid text, p_held int[] DEFAULT '{}', p_now timestamptz DEFAULT NULL,
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
                  AND EXISTS (SELECT 1 FROM assignments x WHERE x.item_id = hi.id AND x.user_id = me.id)) AS hint
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
          AND EXISTS (SELECT 1 FROM assignments x WHERE x.item_id = i.id AND x.user_id = me.id);
    END IF;

    r := queue_take(me, p, m.id, p.gold_rate > 0 AND NOT v_gold_due, v_now, v_lease, p_uid, v_hp, v_hc, v_hi);
    RETURN r;
END $$;
