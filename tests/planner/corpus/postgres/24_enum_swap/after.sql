SELECT count(*) FROM happy
