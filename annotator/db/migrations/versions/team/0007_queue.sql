-- Migration 0007, part 2: the work queue on PostgreSQL, as functions that run as their owner
-- (annotator_definer) for the caller named by session_user. An annotator's login changes
-- nothing else. Each rule is here once; SQLite's twin is annotator/core/queue.py.
-- Errors carry SQLSTATEs of our own, which the client turns into its messages' classes:
-- AN002 paused, AN003 not qualified, AN004 not yours, AN005 closed,
-- AN006 not a member, AN007 not an Annotator user (or deactivated), AN008 no such project.

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

CREATE FUNCTION queue_caller() RETURNS users LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = @schema@, pg_temp
AS $$
DECLARE me users%ROWTYPE;
BEGIN
    SELECT * INTO me FROM users WHERE name = session_user;
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

CREATE FUNCTION queue_project(p_ref text) RETURNS projects LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = @schema@, pg_temp
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
CREATE FUNCTION queue_own(p_id int, me users) RETURNS assignments LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = @schema@, pg_temp
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
CREATE FUNCTION queue_give_back_slots(p_items int[]) RETURNS void LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = @schema@, pg_temp
AS $$
DECLARE i int;
BEGIN
    FOREACH i IN ARRAY (SELECT array_agg(x ORDER BY x) FROM unnest(p_items) x) LOOP
        UPDATE items SET open_slots = open_slots + 1 WHERE id = i AND NOT is_gold;
    END LOOP;
    UPDATE projects SET queue_epoch = queue_epoch + 1
    WHERE id IN (SELECT DISTINCT project_id FROM items WHERE id = ANY (p_items));
END $$;

CREATE FUNCTION queue_retake_slot(p_item int) RETURNS boolean LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = @schema@, pg_temp
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
    RETURNS void LANGUAGE sql SECURITY DEFINER SET search_path = @schema@, pg_temp
AS $$
    INSERT INTO audit_events (at, actor_id, actor, action, entity_type, entity_id, details)
    VALUES (p_now, p_me.id, p_me.name, p_action, p_type, p_id, p_details)
$$;

CREATE FUNCTION queue_claimed_row(p projects, a assignments) RETURNS queue_claimed LANGUAGE sql STABLE
    SECURITY DEFINER SET search_path = @schema@, pg_temp
AS $$
    SELECT a.id, a.uid::text, p.id, p.name::text, p.kind::text, p.config::jsonb, p.instructions, p.media_root,
           i.external_id::text, i.payload::jsonb, i.prediction::jsonb, CASE WHEN i.confidence < 0 THEN NULL ELSE i.confidence END,
           a.draft::jsonb, a.active_seconds, a.claimed_at, a.lease_until, p.pixel_limit,
           NULL::int, NULL::int, NULL::float8, NULL::int
    FROM items i WHERE i.id = a.item_id
$$;

-- Has the caller passed the project's qualification project (its gold, scored)?
CREATE FUNCTION queue_check_qualification(me users, p projects) RETURNS void LANGUAGE plpgsql STABLE
    SECURITY DEFINER SET search_path = @schema@, pg_temp
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
    v_now timestamptz := annotator_clock(p_now);
    me users%ROWTYPE := queue_caller();
    p projects%ROWTYPE := queue_project(p_project);
    m memberships%ROWTYPE;
    a assignments%ROWTYPE;
    v_lease timestamptz;
    v_gold_due boolean;
    v_item int;
    v_hp int; v_hc float8; v_hi int;
    v_expired int[];
    r queue_claimed;
    t record;
