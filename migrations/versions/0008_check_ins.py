"""check-ins: "I'm here" in a running session (the law of two feet)

Revision ID: 0008_check_ins
Revises: 0007_logins
Create Date: 2026-12-02 06:45:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008_check_ins'
down_revision = '0007_logins'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('check_ins',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('topic_id', sa.Integer(), nullable=False),
    sa.Column('slot_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('arrived_at', sa.DateTime(), nullable=False),
    sa.Column('left_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_check_ins_event_id_events'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['slot_id'], ['slots.id'], name=op.f('fk_check_ins_slot_id_slots'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['topic_id'], ['topics.id'], name=op.f('fk_check_ins_topic_id_topics'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_check_ins_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_check_ins'))
    )
    with op.batch_alter_table('check_ins', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_check_ins_event_id'), ['event_id'], unique=False)
        batch_op.create_index('ix_check_ins_topic_open', ['topic_id', 'left_at'], unique=False)
        batch_op.create_index('uq_check_ins_open_user', ['user_id'], unique=True,
                              sqlite_where=sa.text('left_at IS NULL'),
                              postgresql_where=sa.text('left_at IS NULL'))


def downgrade():
    with op.batch_alter_table('check_ins', schema=None) as batch_op:
        batch_op.drop_index('uq_check_ins_open_user')
        batch_op.drop_index('ix_check_ins_topic_open')
        batch_op.drop_index(batch_op.f('ix_check_ins_event_id'))
    op.drop_table('check_ins')
