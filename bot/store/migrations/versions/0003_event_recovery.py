"""processed_event.payload_enc + claimed_until: an event taken with a 200 is re-run if its handler died

Revision ID: 0003_event_recovery
Revises: 0002_outbox_claim
Create Date: 2026-11-27 16:00:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0003_event_recovery'
down_revision: str | None = '0002_outbox_claim'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A database made by create_all (then stamped at 0001 by bot.store.migrate) has the columns already.
    have = {c['name'] for c in sa.inspect(op.get_bind()).get_columns('processed_event')}
    with op.batch_alter_table('processed_event', schema=None) as batch_op:
        if 'payload_enc' not in have:
            batch_op.add_column(sa.Column('payload_enc', sa.LargeBinary(), nullable=True))
        if 'claimed_until' not in have:
            batch_op.add_column(sa.Column('claimed_until', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('processed_event', schema=None) as batch_op:
        batch_op.drop_column('claimed_until')
        batch_op.drop_column('payload_enc')