BEGIN
    SELECT * INTO m FROM memberships WHERE user_id = me.id AND project_id = p.id FOR UPDATE;
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
    IF p_hint_item IS NOT NULL AND p_hint_epoch = p.queue_epoch AND p.overlap = 1
       AND EXISTS (SELECT 1 FROM assignments x WHERE x.item_id = p_hint_item AND x.user_id = me.id) THEN
        SELECT priority, confidence, id INTO v_hp, v_hc, v_hi FROM items WHERE id = p_hint_item AND project_id = p.id;
    END IF;

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
        RETURNING items.id, items.priority, items.confidence
    )
    INSERT INTO assignments (uid, item_id, user_id, project_id, status, claimed_at, lease_until, active_seconds,
                             is_gold, needs_review, skipped, offline)
    SELECT p_uid, took.id, me.id, p.id, 'claimed', v_now, v_lease, 0, false, false, false, false FROM took
    RETURNING * INTO a;
    IF NOT FOUND THEN  -- nothing left: a row with no assignment, so that the leases freed above stay freed
        r.project_id := p.id; r.project_name := p.name;
        RETURN r;
    END IF;
    PERFORM queue_audit(me, 'assignment.claim', 'assignment', a.id::text,
                        jsonb_build_object('item_id', a.item_id, 'project_id', p.id), v_now);
    IF p.gold_rate > 0 AND NOT v_gold_due THEN
        UPDATE memberships SET gold_countdown = gold_countdown - 1 WHERE id = m.id;
    END IF;
    r := queue_claimed_row(p, a);
    r.hint_epoch := p.queue_epoch;
    r.hint_item_id := a.item_id;
    RETURN r;
END $$;

-- An answer that cannot be applied, kept for a lead to resolve: it is never dropped.
CREATE FUNCTION queue_keep_conflict(me users, a assignments, p_answer jsonb, p_seconds float8, p_reason text,
                                    v_now timestamptz)
    RETURNS int LANGUAGE plpgsql SECURITY DEFINER SET search_path = @schema@, pg_temp
AS $$
DECLARE v_conflict int;
BEGIN
    INSERT INTO conflicts (assignment_uid, item_id, user_id, project_id, answer, active_seconds, reason, created_at)
    VALUES (a.uid, a.item_id, a.user_id, a.project_id, p_answer, p_seconds, p_reason, v_now)
    RETURNING id INTO v_conflict;
    UPDATE assignments SET draft = p_answer WHERE id = a.id;  -- the user's own copy stays with them too
    PERFORM queue_audit(me, 'assignment.conflict', 'assignment', a.id::text,
                        jsonb_build_object('conflict_id', v_conflict, 'reason', p_reason), v_now);
    RETURN v_conflict;
END $$;

-- Stores an answer to an open assignment under the project's review policy (queue_submit and the
-- offline check-in; the caller has checked everything else).
CREATE FUNCTION queue_store_answer(me users, a assignments, p projects, p_answer jsonb, v_seconds float8,
                                   v_now timestamptz)
    RETURNS queue_submitted LANGUAGE plpgsql SECURITY DEFINER SET search_path = @schema@, pg_temp
AS $$
DECLARE
    it items%ROWTYPE;
    v_status text;
    v_needs boolean;
    r queue_submitted;
BEGIN
    r.assignment_id := a.id; r.kind := p.kind; r.config := p.config;
    SELECT * INTO it FROM items WHERE id = a.item_id;
    v_status := CASE WHEN p.review_policy = 'none' THEN 'approved' ELSE 'submitted' END;
    v_needs := p.review_policy = 'all' OR (p.review_policy = 'sample' AND random() < p.review_sample);
    UPDATE assignments SET answer = p_answer, draft = NULL, active_seconds = v_seconds, submitted_at = v_now,
        lease_until = least(lease_until, v_now), status = v_status, needs_review = v_needs,
        reviewed_at = CASE WHEN v_status = 'approved' THEN v_now END,
        is_gold = it.is_gold, gold_score = NULL
    WHERE id = a.id;
    -- A newer answer to the same assignment is in: an answer kept earlier as a conflict is
    -- superseded, so that accepting it later cannot replace this one.
    UPDATE conflicts SET resolved_at = v_now,
        resolution = 'superseded: a newer answer to the same assignment was accepted'
    WHERE assignment_uid = a.uid AND resolved_at IS NULL;
    PERFORM queue_audit(me, 'assignment.submit', 'assignment', a.id::text,
                        jsonb_build_object('item_id', a.item_id, 'active_seconds', v_seconds, 'status', v_status), v_now);
    r.accepted := true; r.status := v_status;
    IF it.is_gold AND p.training_mode THEN
        SELECT answer INTO r.correct_answer FROM gold_answers WHERE item_id = it.id;
    END IF;
    IF it.is_gold THEN
        PERFORM pg_notify('annotator_gold_submitted', a.id::text);
    END IF;
    RETURN r;
