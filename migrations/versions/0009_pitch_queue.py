"""pitch queue: the opening marketplace's queue of conveners announcing their topics

Revision ID: 0009_pitch_queue
Revises: 0008_check_ins
Create Date: 2026-12-02 16:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009_pitch_queue'
down_revision = '0008_check_ins'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMNs, never a batch copy of `events`: on SQLite that copy drops the old table,
    # and with foreign keys on, the drop deletes every row that cascades from an event (topics,
    # memberships, ...). tests/test_migrations.py upgrades an event with its topics to check.
    op.add_column('events', sa.Column('pitch_queue_open', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    op.add_column('events', sa.Column('pitch_seconds', sa.Integer(), nullable=False,
                                      server_default='60'))
    op.add_column('events', sa.Column('pitch_version', sa.Integer(), nullable=False,
                                      server_default='0'))
    op.create_table('pitches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('topic_id', sa.Integer(), nullable=False),
    sa.Column('queued_by_id', sa.Integer(), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('state', sa.Enum('waiting', 'current', 'done', 'left', name='pitch_state', native_enum=False, length=16), nullable=False),
    sa.Column('queued_at', sa.DateTime(), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=True),
    sa.Column('ended_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_pitches_event_id_events'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['queued_by_id'], ['users.id'], name=op.f('fk_pitches_queued_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['topic_id'], ['topics.id'], name=op.f('fk_pitches_topic_id_topics'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pitches')),
    sa.UniqueConstraint('event_id', 'position', name=op.f('uq_pitches_event_id_position')),
    sa.UniqueConstraint('topic_id', name=op.f('uq_pitches_topic_id'))
    )


def downgrade():
    op.drop_table('pitches')
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_column('pitch_version')
        batch_op.drop_column('pitch_seconds')
        batch_op.drop_column('pitch_queue_open')
