"""ticket.intake_key: one intake files one ticket, even when two replicas take the same 送信

Revision ID: 0004_ticket_intake_key
Revises: 0003_event_recovery
Create Date: 2026-11-27 16:40:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0004_ticket_intake_key'
down_revision: str | None = '0003_event_recovery'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A database made by create_all (then stamped at 0001 by bot.store.migrate) has the column already.
    if 'intake_key' in {c['name'] for c in sa.inspect(op.get_bind()).get_columns('ticket')}:
        return
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.add_column(sa.Column('intake_key', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint('uq_ticket_intake_key', ['intake_key'])


def downgrade() -> None:
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.drop_constraint('uq_ticket_intake_key', type_='unique')
        batch_op.drop_column('intake_key')
