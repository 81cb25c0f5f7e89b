"""initial schema

Revision ID: 0001
Revises: 

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('questionnaire',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('form_id', sa.String(length=100), nullable=False),
    sa.Column('title', sa.String(length=500), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('current_version_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_questionnaire')),
    sa.UniqueConstraint('form_id', name=op.f('uq_questionnaire_form_id'))
    )
    op.create_table('researcher',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=80), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_researcher')),
    sa.UniqueConstraint('username', name=op.f('uq_researcher_username'))
    )
    op.create_table('api_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('researcher_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['researcher_id'], ['researcher.id'], name=op.f('fk_api_token_researcher_id_researcher')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_token')),
    sa.UniqueConstraint('digest', name=op.f('uq_api_token_digest'))
    )
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_token_researcher_id'), ['researcher_id'], unique=False)

    op.create_table('questionnaire_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('questionnaire_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('checksum', sa.String(length=64), nullable=False),
    sa.Column('definition', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('source_name', sa.String(length=255), nullable=False),
    sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['questionnaire_id'], ['questionnaire.id'], name=op.f('fk_questionnaire_version_questionnaire_id_questionnaire')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_questionnaire_version')),
    sa.UniqueConstraint('questionnaire_id', 'number', name=op.f('uq_questionnaire_version_questionnaire_id'))
    )
    with op.batch_alter_table('questionnaire_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_questionnaire_version_questionnaire_id'), ['questionnaire_id'], unique=False)
    # The two tables point at each other, so this key is added once both exist.
    with op.batch_alter_table('questionnaire', schema=None) as batch_op:
        batch_op.create_foreign_key(batch_op.f('fk_questionnaire_current_version_id_questionnaire_version'),
                                    'questionnaire_version', ['current_version_id'], ['id'])

    op.create_table('response',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('questionnaire_id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=100), nullable=True),
    sa.Column('answers', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('submission_key', sa.String(length=100), nullable=False),
    sa.Column('body_digest', sa.String(length=64), nullable=False),
    sa.Column('mode', sa.String(length=20), nullable=False),
    sa.Column('field_worker_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['field_worker_id'], ['researcher.id'], name=op.f('fk_response_field_worker_id_researcher')),
    sa.ForeignKeyConstraint(['questionnaire_id'], ['questionnaire.id'], name=op.f('fk_response_questionnaire_id_questionnaire')),
    sa.ForeignKeyConstraint(['version_id'], ['questionnaire_version.id'], name=op.f('fk_response_version_id_questionnaire_version')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_response'))
    )
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.create_index('ix_response_questionnaire_submitted', ['questionnaire_id', 'submitted_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_response_version_id'), ['version_id'], unique=False)
        batch_op.create_index('uq_response_submission_key', ['questionnaire_id', 'submission_key'], unique=True)



def downgrade():
    with op.batch_alter_table('questionnaire', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_questionnaire_current_version_id_questionnaire_version'),
                                 type_='foreignkey')
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.drop_index('uq_response_submission_key')
        batch_op.drop_index(batch_op.f('ix_response_version_id'))
        batch_op.drop_index('ix_response_questionnaire_submitted')

    op.drop_table('response')
    with op.batch_alter_table('questionnaire_version', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_questionnaire_version_questionnaire_id'))

    op.drop_table('questionnaire_version')
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_token_researcher_id'))

    op.drop_table('api_token')
    op.drop_table('researcher')
    op.drop_table('questionnaire')
