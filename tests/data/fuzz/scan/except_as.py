revision = "a"
down_revision = None
try:
    pass
except E as revision:
    pass
