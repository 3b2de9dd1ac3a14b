"""Operations: backups, waiting for the database, checking the configuration, giving freed memory back."""
