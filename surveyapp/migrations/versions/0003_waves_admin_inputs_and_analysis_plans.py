"""waves admin inputs and analysis plans

Revision ID: 0003
Revises: 0002

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('admin_input',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('questionnaire_id', sa.Integer(), nullable=False),
    sa.Column('unit', sa.String(length=100), nullable=False),
    sa.Column('period', sa.String(length=50), nullable=False),
    sa.Column('measure', sa.String(length=100), nullable=False),
    sa.Column('value', sa.Double(), nullable=False),
    sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['questionnaire_id'], ['questionnaire.id'], name=op.f('fk_admin_input_questionnaire_id_questionnaire')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_admin_input')),
    sa.UniqueConstraint('questionnaire_id', 'unit', 'period', 'measure', name=op.f('uq_admin_input_questionnaire_id'))
    )
    with op.batch_alter_table('admin_input', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_admin_input_questionnaire_id'), ['questionnaire_id'], unique=False)

    op.create_table('wave',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('questionnaire_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['questionnaire_id'], ['questionnaire.id'], name=op.f('fk_wave_questionnaire_id_questionnaire')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wave')),
    sa.UniqueConstraint('questionnaire_id', 'name', name=op.f('uq_wave_questionnaire_id'))
    )
    with op.batch_alter_table('wave', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_wave_questionnaire_id'), ['questionnaire_id'], unique=False)

    with op.batch_alter_table('questionnaire', schema=None) as batch_op:
        batch_op.add_column(sa.Column('analysis', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True))



def downgrade():
    with op.batch_alter_table('questionnaire', schema=None) as batch_op:
        batch_op.drop_column('analysis')

    with op.batch_alter_table('wave', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_wave_questionnaire_id'))

    op.drop_table('wave')
    with op.batch_alter_table('admin_input', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_admin_input_questionnaire_id'))

    op.drop_table('admin_input')
