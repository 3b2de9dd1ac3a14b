"""outbox.claimed_until: a sender's lease, so two replicas never send the same row

Revision ID: 0002_outbox_claim
Revises: 0001_initial
Create Date: 2026-11-27 15:50:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0002_outbox_claim'
down_revision: str | None = '0001_initial'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A database made by create_all (then stamped at 0001 by bot.store.migrate) has the column already.
    if 'claimed_until' in {c['name'] for c in sa.inspect(op.get_bind()).get_columns('outbox')}:
        return
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claimed_until', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('claimed_until')
