"doc \
continued \t tab \u00e9 \N{BULLET} \x41"
revision = \
  "r1"; down_revision = None
if False:
    revision = "nope"
