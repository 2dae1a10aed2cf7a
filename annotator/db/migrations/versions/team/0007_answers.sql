-- Migration 0007, part 3: the queue's functions for work in hand (ADR 9): submit, the
-- workbench's submit-and-next, drafts, skip and release, more time. The claim is part 2.

-- An answer that cannot be applied, kept for a lead to resolve: it is never dropped.
CREATE FUNCTION queue_keep_conflict(me users, a assignments, p_answer jsonb, p_seconds float8, p_reason text,
                                    v_now timestamptz)
    RETURNS int LANGUAGE plpgsql
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
        INSERT INTO audit_events (at, actor_id, actor, action, entity_type, entity_id, details)
        VALUES (v_now, me.id, me.name, 'assignment.submit', 'assignment', a.id::text,
                jsonb_build_object('item_id', a.item_id, 'active_seconds', v_seconds, 'status', v_status))
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
    v_now timestamptz := CASE WHEN p_now IS NULL THEN now() ELSE annotator_clock(p_now) END;
    me users%ROWTYPE;
    a assignments%ROWTYPE;
    p projects%ROWTYPE;
    v_seconds float8;
    v_conflict int;
    r queue_submitted;
BEGIN
    SELECT * INTO me FROM users WHERE name = session_user::text AND active;
    IF NOT FOUND THEN
        me := queue_caller();  -- says why not
    END IF;
    SELECT * INTO a FROM assignments WHERE id = p_id FOR UPDATE;
    IF NOT FOUND OR a.user_id <> me.id THEN
        RAISE EXCEPTION USING ERRCODE = 'AN004', MESSAGE = format('Assignment %s is not yours.', p_id);
    END IF;
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

-- The workbench's Submit: the answer, then the next item, in one call. The claim runs only if
-- the answer was taken; a refusal of the claim (paused, not qualified, no member) comes back as
-- its SQLSTATE and message, and the answer stands.
CREATE FUNCTION queue_submit_and_claim(p_id int, p_answer jsonb, p_seconds float8, p_kind text, p_config jsonb,
                                       p_project text, p_uid text, p_held int[], p_now timestamptz,
                                       p_hint_epoch int, p_hint_item int,
                                       OUT submitted queue_submitted, OUT claimed queue_claimed,
                                       OUT refusal_code text, OUT refusal text)
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = @schema@, pg_temp
AS $$
BEGIN
    submitted := queue_submit(p_id, p_answer, p_seconds, p_kind, p_config, p_now);
    IF submitted.status IS NULL OR NOT submitted.accepted THEN
        RETURN;
    END IF;
    BEGIN
        claimed := queue_claim(p_project, p_uid, p_held, p_now, p_hint_epoch, p_hint_item);
    EXCEPTION WHEN SQLSTATE 'AN002' OR SQLSTATE 'AN003' OR SQLSTATE 'AN006' THEN
        refusal_code := SQLSTATE;
        refusal := SQLERRM;
    END;
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
    WHERE i.open_slots > 0 AND (i.project_id IN (SELECT m.project_id FROM memberships m WHERE m.user_id = (SELECT annotator_me()))
                                OR i.project_id IN (SELECT annotator_led_projects()))
    GROUP BY i.project_id
$$;
