"""Pay (issue 20): pay_settings per project, the earnings ledger, bonuses. The database writes
an earning itself, by a trigger, when an assignment is first approved, whichever path approves
it (a lead, auto-approval, a submit under no review, a check-in, an MTurk decisions file).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 19:12:20
"""
import sqlalchemy as sa
from alembic import op

import annotator.db.base
from annotator.db.migrations.team_sql import run, run_part


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('bonuses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('amount_micros', sa.BigInteger(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('period', sa.String(length=10), nullable=False),
    sa.Column('paid_by', sa.Integer(), nullable=True),
    sa.Column('created_at', annotator.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('amount_micros > 0', name=op.f('ck_bonuses_amount_positive')),
    sa.ForeignKeyConstraint(['paid_by'], ['users.id'], name=op.f('fk_bonuses_paid_by_users')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_bonuses_project_id_projects'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_bonuses_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bonuses'))
    )
    with op.batch_alter_table('bonuses', schema=None) as batch_op:
        batch_op.create_index('ix_bonuses_project_period', ['project_id', 'period'], unique=False)
        batch_op.create_index(batch_op.f('ix_bonuses_user_id'), ['user_id'], unique=False)

    op.create_table('pay_settings',
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('reward_micros', sa.BigInteger(), nullable=False),
    sa.Column('hourly_micros', sa.BigInteger(), nullable=True),
    sa.Column('estimate_seconds', sa.Integer(), nullable=True),
    sa.Column('floor_micros', sa.BigInteger(), nullable=True),
    sa.Column('bonus_micros', sa.BigInteger(), nullable=True),
    sa.Column('bonus_min_gold', sa.Float(), nullable=True),
    sa.Column('period', sa.String(length=10), nullable=False),
    sa.CheckConstraint("period IN ('weekly', 'monthly')", name=op.f('ck_pay_settings_period')),
    sa.CheckConstraint('bonus_micros IS NULL OR bonus_micros >= 0', name=op.f('ck_pay_settings_bonus_not_negative')),
    sa.CheckConstraint('floor_micros IS NULL OR floor_micros >= 0', name=op.f('ck_pay_settings_floor_not_negative')),
    sa.CheckConstraint('hourly_micros IS NULL OR hourly_micros >= 0', name=op.f('ck_pay_settings_hourly_not_negative')),
    sa.CheckConstraint('reward_micros >= 0', name=op.f('ck_pay_settings_reward_not_negative')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_pay_settings_project_id_projects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('project_id', name=op.f('pk_pay_settings'))
    )
    op.create_table('earnings',
    sa.Column('assignment_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('amount_micros', sa.BigInteger(), nullable=False),
    sa.Column('active_seconds', sa.Float(), nullable=False),
    sa.Column('earned_at', annotator.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assignment_id'], ['assignments.id'], name=op.f('fk_earnings_assignment_id_assignments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_earnings_project_id_projects'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_earnings_user_id_users')),
    sa.PrimaryKeyConstraint('assignment_id', name=op.f('pk_earnings'))
    )
    with op.batch_alter_table('earnings', schema=None) as batch_op:
        batch_op.create_index('ix_earnings_project_earned', ['project_id', 'earned_at', 'user_id'], unique=False)
        batch_op.create_index('ix_earnings_user_earned', ['user_id', 'earned_at'], unique=False)
        batch_op.create_index('ix_earnings_project_seconds', ['project_id', 'active_seconds'], unique=False)
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.create_index('ix_assignments_gold_scored', ['project_id', 'submitted_at'], unique=False,
                              postgresql_where=sa.text('is_gold AND gold_score IS NOT NULL'),
                              sqlite_where=sa.text('is_gold AND gold_score IS NOT NULL'),
                              postgresql_include=['user_id', 'gold_score'])
    if op.get_bind().dialect.name == "postgresql":
        run_part("0012_pay.sql")
    else:
        for when in ("AFTER INSERT ON assignments FOR EACH ROW WHEN NEW.status = 'approved'",
                     "AFTER UPDATE OF status ON assignments FOR EACH ROW "
                     "WHEN NEW.status = 'approved' AND OLD.status <> 'approved'"):
            name = "assignments_earn_" + ("on_insert" if "INSERT" in when else "on_approval")
            op.execute(f"CREATE TRIGGER {name} {when} BEGIN {SQLITE_EARN} END")


# The pay of one approved assignment: the reward, or its active time at the hourly rate, in
# micro-units rounded half up from whole milliseconds (the same arithmetic as 0012_pay.sql).
SQLITE_EARN = """
    INSERT OR IGNORE INTO earnings (assignment_id, user_id, project_id, currency, amount_micros, active_seconds,
                                    earned_at)
    SELECT NEW.id, NEW.user_id, NEW.project_id, s.currency,
           CASE WHEN s.hourly_micros IS NULL THEN s.reward_micros
                ELSE (CAST(round(NEW.active_seconds * 1000) AS INTEGER) * s.hourly_micros + 1800000) / 3600000 END,
           NEW.active_seconds,
           coalesce(NEW.reviewed_at, NEW.submitted_at, strftime('%Y-%m-%d %H:%M:%S.000000', 'now'))
    FROM pay_settings s WHERE s.project_id = NEW.project_id;
"""


def downgrade() -> None:
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.drop_index('ix_assignments_gold_scored')
    if op.get_bind().dialect.name == "postgresql":
        run("DROP TRIGGER IF EXISTS assignments_earn ON assignments; DROP FUNCTION IF EXISTS assignments_earn(); "
            "DROP FUNCTION IF EXISTS pay_gold_accuracy(int, timestamptz, timestamptz);")
    else:
        op.execute("DROP TRIGGER IF EXISTS assignments_earn_on_insert")
        op.execute("DROP TRIGGER IF EXISTS assignments_earn_on_approval")
    with op.batch_alter_table('earnings', schema=None) as batch_op:
        batch_op.drop_index('ix_earnings_project_seconds')
        batch_op.drop_index('ix_earnings_user_earned')
        batch_op.drop_index('ix_earnings_project_earned')

    op.drop_table('earnings')
    op.drop_table('pay_settings')
    with op.batch_alter_table('bonuses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bonuses_user_id'))
        batch_op.drop_index('ix_bonuses_project_period')

    op.drop_table('bonuses')
