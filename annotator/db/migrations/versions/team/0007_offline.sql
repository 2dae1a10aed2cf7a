-- Migration 0007, part 4: the offline checkout's record and the check-in, as functions (ADR 9).
-- The client claims through queue_claim, writes the bundle, then records it here; the check-in
-- hands each piece of work in here. Python's twin for SQLite is annotator/core/offline/.

-- Records a checkout of the caller's own live claims: their leases become the project's offline
-- lease, and the bundle's manifest digest is kept to verify the check-in against.
CREATE FUNCTION queue_checkout(p_bundle text, p_ids int[], p_source_db text, p_source_url text, p_manifest text,
                               p_file text, p_now timestamptz DEFAULT NULL)
    RETURNS timestamptz LANGUAGE plpgsql SECURITY DEFINER SET search_path = @schema@, pg_temp
AS $$
DECLARE
    v_now timestamptz := annotator_clock(p_now);
    me users%ROWTYPE := queue_caller();
    v_project int;
    v_until timestamptz;
BEGIN
    IF (SELECT count(*) FROM assignments WHERE id = ANY (p_ids) AND user_id = me.id AND status = 'claimed')
       <> cardinality(p_ids) OR (SELECT count(DISTINCT project_id) FROM assignments WHERE id = ANY (p_ids)) <> 1 THEN
        RAISE EXCEPTION USING ERRCODE = 'AN004', MESSAGE = 'A checkout holds live claims of the caller''s, in one project.';
    END IF;
    SELECT a.project_id, v_now + make_interval(secs => p.offline_lease_seconds) INTO v_project, v_until
    FROM assignments a JOIN projects p ON p.id = a.project_id WHERE a.id = p_ids[1];
    UPDATE assignments SET lease_until = v_until, offline = true, bundle_id = p_bundle WHERE id = ANY (p_ids);
    INSERT INTO offline_bundles (id, source_database_id, source_url, project_id, user_id, created_at, lease_until,
                                 item_count, manifest_sha256)
    VALUES (p_bundle, p_source_db, p_source_url, v_project, me.id, v_now, v_until, cardinality(p_ids), p_manifest);
    PERFORM queue_audit(me, 'offline.checkout', 'bundle', p_bundle,
                        jsonb_build_object('user', me.name, 'project_id', v_project, 'items', cardinality(p_ids),
                                           'file', p_file), v_now);
    RETURN v_until;
END $$;

-- The bundle's record, locked, if the caller may check it in: its own user, or a lead of its project.
CREATE FUNCTION queue_bundle(p_bundle text, me users) RETURNS offline_bundles LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = @schema@, pg_temp
AS $$
DECLARE b offline_bundles%ROWTYPE;
BEGIN
    SELECT * INTO b FROM offline_bundles WHERE id = p_bundle FOR UPDATE;
    IF NOT FOUND OR (b.user_id <> me.id AND b.project_id NOT IN (SELECT annotator_led_projects())) THEN
        RAISE EXCEPTION USING ERRCODE = 'AN004', MESSAGE = format('The checkout %s is not yours to check in.', p_bundle);
    END IF;
    RETURN b;
END $$;

-- One finished answer from a bundle. Returns what became of it: deleted (its item is gone),
-- unchanged (in already), conflict (kept for a lead, with the reason) or submitted.
CREATE FUNCTION queue_checkin_answer(p_bundle text, p_uid text, p_answer jsonb, p_seconds float8,
                                     p_submitted_at timestamptz, p_version int, p_now timestamptz DEFAULT NULL,
                                     OUT outcome text, OUT reason text, OUT external_id text)
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = @schema@, pg_temp
AS $$
DECLARE
    v_now timestamptz := annotator_clock(p_now);
    me users%ROWTYPE := queue_caller();
    b offline_bundles%ROWTYPE := queue_bundle(p_bundle, me);
    worker users%ROWTYPE;
    a assignments%ROWTYPE;
    p projects%ROWTYPE;
    it items%ROWTYPE;
    v_when timestamptz;
    v_seconds float8;