END $$;

-- The answer. After a lost lease whose slot someone else now holds it is kept as a conflict for
-- a lead: never thrown away. Gold is marked and left for a lead's scoring (ADR 9): scores need
-- the task kind's code, which runs in clients. p_kind, p_config: what the client checked the
-- answer against; if the project's are different now, nothing is written and they are
-- returned (status NULL) for the client to check again. Without them, the client checks after
-- and rolls the transaction back if the answer is wrong.
CREATE FUNCTION queue_submit(p_id int, p_answer jsonb, p_seconds float8, p_kind text DEFAULT NULL,
                             p_config jsonb DEFAULT NULL, p_now timestamptz DEFAULT NULL)
    RETURNS queue_submitted LANGUAGE plpgsql SECURITY DEFINER SET search_path = @schema@, pg_temp
AS $$
DECLARE
    v_now timestamptz := annotator_clock(p_now);
    me users%ROWTYPE := queue_caller();
    a assignments%ROWTYPE := queue_own(p_id, me);
    p projects%ROWTYPE;
    it items%ROWTYPE;
    v_seconds float8;
    v_conflict int;
    v_status text;
    v_needs boolean;
    r queue_submitted;
BEGIN
    SELECT * INTO p FROM projects WHERE id = a.project_id;
    r.assignment_id := p_id; r.kind := p.kind; r.config := p.config;
    IF p_kind IS NOT NULL AND (p_kind <> p.kind OR p_config IS DISTINCT FROM p.config::jsonb) THEN
        RETURN r;  -- the configuration changed since the client checked the answer: check again
    END IF;
    v_seconds := queue_clamp_seconds(p_seconds, a.claimed_at, v_now);
    IF a.skipped THEN
        RAISE EXCEPTION USING ERRCODE = 'AN005', MESSAGE = 'You skipped this item; its answer is not accepted any more.';
    END IF;
    IF a.status IN ('submitted', 'approved', 'rejected') THEN
        IF a.answer::jsonb = p_answer THEN  -- a retried submit (its reply was lost): done already
            r.accepted := true; r.status := a.status; r.message := 'Already submitted.';
            RETURN r;
        END IF;
        RAISE EXCEPTION USING ERRCODE = 'AN005', MESSAGE = format(
            'This item was already %s; a second, different answer is not accepted.', a.status);
    END IF;
    IF a.status IN ('expired', 'released') AND NOT queue_retake_slot(a.item_id) THEN
        v_conflict := queue_keep_conflict(me, a, p_answer, v_seconds,
            format('lease lost: the assignment was %s and the item''s slots are all taken', a.status), v_now);
        r.accepted := false; r.status := 'conflict'; r.conflict_id := v_conflict;
        r.message := 'Your time on this item ran out and someone else took it. Your answer was kept for a lead to review.';
        RETURN r;
    END IF;
    RETURN queue_store_answer(me, a, p, p_answer, v_seconds, v_now);
END $$;

-- The work in progress: cheap enough for every couple of seconds, and not audited (an autosave
-- is not a decision).
CREATE FUNCTION queue_save_draft(p_id int, p_draft jsonb, p_seconds float8, p_now timestamptz DEFAULT NULL)
    RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = @schema@, pg_temp
AS $$
DECLARE
    v_now timestamptz := annotator_clock(p_now);
    me users%ROWTYPE := queue_caller();
    a assignments%ROWTYPE;
BEGIN
    SELECT * INTO a FROM assignments WHERE id = p_id;
    IF NOT FOUND OR a.user_id <> me.id THEN
        RAISE EXCEPTION USING ERRCODE = 'AN004', MESSAGE = format('Assignment %s is not yours.', p_id);
    END IF;
    IF a.status NOT IN ('claimed', 'expired', 'released') THEN
        RAISE EXCEPTION USING ERRCODE = 'AN005',
            MESSAGE = format('This item was already %s; the draft was not saved.', a.status);
    END IF;
    UPDATE assignments SET draft = p_draft, active_seconds = queue_clamp_seconds(p_seconds, a.claimed_at, v_now)
    WHERE id = p_id;
