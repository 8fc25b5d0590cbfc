revision = "\141\x62\u0063\U00000064\N{LATIN SMALL LETTER E}\
"
down_revision = None