BEGIN
    SELECT * INTO a FROM assignments WHERE uid = p_uid AND bundle_id = p_bundle FOR UPDATE;
    IF NOT FOUND THEN
        outcome := 'deleted';
        RETURN;
    END IF;
    SELECT * INTO it FROM items WHERE id = a.item_id;
    external_id := it.external_id;
    IF (a.status IN ('submitted', 'approved', 'rejected') AND a.answer::jsonb = p_answer)
       OR EXISTS (SELECT 1 FROM conflicts c WHERE c.assignment_uid = a.uid AND c.answer::jsonb = p_answer) THEN
        outcome := 'unchanged';
        RETURN;
    END IF;
    SELECT * INTO worker FROM users WHERE id = a.user_id;
    SELECT * INTO p FROM projects WHERE id = a.project_id;
    v_when := least(greatest(coalesce(p_submitted_at, v_now), a.claimed_at), v_now);
    v_seconds := queue_clamp_seconds(p_seconds, a.claimed_at, v_when);
    IF it.version <> p_version THEN
        reason := format('a lead changed the item after the checkout (version %s, now %s)', p_version, it.version);
    ELSIF a.status IN ('submitted', 'approved', 'rejected') THEN
        reason := format('this item was already %s with a different answer', a.status);
    ELSIF a.status = 'expired' AND b.revoked_at IS NOT NULL THEN
        reason := format('a lead expired the lease (revoked the checkout on %s UTC)',
                         to_char(b.revoked_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI'));
    ELSIF a.status IN ('expired', 'released') AND NOT it.is_gold AND it.open_slots <= 0 THEN
        reason := 'someone else holds the slot: the lease ran out and the item''s slots were taken';
    END IF;
    IF reason IS NOT NULL THEN
        PERFORM queue_keep_conflict(worker, a, p_answer, v_seconds, 'offline check-in: ' || reason, v_now);
        outcome := 'conflict';
        RETURN;
    END IF;
    IF a.status IN ('expired', 'released') THEN
        PERFORM queue_retake_slot(a.item_id);
    END IF;
    PERFORM queue_store_answer(worker, a, p, p_answer, v_seconds, v_when);
    outcome := 'submitted';
END $$;

-- Unfinished work from a bundle: its draft is kept; with p_release (or when it was skipped
-- offline) the claim goes back, draft and all. Returns 'saved', 'released', 'saved+released',
-- 'unchanged', 'not started' or 'deleted'.
CREATE FUNCTION queue_checkin_draft(p_bundle text, p_uid text, p_draft jsonb, p_seconds float8, p_release boolean,
                                    p_skipped boolean, p_now timestamptz DEFAULT NULL)
    RETURNS text LANGUAGE plpgsql SECURITY DEFINER SET search_path = @schema@, pg_temp
AS $$
DECLARE
    v_now timestamptz := annotator_clock(p_now);
    me users%ROWTYPE := queue_caller();
    b offline_bundles%ROWTYPE := queue_bundle(p_bundle, me);
    a assignments%ROWTYPE;
    v_done text[] := '{}';
BEGIN
    SELECT * INTO a FROM assignments WHERE uid = p_uid AND bundle_id = p_bundle FOR UPDATE;
    IF NOT FOUND THEN RETURN 'deleted'; END IF;
    IF p_draft IS NOT NULL AND a.status IN ('claimed', 'expired', 'released') AND a.draft::jsonb IS DISTINCT FROM p_draft THEN
        UPDATE assignments SET draft = p_draft, active_seconds = queue_clamp_seconds(p_seconds, a.claimed_at, v_now)
        WHERE id = a.id;
        v_done := v_done || 'saved'::text;
    END IF;
    IF (p_release OR p_skipped) AND a.status = 'claimed' THEN
        UPDATE assignments SET status = 'released', skipped = p_skipped WHERE id = a.id;
        PERFORM queue_give_back_slots(ARRAY[a.item_id]);
        v_done := v_done || 'released'::text;
    END IF;
    IF cardinality(v_done) > 0 THEN RETURN array_to_string(v_done, '+'); END IF;
    RETURN CASE WHEN p_draft IS NULL THEN 'not started' ELSE 'unchanged' END;
END $$;

CREATE FUNCTION queue_checkin_done(p_bundle text, p_summary jsonb, p_changed boolean, p_now timestamptz DEFAULT NULL)
    RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = @schema@, pg_temp
AS $$
DECLARE
    v_now timestamptz := annotator_clock(p_now);
    me users%ROWTYPE := queue_caller();
    b offline_bundles%ROWTYPE := queue_bundle(p_bundle, me);
BEGIN
    IF p_changed OR b.checked_in_at IS NULL THEN
        UPDATE offline_bundles SET checked_in_at = coalesce(checked_in_at, v_now) WHERE id = p_bundle;
        PERFORM queue_audit(me, 'offline.checkin', 'bundle', p_bundle, p_summary, v_now);
    END IF;
END $$;
