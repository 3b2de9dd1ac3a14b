"""Operations: backups, waiting for the database, checking the configuration."""
