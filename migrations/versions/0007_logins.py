"""logins: one row per browser login (logging out revokes that device's cookies); the event's
creator

Revision ID: 0007_logins
Revises: 0006_mail
Create Date: 2026-12-02 06:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007_logins'
down_revision = '0006_mail'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('logins',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_logins_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_logins')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_logins_key_hash'))
    )
    with op.batch_alter_table('logins', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_logins_user_id'), ['user_id'], unique=False)

    # A plain column (ALTER TABLE ADD COLUMN): a foreign key would make SQLite rebuild the
    # table, and dropping the old one cascades to its topics and memberships.
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('created_by_id', sa.Integer(), nullable=True))
    # An event's creator joined it first, as its organizer: the lowest membership of its
    # organizers.
    op.execute(
        "UPDATE events SET created_by_id = (SELECT m.user_id FROM memberships m "
        "WHERE m.event_id = events.id AND m.role = 'organizer' ORDER BY m.id LIMIT 1)")


def downgrade():
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_column('created_by_id')

    with op.batch_alter_table('logins', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_logins_user_id'))

    op.drop_table('logins')