END $$;

-- Skip (never offered to this user again) or release (it may come back): the slot goes back.
CREATE FUNCTION queue_give_back(p_id int, p_skip boolean, p_now timestamptz DEFAULT NULL)
    RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = @schema@, pg_temp
AS $$
DECLARE
    v_now timestamptz := annotator_clock(p_now);
    me users%ROWTYPE := queue_caller();
    a assignments%ROWTYPE := queue_own(p_id, me);
BEGIN
    IF a.status NOT IN ('claimed', 'expired') THEN
        RAISE EXCEPTION USING ERRCODE = 'AN005', MESSAGE = format('This item was already %s.', a.status);
    END IF;
    IF a.status = 'claimed' THEN
        PERFORM queue_give_back_slots(ARRAY[a.item_id]);
    END IF;
    UPDATE assignments SET status = 'released', skipped = p_skip WHERE id = a.id;
    PERFORM queue_audit(me, CASE WHEN p_skip THEN 'assignment.skip' ELSE 'assignment.release' END, 'assignment',
                        a.id::text, jsonb_build_object('item_id', a.item_id), v_now);
END $$;

-- Every live claim the caller holds in the project but p_keep: the app gives back, on exit, the
-- item it claimed ahead, whether or not that claim's reply had come back yet.
CREATE FUNCTION queue_release_held(p_project int, p_keep int[] DEFAULT '{}', p_now timestamptz DEFAULT NULL)
    RETURNS int LANGUAGE plpgsql SECURITY DEFINER SET search_path = @schema@, pg_temp
AS $$
DECLARE
    me users%ROWTYPE := queue_caller();
    v_id int;
    n int := 0;
BEGIN
    FOR v_id IN SELECT id FROM assignments WHERE user_id = me.id AND project_id = p_project AND status = 'claimed'
                AND NOT (id = ANY (p_keep)) ORDER BY id LOOP
        PERFORM queue_give_back(v_id, false, p_now);
        n := n + 1;
    END LOOP;
    RETURN n;
END $$;

-- More time: a step of the project's lease, to at most four steps from now; never shorter (an
-- offline claim's week stays a week).
CREATE FUNCTION queue_extend(p_id int, p_now timestamptz DEFAULT NULL)
    RETURNS timestamptz LANGUAGE plpgsql SECURITY DEFINER SET search_path = @schema@, pg_temp
AS $$
DECLARE
    v_now timestamptz := annotator_clock(p_now);
    me users%ROWTYPE := queue_caller();
    a assignments%ROWTYPE := queue_own(p_id, me);
    v_step interval;
    v_until timestamptz;
BEGIN
    IF a.status <> 'claimed' THEN
        RAISE EXCEPTION USING ERRCODE = 'AN005',
            MESSAGE = format('This item is %s; its lease cannot be extended.', a.status);
    END IF;
    SELECT make_interval(secs => lease_seconds) INTO v_step FROM projects WHERE id = a.project_id;
    v_until := greatest(a.lease_until, least(greatest(a.lease_until, v_now) + v_step, v_now + 4 * v_step));
    UPDATE assignments SET lease_until = v_until WHERE id = a.id;
    PERFORM queue_audit(me, 'assignment.extend', 'assignment', a.id::text,
                        jsonb_build_object('lease_until', v_until), v_now);
    RETURN v_until;
END $$;

-- The open items of the projects the caller belongs to or leads, for their project list.
CREATE FUNCTION queue_open_items() RETURNS TABLE (project_id int, open_items bigint) LANGUAGE sql STABLE
    SECURITY DEFINER SET search_path = @schema@, pg_temp
AS $$
    SELECT i.project_id, count(*) FROM items i
    WHERE i.open_slots > 0 AND (i.project_id IN (SELECT m.project_id FROM memberships m WHERE m.user_id = annotator_me())
                                OR i.project_id IN (SELECT annotator_led_projects()))
    GROUP BY i.project_id
$$;
