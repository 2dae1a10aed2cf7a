-- Migration 0010: media faults (issue 18). Annotators read none of them and write them only
-- through media_report_fault, for an item they hold; leads read and resolve their projects'.
GRANT ALL ON media_faults TO annotator_definer;
GRANT ALL ON SEQUENCE media_faults_id_seq TO annotator_definer;
GRANT SELECT, INSERT, UPDATE ON media_faults TO annotator_leads, annotator_admins;
GRANT USAGE ON SEQUENCE media_faults_id_seq TO annotator_leads, annotator_admins;
ALTER TABLE media_faults ENABLE ROW LEVEL SECURITY;
CREATE POLICY led ON media_faults TO annotator_leads, annotator_admins
    USING (project_id IN (SELECT annotator_led_projects())) WITH CHECK (project_id IN (SELECT annotator_led_projects()));
CREATE POLICY definer ON media_faults TO annotator_definer USING (true) WITH CHECK (true);

-- The desktop that could not have an item's object as imported says so, for its own claim or, a
-- lead's, for an item of a project they lead. A second report of an open fault counts; each is
-- in the trail.
CREATE FUNCTION media_report_fault(p_assignment int, p_kind text, p_detail text, p_now timestamptz DEFAULT NULL)
    RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = @schema@, pg_temp
AS $$
DECLARE
    v_now timestamptz := annotator_clock(p_now);
    me users%ROWTYPE := queue_caller();
    a assignments%ROWTYPE;
    v_sha text;
    v_detail text := left(p_detail, 2000);
BEGIN
    SELECT * INTO a FROM assignments WHERE id = p_assignment;
    IF NOT FOUND OR (a.user_id <> me.id AND a.project_id NOT IN (SELECT annotator_led_projects())) THEN
        RAISE EXCEPTION USING ERRCODE = 'AN004', MESSAGE = format('Assignment %s is not yours.', p_assignment);
    END IF;
    IF p_kind NOT IN ('missing', 'mismatch') THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = format('A media fault is missing or mismatch, not %L.', p_kind);
    END IF;
    SELECT media_sha256 INTO v_sha FROM items WHERE id = a.item_id;
    IF v_sha IS NULL THEN
        RETURN;  -- a file by path, in no store
    END IF;
    INSERT INTO media_faults (project_id, item_id, sha256, kind, detail, reported_by, first_seen, last_seen, reports)
    VALUES (a.project_id, a.item_id, v_sha, p_kind, v_detail, me.id, v_now, v_now, 1)
    ON CONFLICT (item_id, kind) WHERE resolved_at IS NULL
    DO UPDATE SET last_seen = EXCLUDED.last_seen, reports = media_faults.reports + 1, detail = EXCLUDED.detail,
                  reported_by = EXCLUDED.reported_by;
    PERFORM queue_audit(me, 'media.' || p_kind, 'item', a.item_id::text,
                        jsonb_build_object('assignment_id', a.id, 'sha256', v_sha, 'detail', v_detail), v_now);
END $$;
ALTER FUNCTION media_report_fault(int, text, text, timestamptz) OWNER TO annotator_definer;
REVOKE ALL ON FUNCTION media_report_fault(int, text, text, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION media_report_fault(int, text, text, timestamptz)
    TO annotator_annotators, annotator_leads, annotator_admins;
