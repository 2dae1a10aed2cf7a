-- Migration 0012: pay. Everyone reads the terms of the projects they see and their own
-- earnings and bonuses; leads read their projects' and pay bonuses there; nobody changes an
-- earning. The earnings are written by the trigger below, as its owner.

GRANT ALL ON pay_settings, earnings, bonuses TO annotator_definer;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA @schema@ TO annotator_definer, annotator_leads, annotator_admins;
GRANT SELECT ON pay_settings, earnings, bonuses TO annotator_annotators, annotator_leads, annotator_admins;
GRANT INSERT, UPDATE ON pay_settings TO annotator_leads, annotator_admins;
GRANT INSERT ON bonuses TO annotator_leads, annotator_admins;

ALTER TABLE pay_settings ENABLE ROW LEVEL SECURITY;
CREATE POLICY visible ON pay_settings FOR SELECT USING (project_id IN (SELECT id FROM projects));
CREATE POLICY led ON pay_settings TO annotator_leads, annotator_admins
    USING (project_id IN (SELECT annotator_led_projects()))
    WITH CHECK (project_id IN (SELECT annotator_led_projects()));
CREATE POLICY definer ON pay_settings TO annotator_definer USING (true) WITH CHECK (true);

ALTER TABLE earnings ENABLE ROW LEVEL SECURITY;
CREATE POLICY own ON earnings FOR SELECT USING (user_id = (SELECT annotator_me()));
CREATE POLICY led ON earnings FOR SELECT TO annotator_leads, annotator_admins
    USING (project_id IN (SELECT annotator_led_projects()));
CREATE POLICY definer ON earnings TO annotator_definer USING (true) WITH CHECK (true);

ALTER TABLE bonuses ENABLE ROW LEVEL SECURITY;
CREATE POLICY own ON bonuses FOR SELECT USING (user_id = (SELECT annotator_me()));
CREATE POLICY led ON bonuses FOR SELECT TO annotator_leads, annotator_admins
    USING (project_id IN (SELECT annotator_led_projects()));
-- A bonus goes to a member of a project the payer leads, in their own name.
CREATE POLICY pay ON bonuses FOR INSERT TO annotator_leads, annotator_admins
    WITH CHECK (project_id IN (SELECT annotator_led_projects())
                AND user_id IN (SELECT m.user_id FROM memberships m WHERE m.project_id = bonuses.project_id)
                AND paid_by = (SELECT annotator_me()));
CREATE POLICY definer ON bonuses TO annotator_definer USING (true) WITH CHECK (true);

-- The same arithmetic as SQLite's trigger (migration 0012): the reward, or the active time in
-- whole milliseconds at the hourly rate, rounded half up to a micro-unit.
CREATE FUNCTION assignments_earn() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = @schema@, pg_temp
AS $$
BEGIN
    INSERT INTO earnings (assignment_id, user_id, project_id, currency, amount_micros, active_seconds, earned_at)
    SELECT NEW.id, NEW.user_id, NEW.project_id, s.currency,
           CASE WHEN s.hourly_micros IS NULL THEN s.reward_micros
                ELSE (round(NEW.active_seconds::numeric * 1000)::bigint * s.hourly_micros + 1800000) / 3600000 END,
           NEW.active_seconds, coalesce(NEW.reviewed_at, NEW.submitted_at, now())
    FROM pay_settings s WHERE s.project_id = NEW.project_id
    ON CONFLICT (assignment_id) DO NOTHING;
    RETURN NULL;
END $$;
ALTER FUNCTION assignments_earn() OWNER TO annotator_definer;
CREATE TRIGGER assignments_earn AFTER INSERT OR UPDATE OF status ON assignments FOR EACH ROW
    WHEN (NEW.status = 'approved') EXECUTE FUNCTION assignments_earn();

-- A person's gold accuracy on a project over a period, for the bonus rule: their own, or any
-- member's for a lead of the project. Which items were gold stays hidden from annotators.
CREATE FUNCTION pay_gold_accuracy(p_project int, p_from timestamptz, p_to timestamptz)
    RETURNS TABLE (user_id int, accuracy float8, scored bigint) LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = @schema@, pg_temp
AS $$
    SELECT a.user_id, avg(a.gold_score), count(*)
    FROM assignments a
    WHERE a.project_id = p_project AND a.is_gold AND a.gold_score IS NOT NULL
      AND a.submitted_at >= p_from AND a.submitted_at < p_to
      AND (a.user_id = annotator_me() OR p_project IN (SELECT annotator_led_projects()))
    GROUP BY a.user_id
$$;
ALTER FUNCTION pay_gold_accuracy(int, timestamptz, timestamptz) OWNER TO annotator_definer;
REVOKE ALL ON FUNCTION pay_gold_accuracy(int, timestamptz, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION pay_gold_accuracy(int, timestamptz, timestamptz)
    TO annotator_annotators, annotator_leads, annotator_admins;
