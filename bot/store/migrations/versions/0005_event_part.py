"""processed_event.part: a resident's events keep their order across several workers

Revision ID: 0005_event_part
Revises: 0004_ticket_intake_key
Create Date: 2026-11-27 19:50:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0005_event_part'
down_revision: str | None = '0004_ticket_intake_key'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A database made by create_all (then stamped at 0001 by bot.store.migrate) has the column already.
    if 'part' in {c['name'] for c in sa.inspect(op.get_bind()).get_columns('processed_event')}:
        return
    with op.batch_alter_table('processed_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('part', sa.Integer(), nullable=True))
        batch_op.create_index('ix_processed_event_part', ['platform', 'part', 'received_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('processed_event', schema=None) as batch_op:
        batch_op.drop_index('ix_processed_event_part')
        batch_op.drop_column('part')
